import { expect } from 'chai';
import type { SchedulerConfig } from '../registry.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { NAME, OPTIONS, REASON_TOO_MANY_IO_OPS, create } from './io_ops.ts';

const config = (o: Record<string, unknown>) => o as SchedulerConfig;

describe('IoOpsFilter (Nova io_ops_filter.py)', () => {
  it('is named IoOpsFilter', () => {
    expect(create(config({})).name)
      .to.equal(NAME)
      .and.equal('IoOpsFilter');
  });

  it('passes a host below max_io_ops_per_host', () => {
    const f = create(config({ max_io_ops_per_host: 8 }));
    expect(f.hostPasses(fakeHost('host1', { numIoOps: 7 }), fakeSpec())).to.equal(undefined);
  });

  it('fails a host at max_io_ops_per_host', () => {
    const f = create(config({ max_io_ops_per_host: 8 }));
    expect(f.hostPasses(fakeHost('host1', { numIoOps: 8 }), fakeSpec())).to.equal(REASON_TOO_MANY_IO_OPS);
  });

  it('max_io_ops_per_host defaults to 8; 0 fails every host', () => {
    expect(create(config({})).hostPasses(fakeHost('h', { numIoOps: 7 }), fakeSpec())).to.equal(undefined);
    expect(create(config({})).hostPasses(fakeHost('h', { numIoOps: 8 }), fakeSpec())).to.equal(
      REASON_TOO_MANY_IO_OPS,
    );
    expect(create(config({ max_io_ops_per_host: 0 })).hostPasses(fakeHost('h'), fakeSpec())).to.equal(
      REASON_TOO_MANY_IO_OPS,
    );
    expect(OPTIONS).to.have.nested.property('max_io_ops_per_host.default', 8);
  });
});
