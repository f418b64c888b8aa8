import { expect } from 'chai';
import type { AggregateInfo } from './framework.ts';
import { fakeHost } from './testing.ts';
import {
  aggregateMetadataGetByHost,
  aggregateValuesFromKey,
  pyFloat,
  pyFloatRepr,
  pyInt,
  pyJsonDumps,
  pyRepr,
  pySplit,
  pyStrip,
  validateNumValues,
} from './utils.ts';

const agg = (name: string, metadata: Record<string, string>): AggregateInfo => ({
  name,
  uuid: `uuid-${name}`,
  hosts: ['fake-host'],
  metadata,
});

// Nova's _AGGREGATE_FIXTURES (test_utils.py).
const AGGREGATES = [
  agg('foo', { k1: '1', k2: '2' }),
  agg('bar', { k1: '3', k2: '4' }),
  agg('baz', { k1: '6,7', k2: '8, 9' }),
];

describe('scheduler filter utils (Nova filters/utils.py)', () => {
  const host = fakeHost('fake', { aggregates: AGGREGATES });

  it('aggregate_values_from_key: the unsplit values of the key over the aggregates', () => {
    expect([...aggregateValuesFromKey(host, 'k1')].sort()).to.deep.equal(['1', '3', '6,7']);
  });

  it('aggregate_values_from_key with a key no aggregate has: empty', () => {
    expect(aggregateValuesFromKey(host, 'k3').size).to.equal(0);
  });

  it('aggregate_metadata_get_by_host without key: every key, values split on "," and stripped', () => {
    const md = aggregateMetadataGetByHost(host);
    expect([...md.get('k1')!].sort()).to.deep.equal(['1', '3', '6', '7']);
    expect([...md.get('k2')!].sort()).to.deep.equal(['2', '4', '8', '9']);
  });

  it('aggregate_metadata_get_by_host with key: only aggregates having it, with all their keys', () => {
    const h = fakeHost('h', { aggregates: [agg('a', { k1: '1', other: 'x' }), agg('b', { k2: '2' })] });
    const md = aggregateMetadataGetByHost(h, 'k1');
    expect([...md.keys()].sort()).to.deep.equal(['k1', 'other']);
    expect([...md.get('k1')!]).to.deep.equal(['1']);
    expect([...aggregateMetadataGetByHost(host, 'k1').get('k1')!].sort()).to.deep.equal(['1', '3', '6', '7']);
  });

  it('aggregate_metadata_get_by_host with no aggregates: empty', () => {
    expect(aggregateMetadataGetByHost(fakeHost('h'), 'k3').size).to.equal(0);
  });

  it('an empty metadata value is the value "" (split of "" is [""])', () => {
    const md = aggregateMetadataGetByHost(fakeHost('h', { aggregates: [agg('a', { k: '' })] }));
    expect([...md.get('k')!]).to.deep.equal(['']);
  });

  it('validate_num_values: default when empty; min (or max) of the cast values', () => {
    expect(validateNumValues([], 'x')).to.equal('x');
    expect(validateNumValues(['1'], undefined)).to.equal(1);
    expect(validateNumValues(['1'], undefined, pyFloat)).to.equal(1.0);
    expect(validateNumValues(['1', '2'], undefined, pyInt, 'min')).to.equal(1);
    expect(validateNumValues(['1', '2'], undefined, pyInt, 'max')).to.equal(2);
    expect(validateNumValues(new Set(['10', '9']), undefined)).to.equal(9);
  });

  it('validate_num_values throws ValueError when any value does not cast', () => {
    expect(() => validateNumValues(['5', 'XXX'], 8)).to.throw(
      /invalid literal for int\(\) with base 10: 'XXX'/,
    );
    expect(() => validateNumValues(['1.5'], 8)).to.throw(/invalid literal/);
  });

  it('int() as Python: whitespace, sign, _ between digits, leading zeros; not floats nor ""', () => {
    expect(pyInt(' 7 ')).to.equal(7);
    expect(pyInt('-3')).to.equal(-3);
    expect(pyInt('1_000')).to.equal(1000);
    expect(pyInt('007')).to.equal(7);
    for (const bad of ['', '1.0', '1e3', '_1', '1__0', '0x10'])
      expect(() => pyInt(bad)).to.throw(/invalid literal/);
  });

  it('float() as Python', () => {
    expect(pyFloat(' 1.5 ')).to.equal(1.5);
    expect(pyFloat('1.')).to.equal(1);
    expect(pyFloat('.5e1')).to.equal(5);
    expect(pyFloat('-Infinity')).to.equal(-Infinity);
    expect(Number.isNaN(pyFloat('NaN'))).to.equal(true);
    for (const bad of ['', '.', 'e5', '1e', '0x10', 'infinit'])
      expect(() => pyFloat(bad)).to.throw(/could not convert/);
  });

  it('str.split() and str.strip() use Python whitespace', () => {
    expect(pySplit(' a\tb\x1cc\u3000d ')).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(pySplit('   ')).to.deep.equal([]);
    expect(pyStrip('\x85 x \u2028')).to.equal('x');
  });

  it('repr() as Python', () => {
    expect(pyRepr(['aes', 'mmx'])).to.equal("['aes', 'mmx']");
    expect(pyRepr({ cores: 1, threads: 2.5, ok: true, x: null })).to.equal(
      "{'cores': 1, 'threads': 2.5, 'ok': True, 'x': None}",
    );
    expect(pyRepr("it's")).to.equal('"it\'s"');
    expect(pyRepr('a\nb\\')).to.equal("'a\\nb\\\\'");
    expect(pyFloatRepr(16)).to.equal('16.0');
    expect(pyFloatRepr(1.5)).to.equal('1.5');
    expect(pyFloatRepr(1e-5)).to.equal('1e-05');
    expect(pyFloatRepr(1e16)).to.equal('1e+16');
    expect(pyFloatRepr(123456.789)).to.equal('123456.789');
    expect(pyFloatRepr(0.0001)).to.equal('0.0001');
  });

  it('json.dumps() as Python', () => {
    expect(pyJsonDumps({ arch: 'x86_64', features: ['aes', 'é'], topology: { cores: 1 } })).to.equal(
      '{"arch": "x86_64", "features": ["aes", "\\u00e9"], "topology": {"cores": 1}}',
    );
  });
});
