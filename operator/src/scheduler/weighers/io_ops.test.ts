import { expect } from 'chai';
import { rankHosts } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { MULTIPLIER_OPTION, NAME, create } from './io_ops.ts';

const conf = (opts: Record<string, unknown> = {}): SchedulerConfig => ({
  enabled_filters: [],
  weight_classes: [],
  host_subset_size: 1,
  max_attempts: 3,
  ...opts,
});

// Nova's test hosts: 1, 2, 0 and 4 I/O operations.
const hosts = () => [
  fakeHost('host1', { numIoOps: 1 }),
  fakeHost('host2', { numIoOps: 2 }),
  fakeHost('host3', { numIoOps: 0 }),
  fakeHost('host4', { numIoOps: 4 }),
];
const weigh = (opts: Record<string, unknown>) => rankHosts([create(conf(opts))], hosts(), fakeSpec());

describe('IoOpsWeigher (Nova weights/io_ops.py)', () => {
  it('is named IoOpsWeigher, with io_ops_weight_multiplier (default -1.0) and minval 0', () => {
    const w = create(conf());
    expect(w.name).to.equal(NAME).and.equal('IoOpsWeigher');
    expect(w.multiplierOption).to.equal(MULTIPLIER_OPTION).and.equal('io_ops_weight_multiplier');
    expect(w.multiplier).to.equal(-1.0);
    expect(w.minval).to.equal(0);
    expect(w.maxval).to.equal(undefined);
  });

  it('prefers the lightest workload by default: the idle host wins with weight 0.0', () => {
    const ranked = weigh({});
    expect(ranked[0]!.host.name).to.equal('host3');
    expect(ranked[0]!.weight).to.equal(0.0);
    expect(ranked.map((r) => r.host.name)).to.deep.equal(['host3', 'host1', 'host2', 'host4']);
    expect(ranked.at(-1)!.weight).to.equal(-1.0);
  });

  it('with multiplier 0.0 every host weighs 0', () => {
    expect(weigh({ io_ops_weight_multiplier: 0.0 }).map((r) => r.weight)).to.deep.equal([0, 0, 0, 0]);
  });

  it('a positive multiplier prefers the busiest host: it weighs the multiplier', () => {
    const [best] = weigh({ io_ops_weight_multiplier: 2.0 });
    expect(best!.host.name).to.equal('host4');
    expect(best!.weight).to.equal(2.0);
  });
});
