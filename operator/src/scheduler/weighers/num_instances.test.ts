import { expect } from 'chai';
import { rankHosts } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { MULTIPLIER_OPTION, NAME, create } from './num_instances.ts';

const conf = (opts: Record<string, unknown> = {}): SchedulerConfig => ({
  enabled_filters: [],
  weight_classes: [],
  host_subset_size: 1,
  max_attempts: 3,
  ...opts,
});

// Nova's test hosts: 2, 5, 4 and 10 servers.
const hosts = () => [
  fakeHost('host1', { numInstances: 2 }),
  fakeHost('host2', { numInstances: 5 }),
  fakeHost('host3', { numInstances: 4 }),
  fakeHost('host4', { numInstances: 10 }),
];
const weigh = (opts: Record<string, unknown>) => rankHosts([create(conf(opts))], hosts(), fakeSpec());

describe('NumInstancesWeigher (Nova weights/num_instances.py)', () => {
  it('is named NumInstancesWeigher, with num_instances_weight_multiplier (default 0.0), no minval/maxval', () => {
    const w = create(conf());
    expect(w.name).to.equal(NAME).and.equal('NumInstancesWeigher');
    expect(w.multiplierOption).to.equal(MULTIPLIER_OPTION).and.equal('num_instances_weight_multiplier');
    expect(w.multiplier).to.equal(0.0);
    expect(w.minval).to.equal(undefined);
    expect(w.maxval).to.equal(undefined);
  });

  it('is off by default: every host weighs 0 and the first stays first', () => {
    const ranked = weigh({});
    expect(ranked.map((r) => r.weight)).to.deep.equal([0, 0, 0, 0]);
    expect(ranked[0]!.host.name).to.equal('host1');
  });

  it('a positive multiplier packs: the host with the most servers wins with the multiplier', () => {
    const [best] = weigh({ num_instances_weight_multiplier: 2.0 });
    expect(best!.host.name).to.equal('host4');
    expect(best!.weight).to.equal(2.0);
  });

  it('a negative multiplier spreads: the host with the fewest servers wins with weight 0', () => {
    const [best] = weigh({ num_instances_weight_multiplier: -2.0 });
    expect(best!.host.name).to.equal('host1');
    expect(best!.weight).to.equal(0.0);
  });
});
