import { expect } from 'chai';
import type { AggregateInfo } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { NAME, OPTIONS, REASON_TOO_MANY_INSTANCES, create } from './aggregate_num_instances.ts';

const config = (o: Record<string, unknown>) => o as SchedulerConfig;
const agg = (name: string, metadata: Record<string, string>): AggregateInfo => ({
  name,
  uuid: `uuid-${name}`,
  hosts: ['host1'],
  metadata,
});
const host = (numInstances: number, ...metadata: Record<string, string>[]) =>
  fakeHost('host1', { numInstances, aggregates: metadata.map((m, i) => agg(`agg${i}`, m)) });

describe('AggregateNumInstancesFilter (Nova num_instances_filter.py)', () => {
  it('is named AggregateNumInstancesFilter and reads max_instances_per_host', () => {
    expect(create(config({})).name)
      .to.equal(NAME)
      .and.equal('AggregateNumInstancesFilter');
    expect(Object.keys(OPTIONS)).to.deep.equal(['max_instances_per_host']);
  });

  it('uses the option without aggregate metadata, the aggregate value with it', () => {
    const f = create(config({ max_instances_per_host: 4 }));
    expect(f.hostPasses(host(5), fakeSpec())).to.equal(REASON_TOO_MANY_INSTANCES);
    expect(f.hostPasses(host(5, { max_instances_per_host: '6' }), fakeSpec())).to.equal(undefined);
  });

  it('falls back to the option on a value that is not an integer', () => {
    const f = create(config({ max_instances_per_host: 6 }));
    expect(f.hostPasses(host(0, { max_instances_per_host: 'XXX' }), fakeSpec())).to.equal(undefined);
    expect(f.hostPasses(host(6, { max_instances_per_host: 'XXX' }), fakeSpec())).to.equal(
      REASON_TOO_MANY_INSTANCES,
    );
  });

  it('takes the smallest of several aggregate values (numerically)', () => {
    const f = create(config({ max_instances_per_host: 50 }));
    const h = (n: number) => host(n, { max_instances_per_host: '10' }, { max_instances_per_host: '9' });
    expect(f.hostPasses(h(8), fakeSpec())).to.equal(undefined);
    expect(f.hostPasses(h(9), fakeSpec())).to.equal(REASON_TOO_MANY_INSTANCES);
  });

  it('one bad value among several falls back to the option, not to the good ones', () => {
    const f = create(config({ max_instances_per_host: 50 }));
    const h = host(20, { max_instances_per_host: '10' }, { max_instances_per_host: 'ten' });
    expect(f.hostPasses(h, fakeSpec())).to.equal(undefined);
  });

  it('a value may exceed the option, and the option defaults to 50', () => {
    const f = create(config({}));
    expect(f.hostPasses(host(50), fakeSpec())).to.equal(REASON_TOO_MANY_INSTANCES);
    expect(f.hostPasses(host(50, { max_instances_per_host: ' 100 ' }), fakeSpec())).to.equal(undefined);
  });
});
