import { expect } from 'chai';
import { rankHosts } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { ComputeHostMetricNotFound, MULTIPLIER_OPTION, NAME, create, parseWeightSetting } from './metrics.ts';

const conf = (opts: Record<string, unknown> = {}): SchedulerConfig => ({
  enabled_filters: [],
  weight_classes: [],
  host_subset_size: 1,
  max_attempts: 3,
  ...opts,
});

const IDLE = 'cpu.idle.time';
const KERNEL = 'cpu.kernel.time';
const USER = 'cpu.user.time';

// Nova's test hosts.
const hosts = () => [
  fakeHost('host1', { metrics: { [IDLE]: 512, [KERNEL]: 1 } }),
  fakeHost('host2', { metrics: { [IDLE]: 1024, [KERNEL]: 2 } }),
  fakeHost('host3', { metrics: { [IDLE]: 3072, [KERNEL]: 1 } }),
  fakeHost('host4', { metrics: { [IDLE]: 8192, [KERNEL]: 0 } }),
  fakeHost('host5', { metrics: { [IDLE]: 768, [KERNEL]: 0, [USER]: 1 } }),
  fakeHost('host6', { metrics: { [IDLE]: 2048, [KERNEL]: 0, [USER]: 2 } }),
];

function best(weight_setting: unknown, opts: Record<string, unknown> = {}) {
  const ranked = rankHosts([create(conf({ weight_setting, ...opts }))], hosts(), fakeSpec());
  return { host: ranked[0]!.host.name, weight: ranked[0]!.weight };
}

describe('MetricsWeigher (Nova weights/metrics.py)', () => {
  it('is named MetricsWeigher, with metrics_weight_multiplier (default 1.0), no minval/maxval', () => {
    const w = create(conf());
    expect(w.name).to.equal(NAME).and.equal('MetricsWeigher');
    expect(w.multiplierOption).to.equal(MULTIPLIER_OPTION).and.equal('metrics_weight_multiplier');
    expect(w.multiplier).to.equal(1.0);
    expect(w.minval).to.equal(undefined);
    expect(w.maxval).to.equal(undefined);
  });

  it('weighs one metric: the host with the most idle time wins', () => {
    expect(best([`${IDLE}=1`])).to.deep.equal({ host: 'host4', weight: 1.0 });
  });

  it('weighs the sum of metric × ratio over several metrics', () => {
    expect(best([`${IDLE}=0.0001`, `${KERNEL}=1`])).to.deep.equal({ host: 'host2', weight: 1.0 });
  });

  it('adds up a metric listed twice (here to a negative ratio)', () => {
    expect(best([`${IDLE}=-2`, `${IDLE}=1`])).to.deep.equal({ host: 'host1', weight: 1.0 });
  });

  it('a negative ratio prefers the lowest value', () => {
    expect(best([`${IDLE}=-1`])).to.deep.equal({ host: 'host1', weight: 1.0 });
  });

  it('ignores an entry without a ratio, or with a ratio that is not a float', () => {
    expect(best([`${IDLE}=0.0001`, KERNEL])).to.deep.equal({ host: 'host4', weight: 1.0 });
    expect(best([`${IDLE}=0.0001`, `${KERNEL} = 2.0t`])).to.deep.equal({ host: 'host4', weight: 1.0 });
  });

  it('parses the setting as Nova: name=float pairs, the malformed ones dropped', () => {
    expect(parseWeightSetting([`${IDLE}=1`])).to.deep.equal([[IDLE, 1.0]]);
    expect(parseWeightSetting([`${IDLE}=1`, `${KERNEL}=-2.1`])).to.deep.equal([
      [IDLE, 1.0],
      [KERNEL, -2.1],
    ]);
    expect(parseWeightSetting([`${IDLE}=a1`, `${KERNEL}=-2.1`])).to.deep.equal([[KERNEL, -2.1]]);
    expect(parseWeightSetting([IDLE, `${KERNEL}=-2.1`])).to.deep.equal([[KERNEL, -2.1]]);
    expect(parseWeightSetting(['=5', `${KERNEL}=-2.1`])).to.deep.equal([[KERNEL, -2.1]]);
  });

  it('takes weight_setting as nova.conf writes it: one comma-separated string', () => {
    expect(parseWeightSetting(`${IDLE}=1.0, ${KERNEL}= -1e1 ,`)).to.deep.equal([
      [IDLE, 1.0],
      [KERNEL, -10],
    ]);
    expect(best(`${IDLE}=0.0001, ${KERNEL}=1`)).to.deep.equal({ host: 'host2', weight: 1.0 });
  });

  it('weighs 0 everywhere without a weight_setting', () => {
    const ranked = rankHosts([create(conf())], hosts(), fakeSpec());
    expect(ranked.every((r) => r.weight === 0)).to.equal(true);
  });

  it('throws ComputeHostMetricNotFound for a missing metric when metrics are required (the default)', () => {
    expect(() => best([`${IDLE}=1`, `${USER}=2`])).to.throw(
      ComputeHostMetricNotFound,
      `Metric ${USER} could not be found on the compute host node host1.host1.`,
    );
  });

  it('when not required, a host missing a metric weighs weight_of_unavailable (default -10000.0)', () => {
    expect(best([`${IDLE}=0.0001`, `${USER}=-1`], { required: false })).to.deep.equal({
      host: 'host5',
      weight: 1.0,
    });
    const w = create(conf({ weight_setting: [`${USER}=1`], required: false }));
    expect(w.weigh(hosts()[0]!, fakeSpec())).to.equal(-10000.0);
    const w2 = create(conf({ weight_setting: [`${USER}=1`], required: false, weight_of_unavailable: -5 }));
    expect(w2.weigh(hosts()[0]!, fakeSpec())).to.equal(-5);
  });

  it('when not required, skips a missing metric whose ratio or multiplier is 0', () => {
    const zeroRatio = create(conf({ weight_setting: [`${IDLE}=1`, `${USER}=0`], required: false }));
    expect(zeroRatio.weigh(hosts()[0]!, fakeSpec())).to.equal(512);
    const zeroMultiplier = create(
      conf({ weight_setting: [`${IDLE}=1`, `${USER}=1`], required: false, metrics_weight_multiplier: 0 }),
    );
    expect(zeroMultiplier.weigh(hosts()[0]!, fakeSpec())).to.equal(512);
  });
});
