import { expect } from 'chai';
import { type RequestSpec, rankHosts } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import {
  MULTIPLIER_OPTION_SOFT_AFFINITY,
  MULTIPLIER_OPTION_SOFT_ANTI_AFFINITY,
  NAME_SOFT_AFFINITY,
  NAME_SOFT_ANTI_AFFINITY,
  createSoftAffinity,
  createSoftAntiAffinity,
} from './affinity.ts';

const conf = (opts: Record<string, unknown> = {}): SchedulerConfig => ({
  enabled_filters: [],
  weight_classes: [],
  host_subset_size: 1,
  max_attempts: 3,
  ...opts,
});

type Policy = NonNullable<RequestSpec['instanceGroup']>['policy'];
// Nova's test group: 1 member on host1, 4 on host2, none on host3, 2 on host4.
const MEMBER_HOSTS = ['host1', 'host2', 'host2', 'host2', 'host2', 'host4', 'host4'];
const spec = (policy: Policy) =>
  fakeSpec({ instanceGroup: { uuid: 'g-1', policy, memberHosts: MEMBER_HOSTS } });
const hosts = () => ['host1', 'host2', 'host3', 'host4'].map((n) => fakeHost(n));

describe('ServerGroupSoftAffinityWeigher (Nova weights/affinity.py)', () => {
  const weigh = (opts: Record<string, unknown>, policy: Policy = 'soft-affinity') =>
    rankHosts([createSoftAffinity(conf(opts))], hosts(), spec(policy));

  it('is named ServerGroupSoftAffinityWeigher, with soft_affinity_weight_multiplier (default 1.0)', () => {
    const w = createSoftAffinity(conf());
    expect(w.name).to.equal(NAME_SOFT_AFFINITY).and.equal('ServerGroupSoftAffinityWeigher');
    expect(w.multiplierOption)
      .to.equal(MULTIPLIER_OPTION_SOFT_AFFINITY)
      .and.equal('soft_affinity_weight_multiplier');
    expect(w.multiplier).to.equal(1.0);
    expect(w.minval).to.equal(undefined);
    expect(w.maxval).to.equal(undefined);
  });

  it('weighs the number of group members on the host', () => {
    const w = createSoftAffinity(conf());
    expect(hosts().map((h) => w.weigh(h, spec('soft-affinity')))).to.deep.equal([1, 4, 0, 2]);
  });

  it('by default the host with the most members wins with weight 1.0', () => {
    const [best] = weigh({});
    expect(best!.host.name).to.equal('host2');
    expect(best!.weight).to.equal(1.0);
  });

  it('with multiplier 0.0 every host weighs 0', () => {
    expect(weigh({ soft_affinity_weight_multiplier: 0.0 }).map((r) => r.weight)).to.deep.equal([0, 0, 0, 0]);
  });

  it('with multiplier 2.0 the winner weighs 2.0', () => {
    const [best] = weigh({ soft_affinity_weight_multiplier: 2.0 });
    expect(best!.host.name).to.equal('host2');
    expect(best!.weight).to.equal(2.0);
  });

  it('refuses a negative multiplier, as oslo.config does (min=0.0)', () => {
    expect(() => createSoftAffinity(conf({ soft_affinity_weight_multiplier: -1.0 }))).to.throw(
      /soft_affinity_weight_multiplier/,
    );
  });

  it('weighs 0 everywhere without a group, or for another policy', () => {
    const w = createSoftAffinity(conf());
    for (const s of [fakeSpec(), spec('affinity'), spec('soft-anti-affinity'), spec('anti-affinity')])
      expect(hosts().map((h) => w.weigh(h, s))).to.deep.equal([0, 0, 0, 0]);
  });
});

describe('ServerGroupSoftAntiAffinityWeigher (Nova weights/affinity.py)', () => {
  const weigh = (opts: Record<string, unknown>, policy: Policy = 'soft-anti-affinity') =>
    rankHosts([createSoftAntiAffinity(conf(opts))], hosts(), spec(policy));

  it('is named ServerGroupSoftAntiAffinityWeigher, with soft_anti_affinity_weight_multiplier (default 1.0)', () => {
    const w = createSoftAntiAffinity(conf());
    expect(w.name).to.equal(NAME_SOFT_ANTI_AFFINITY).and.equal('ServerGroupSoftAntiAffinityWeigher');
    expect(w.multiplierOption)
      .to.equal(MULTIPLIER_OPTION_SOFT_ANTI_AFFINITY)
      .and.equal('soft_anti_affinity_weight_multiplier');
    expect(w.multiplier).to.equal(1.0);
    expect(w.minval).to.equal(undefined);
    expect(w.maxval).to.equal(undefined);
  });

  it('weighs minus the number of group members on the host', () => {
    const w = createSoftAntiAffinity(conf());
    expect(hosts().map((h) => w.weigh(h, spec('soft-anti-affinity')))).to.deep.equal([-1, -4, -0, -2]);
  });

  it('by default the host with the fewest members wins with weight 1.0', () => {
    const ranked = weigh({});
    expect(ranked[0]!.host.name).to.equal('host3');
    expect(ranked[0]!.weight).to.equal(1.0);
    expect(ranked.map((r) => r.host.name)).to.deep.equal(['host3', 'host1', 'host4', 'host2']);
  });

  it('with multiplier 0.0 every host weighs 0', () => {
    expect(weigh({ soft_anti_affinity_weight_multiplier: 0.0 }).map((r) => r.weight)).to.deep.equal([
      0, 0, 0, 0,
    ]);
  });

  it('with multiplier 2.0 the winner weighs 2.0', () => {
    const [best] = weigh({ soft_anti_affinity_weight_multiplier: 2.0 });
    expect(best!.host.name).to.equal('host3');
    expect(best!.weight).to.equal(2.0);
  });

  it('refuses a negative multiplier, as oslo.config does (min=0.0)', () => {
    expect(() => createSoftAntiAffinity(conf({ soft_anti_affinity_weight_multiplier: -1 }))).to.throw(
      /soft_anti_affinity_weight_multiplier/,
    );
  });

  it('weighs 0 everywhere without a group, or for another policy', () => {
    const w = createSoftAntiAffinity(conf());
    for (const s of [fakeSpec(), spec('soft-affinity'), spec('anti-affinity')])
      expect(hosts().every((h) => w.weigh(h, s) === 0)).to.equal(true);
  });
});
