import { expect } from 'chai';
import { rankHosts } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { MULTIPLIER_OPTION, NAME, create } from './build_failure.ts';

const conf = (opts: Record<string, unknown> = {}): SchedulerConfig => ({
  enabled_filters: [],
  weight_classes: [],
  host_subset_size: 1,
  max_attempts: 3,
  ...opts,
});

// Nova's test hosts: 0, 1, 10 and 100 failed builds.
const hosts = () => [
  fakeHost('host1', { failedBuilds: 0 }),
  fakeHost('host2', { failedBuilds: 1 }),
  fakeHost('host3', { failedBuilds: 10 }),
  fakeHost('host4', { failedBuilds: 100 }),
];
const weigh = (opts: Record<string, unknown>) => rankHosts([create(conf(opts))], hosts(), fakeSpec());

describe('BuildFailureWeigher (Nova weights/compute.py)', () => {
  it('is named BuildFailureWeigher: weight failed_builds, multiplier −build_failure_weight_multiplier (default 1000000.0)', () => {
    const w = create(conf());
    expect(w.name).to.equal(NAME).and.equal('BuildFailureWeigher');
    expect(w.multiplierOption).to.equal(MULTIPLIER_OPTION).and.equal('build_failure_weight_multiplier');
    expect(w.multiplier).to.equal(-1000000.0);
    expect(w.minval).to.equal(undefined);
    expect(w.maxval).to.equal(undefined);
    expect(w.weigh(fakeHost('h', { failedBuilds: 3 }), fakeSpec())).to.equal(3);
  });

  it('is disabled with multiplier 0.0: every host weighs 0', () => {
    expect(weigh({ build_failure_weight_multiplier: 0.0 }).every((r) => r.weight === 0)).to.equal(true);
  });

  it('scales: failures cost a share of the multiplier, the most failed host all of it', () => {
    const ranked = weigh({ build_failure_weight_multiplier: 1000.0 });
    expect(ranked.map((r) => r.weight)).to.deep.equal([0, -10, -100, -1000]);
    expect(ranked.map((r) => r.host.name)).to.deep.equal(['host1', 'host2', 'host3', 'host4']);
  });

  it('by default outweighs any ordinary weigher: one failure costs 10000 here', () => {
    const ranked = weigh({});
    expect(ranked[0]!.host.name).to.equal('host1');
    expect(ranked[1]!.weight).to.equal(-10000);
  });
});
