import { expect } from 'chai';
import type { AggregateInfo } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { NAME, OPTIONS, REASON_TOO_MANY_IO_OPS, create } from './aggregate_io_ops.ts';

const config = (o: Record<string, unknown>) => o as SchedulerConfig;
const agg = (name: string, metadata: Record<string, string>): AggregateInfo => ({
  name,
  uuid: `uuid-${name}`,
  hosts: ['host1'],
  metadata,
});
const host = (numIoOps: number, ...metadata: Record<string, string>[]) =>
  fakeHost('host1', { numIoOps, aggregates: metadata.map((m, i) => agg(`agg${i}`, m)) });

describe('AggregateIoOpsFilter (Nova io_ops_filter.py)', () => {
  it('is named AggregateIoOpsFilter and reads max_io_ops_per_host', () => {
    expect(create(config({})).name)
      .to.equal(NAME)
      .and.equal('AggregateIoOpsFilter');
    expect(Object.keys(OPTIONS)).to.deep.equal(['max_io_ops_per_host']);
  });

  it('uses the option without aggregate metadata, the aggregate value with it', () => {
    const f = create(config({ max_io_ops_per_host: 7 }));
    expect(f.hostPasses(host(7), fakeSpec())).to.equal(REASON_TOO_MANY_IO_OPS);
    expect(f.hostPasses(host(7, { max_io_ops_per_host: '8' }), fakeSpec())).to.equal(undefined);
  });

  it('falls back to the option on a value that is not an integer', () => {
    const f = create(config({ max_io_ops_per_host: 8 }));
    expect(f.hostPasses(host(7, { max_io_ops_per_host: 'XXX' }), fakeSpec())).to.equal(undefined);
    expect(f.hostPasses(host(8, { max_io_ops_per_host: '1.5' }), fakeSpec())).to.equal(
      REASON_TOO_MANY_IO_OPS,
    );
  });

  it('takes the smallest of several aggregate values', () => {
    const f = create(config({}));
    const h = (n: number) => host(n, { max_io_ops_per_host: '2' }, { max_io_ops_per_host: '12' });
    expect(f.hostPasses(h(1), fakeSpec())).to.equal(undefined);
    expect(f.hostPasses(h(2), fakeSpec())).to.equal(REASON_TOO_MANY_IO_OPS);
  });
});
