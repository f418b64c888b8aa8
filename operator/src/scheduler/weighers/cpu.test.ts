import { expect } from 'chai';
import { rankHosts } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { MULTIPLIER_OPTION, NAME, create } from './cpu.ts';

const conf = (opts: Record<string, unknown> = {}): SchedulerConfig => ({
  enabled_filters: [],
  weight_classes: [],
  host_subset_size: 1,
  max_attempts: 3,
  ...opts,
});

const host = (name: string, vcpusTotal: number, vcpusUsed: number, ratio: number) =>
  fakeHost(name, {
    total: { vcpus: vcpusTotal, memoryMb: 16384, diskGb: 100 },
    allocationRatios: { vcpus: ratio, memoryMb: 1, diskGb: 1 },
    used: { vcpus: vcpusUsed, memoryMb: 0, diskGb: 0 },
  });

// Nova's test hosts: 0, 2, 6 and 16 free vCPUs.
const hosts = () => [
  host('host1', 8, 8, 1.0),
  host('host2', 4, 2, 1.0),
  host('host3', 6, 0, 1.0),
  host('host4', 8, 0, 2.0),
];
const weigh = (opts: Record<string, unknown>, hs = hosts()) =>
  rankHosts([create(conf(opts))], hs, fakeSpec());

describe('CPUWeigher (Nova weights/cpu.py)', () => {
  it('is named CPUWeigher, with cpu_weight_multiplier (default 1.0) and minval 0', () => {
    const w = create(conf());
    expect(w.name).to.equal(NAME).and.equal('CPUWeigher');
    expect(w.multiplierOption).to.equal(MULTIPLIER_OPTION).and.equal('cpu_weight_multiplier');
    expect(w.multiplier).to.equal(1.0);
    expect(w.minval).to.equal(0);
    expect(w.maxval).to.equal(undefined);
  });

  it('weighs free vCPUs: vcpus_total × cpu_allocation_ratio − vcpus_used', () => {
    expect(hosts().map((h) => create(conf()).weigh(h, fakeSpec()))).to.deep.equal([0, 2, 6, 16]);
  });

  it('spreads by default: the host with the most free vCPUs wins with weight 1.0', () => {
    const [best] = weigh({});
    expect(best!.host.name).to.equal('host4');
    expect(best!.weight).to.equal(1.0);
  });

  it('with multiplier 0.0 every host weighs 0', () => {
    expect(weigh({ cpu_weight_multiplier: 0.0 }).map((r) => r.weight)).to.deep.equal([0, 0, 0, 0]);
  });

  it('with multiplier 2.0 the winner weighs 2.0', () => {
    const [best] = weigh({ cpu_weight_multiplier: 2.0 });
    expect(best!.host.name).to.equal('host4');
    expect(best!.weight).to.equal(2.0);
  });

  it('a negative multiplier stacks: the host with the fewest free vCPUs wins', () => {
    expect(weigh({ cpu_weight_multiplier: -1.0 })[0]!.host.name).to.equal('host1');
  });

  it('an overcommitted host (negative free vCPUs) weighs as 0 and loses', () => {
    const ranked = weigh({}, [...hosts(), host('negative', 4, 6, 1.0)]);
    expect(ranked[0]!.host.name).to.equal('host4');
    expect(ranked[0]!.weight).to.equal(1);
    expect(ranked.at(-1)!.host.name).to.equal('negative');
    expect(ranked.at(-1)!.weight).to.equal(0);
  });
});
