import { expect } from 'chai';
import type { HostState } from '../framework.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { NAME, REASON_INVALID_QUERY, REASON_QUERY_FAILED, create } from './json.ts';

const f = create();
const query = (raw: unknown) => fakeSpec({ schedulerHints: { query: [JSON.stringify(raw)] } });
const passes = (host: HostState, raw: unknown) => f.hostPasses(host, query(raw)) === undefined;

/** A host with the given free RAM (MB) and free disk (MB, a whole number of GiB). */
const roomy = (freeRamMb: number, freeDiskMb: number, over: Partial<HostState> = {}) =>
  fakeHost('host1', {
    total: { vcpus: 16, memoryMb: 100000, diskGb: 1000 },
    used: { vcpus: 0, memoryMb: 100000 - freeRamMb, diskGb: 1000 - freeDiskMb / 1024 },
    ...over,
  });

const RAM_AND_DISK = ['and', ['>=', '$free_ram_mb', 1024], ['>=', '$free_disk_mb', 200 * 1024]];

describe('JsonFilter (Nova json_filter.py)', () => {
  it('is named JsonFilter', () => {
    expect(f.name).to.equal(NAME).and.equal('JsonFilter');
  });

  it('passes a host that satisfies the query', () => {
    expect(passes(roomy(1024, 200 * 1024), RAM_AND_DISK)).to.equal(true);
  });

  it('passes every host without a query', () => {
    expect(f.hostPasses(roomy(0, 0), fakeSpec())).to.equal(undefined);
    expect(f.hostPasses(roomy(0, 0), fakeSpec({ schedulerHints: { query: '' } }))).to.equal(undefined);
  });

  it('fails a host short of memory, or of disk', () => {
    expect(f.hostPasses(roomy(1023, 200 * 1024), query(RAM_AND_DISK))).to.equal(REASON_QUERY_FAILED);
    expect(f.hostPasses(roomy(1024, 199 * 1024), query(RAM_AND_DISK))).to.equal(REASON_QUERY_FAILED);
  });

  it('takes the query as a plain string hint as well as a one-element list', () => {
    const spec = fakeSpec({ schedulerHints: { query: JSON.stringify(RAM_AND_DISK) } });
    expect(f.hostPasses(roomy(1024, 200 * 1024), spec)).to.equal(undefined);
  });

  it('fails when a "$" variable is missing under "not": ["not"] is [], and [] is false in "and"', () => {
    const raw = [...RAM_AND_DISK, ['not', '$service.disabled']];
    expect(passes(roomy(1024, 200 * 1024), raw)).to.equal(false);
  });

  it('evaluates nested queries over dotted attributes, dropping the missing ones (happy day)', () => {
    const raw = [
      'and',
      '$cpu_info.enabled',
      ['=', '$cpu_info.opt1', 'match'],
      [
        'or',
        ['and', ['<', '$free_ram_mb', 30], ['<', '$free_disk_mb', 3072]],
        ['and', ['>', '$free_ram_mb', 30], ['>', '$free_disk_mb', 3072]],
      ],
    ];
    const h = (ram: number, diskMb: number, cpuInfo: Record<string, unknown>) =>
      roomy(ram, diskMb, { cpuInfo });
    expect(passes(h(10, 2048, { opt1: 'match' }), raw)).to.equal(true);
    expect(passes(h(40, 4096, { opt1: 'match' }), raw)).to.equal(true);
    // capabilities disabled
    expect(passes(h(40, 4096, { enabled: false, opt1: 'match' }), raw)).to.equal(false);
    // exactly the memory/disk we don't want
    expect(passes(h(30, 3072, { enabled: true, opt1: 'match' }), raw)).to.equal(false);
    // memory lower but disk higher
    expect(passes(h(20, 4096, { enabled: true, opt1: 'match' }), raw)).to.equal(false);
    // opt1 not equal
    expect(passes(h(20, 4096, { enabled: true, opt1: 'no-match' }), raw)).to.equal(false);
  });

  it('implements the basic operators as Nova does', () => {
    const host = fakeHost('host1');
    const cases: [string, unknown[], boolean][] = [
      ['=', [1, 1], true],
      ['=', [1, 2], false],
      ['<', [1, 2], true],
      ['<', [1, 1], false],
      ['<', [2, 1], false],
      ['>', [2, 1], true],
      ['>', [2, 2], false],
      ['>', [2, 3], false],
      ['<=', [1, 2], true],
      ['<=', [1, 1], true],
      ['<=', [2, 1], false],
      ['>=', [2, 1], true],
      ['>=', [2, 2], true],
      ['>=', [2, 3], false],
      ['in', [1, 1], true],
      ['in', [1, 1, 2, 3], true],
      ['in', [4, 1, 2, 3], false],
      ['not', [true], false],
      ['not', [false], true],
      ['or', [true, false], true],
      ['or', [false, false], false],
      ['and', [true, true], true],
      ['and', [false, false], false],
      ['and', [true, false], false],
      // Nested ((True or False) and (2 > 1)) == Passes
      [
        'and',
        [
          ['or', true, false],
          ['>', 2, 1],
        ],
        true,
      ],
    ];
    for (const [op, args, expected] of cases)
      expect(passes(host, [op, ...args]), `${op} ${JSON.stringify(args)}`).to.equal(expected);
  });

  it('"not" yields a list, which passes when any element is true', () => {
    const host = fakeHost('host1');
    expect(passes(host, ['not', true, false, true, false])).to.equal(true);
    expect(passes(host, ['not', true, true, true])).to.equal(false);
  });

  it('compares every argument after the first: "=" and "<" against all, "in" among them', () => {
    const host = fakeHost('host1');
    expect(passes(host, ['=', 2, 2, 2])).to.equal(true);
    expect(passes(host, ['=', 2, 2, 3])).to.equal(false);
    expect(passes(host, ['<', 1, 2, 3])).to.equal(true);
    expect(passes(host, ['<', 1, 2, 0])).to.equal(false);
    expect(passes(host, ['in', 'x86_64', 'aarch64', 'x86_64'])).to.equal(true);
  });

  it('follows Python equality and ordering: True == 1, strings by code point, lists lexicographically', () => {
    const host = fakeHost('host1');
    expect(passes(host, ['=', true, 1])).to.equal(true);
    expect(passes(host, ['=', '1', 1])).to.equal(false);
    expect(passes(host, ['<', 'abc', 'abd'])).to.equal(true);
    expect(passes(host, ['<', 'ab', 'abc'])).to.equal(true);
    // list arguments are sub-queries: "not" yields lists, compared as Python compares lists
    expect(passes(host, ['=', ['not', true], ['not', true]])).to.equal(true);
    expect(passes(host, ['<', ['not', true, true], ['not', true, false]])).to.equal(true);
    expect(passes(host, ['<', ['not', true], ['not', true, true]])).to.equal(true);
    expect(passes(host, ['=', { a: 1 }, { a: 1 }])).to.equal(true);
  });

  it('reads host attributes by their Nova names: strings and lists included', () => {
    const host = fakeHost('host1', { hypervisorType: 'QEMU', traits: ['HW_CPU_X86_AVX2'] });
    expect(passes(host, ['=', '$hypervisor_type', 'QEMU'])).to.equal(true);
    expect(passes(host, ['=', '$host', 'host1'])).to.equal(true);
    expect(passes(host, ['=', '$traits', '$traits'])).to.equal(true);
    expect(passes(host, ['=', '$hypervisor_version', 2])).to.equal(false);
    expect(passes(host, ['>=', '$num_instances', 0])).to.equal(true);
  });

  it('passes empty queries: [] and {}', () => {
    const host = fakeHost('host1');
    expect(passes(host, [])).to.equal(true);
    expect(passes(host, {})).to.equal(true);
    expect(passes(host, ['and', []])).to.equal(true);
  });

  it('fails comparisons left with fewer than two arguments', () => {
    const host = fakeHost('host1');
    expect(passes(host, ['>', ['and', ['or', ['not', ['<', ['>=', ['<=', ['in']]]]]]]])).to.equal(false);
    expect(passes(host, ['>', 1])).to.equal(false);
    expect(passes(host, ['>=', '$free_ram_mb', '$no_such_attribute'])).to.equal(false);
  });

  it('ignores unknown variables, null and empty strings', () => {
    const host = fakeHost('host1');
    expect(passes(host, ['=', '$........', 1, 1])).to.equal(true);
    expect(passes(host, ['=', '$foo', 2, 2])).to.equal(true);
    expect(passes(host, ['=', null, '', 2, 2])).to.equal(true);
  });

  it('fails every host where Nova raises: unknown operator, invalid JSON, unorderable types', () => {
    const host = fakeHost('host1');
    expect(f.hostPasses(host, query(['!=', 1, 2]))).to.equal(REASON_INVALID_QUERY);
    expect(f.hostPasses(host, fakeSpec({ schedulerHints: { query: '["and", ' } }))).to.equal(
      REASON_INVALID_QUERY,
    );
    expect(f.hostPasses(host, query(['<', 'a', 1]))).to.equal(REASON_INVALID_QUERY);
    // every comparison runs, so a later unorderable one raises even after a false one
    expect(f.hostPasses(host, query(['<', 5, 1, 'a']))).to.equal(REASON_INVALID_QUERY);
    expect(f.hostPasses(host, query({ a: 1 }))).to.equal(REASON_INVALID_QUERY);
    expect(f.hostPasses(host, query(5))).to.equal(REASON_INVALID_QUERY);
    // several query hints: Nova's jsonutils.loads() gets a list
    const two = fakeSpec({ schedulerHints: { query: ['[]', '[]'] } });
    expect(f.hostPasses(host, two)).to.equal(REASON_INVALID_QUERY);
  });

  it('indexes a query that is a JSON string by character, as Python does', () => {
    const host = fakeHost('host1');
    expect(passes(host, '=aa')).to.equal(true);
    expect(passes(host, '=ab')).to.equal(false);
    expect(f.hostPasses(host, query('x'))).to.equal(REASON_INVALID_QUERY);
  });
});
