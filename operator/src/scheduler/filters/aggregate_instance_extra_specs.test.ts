import { expect } from 'chai';
import type { AggregateInfo } from '../framework.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { NAME, REASON_MISMATCH, REASON_NOT_IN_AGGREGATE, create } from './aggregate_instance_extra_specs.ts';

const filter = create();
const agg = (name: string, metadata: Record<string, string>): AggregateInfo => ({
  name,
  uuid: `uuid-${name}`,
  hosts: ['host1'],
  metadata,
});
const host = (...metadata: Record<string, string>[]) =>
  fakeHost('host1', { aggregates: metadata.map((m, i) => agg(`agg${i}`, m)) });
const spec = (extraSpecs: Record<string, string>) =>
  fakeSpec({ flavor: { name: 'f', vcpus: 1, ram: 1024, disk: 1, ephemeral: 0, swap: 0, extraSpecs } });

describe('AggregateInstanceExtraSpecsFilter (Nova aggregate_instance_extra_specs.py)', () => {
  it('is named AggregateInstanceExtraSpecsFilter', () => {
    expect(filter.name).to.equal(NAME).and.equal('AggregateInstanceExtraSpecsFilter');
  });

  it('passes a flavor with empty extra specs, whatever the aggregates', () => {
    expect(filter.hostPasses(host(), spec({}))).to.equal(undefined);
    expect(filter.hostPasses(host({ opt1: '1' }), spec({}))).to.equal(undefined);
  });

  it('passes simple extra specs, unscoped and with the aggregate_instance_extra_specs scope', () => {
    const s = spec({ opt1: '1', 'aggregate_instance_extra_specs:opt2': '2' });
    expect(filter.hostPasses(host({ opt1: '1', opt2: '2' }), s)).to.equal(undefined);
  });

  it('passes when any of the comma-separated aggregate values matches', () => {
    const s = spec({ opt1: '1', 'aggregate_instance_extra_specs:opt1': '3' });
    expect(filter.hostPasses(host({ opt1: '1, 3', opt2: '2' }), s)).to.equal(undefined);
    expect(filter.hostPasses(host({ opt1: '1' }, { opt1: '3' }), s)).to.equal(undefined);
  });

  it('does not blow up on an unscoped key that is the scope name', () => {
    const s = spec({ aggregate_instance_extra_specs: '1' });
    expect(filter.hostPasses(host({ aggregate_instance_extra_specs: '1' }), s)).to.equal(undefined);
  });

  it('fails simple extra specs that do not match', () => {
    expect(filter.hostPasses(host({ opt1: '1', opt2: '2' }), spec({ opt1: '1', opt2: '222' }))).to.equal(
      REASON_MISMATCH,
    );
  });

  it('fails a key no aggregate of the host has; a host in no aggregate fails any unscoped spec', () => {
    expect(filter.hostPasses(host({ opt1: '1' }), spec({ opt2: '2' }))).to.equal(REASON_NOT_IN_AGGREGATE);
    expect(filter.hostPasses(host(), spec({ group_policy: 'none' }))).to.equal(REASON_NOT_IN_AGGREGATE);
  });

  it('ignores extra specs of other scopes', () => {
    const s = spec({
      'hw:cpu_policy': 'dedicated',
      'capabilities:hypervisor_type': 'QEMU',
      'quota:cpu_shares': '1',
    });
    expect(filter.hostPasses(host(), s)).to.equal(undefined);
  });

  it('splits the scope at the first colon only: aggregate_instance_extra_specs:a:b is key a:b', () => {
    const s = spec({ 'aggregate_instance_extra_specs:a:b': 'x' });
    expect(filter.hostPasses(host({ 'a:b': 'x' }), s)).to.equal(undefined);
    expect(filter.hostPasses(host({ a: 'x' }), s)).to.equal(REASON_NOT_IN_AGGREGATE);
  });

  it('matches with extra_specs_ops operators', () => {
    expect(filter.hostPasses(host({ ssd: 'true' }), spec({ ssd: '<or> yes <or> true' }))).to.equal(undefined);
    expect(filter.hostPasses(host({ gen: '2,4' }), spec({ gen: '>= 3' }))).to.equal(undefined);
    expect(filter.hostPasses(host({ gen: '2' }), spec({ gen: '>= 3' }))).to.equal(REASON_MISMATCH);
    expect(filter.hostPasses(host({ cpu: 'intel-avx2' }), spec({ cpu: '<in> avx' }))).to.equal(undefined);
  });

  it('throws ValueError on a numeric operator against a non-numeric value, as Nova raises', () => {
    expect(() => filter.hostPasses(host({ gen: 'new' }), spec({ gen: '>= 3' }))).to.throw(
      /could not convert/,
    );
  });
});
