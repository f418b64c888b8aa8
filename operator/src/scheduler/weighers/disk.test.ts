import { expect } from 'chai';
import { rankHosts } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { MULTIPLIER_OPTION, NAME, create } from './disk.ts';

const conf = (opts: Record<string, unknown> = {}): SchedulerConfig => ({
  enabled_filters: [],
  weight_classes: [],
  host_subset_size: 1,
  max_attempts: 3,
  ...opts,
});

/** A host with `freeDiskMb` free (a whole number of GiB) out of 100 GiB. */
const host = (name: string, freeDiskMb: number) =>
  fakeHost(name, { used: { vcpus: 0, memoryMb: 0, diskGb: 100 - freeDiskMb / 1024 } });

// Nova's test hosts: 5120, 10240, 30720 and 81920 MB free.
const hosts = () => [host('host1', 5120), host('host2', 10240), host('host3', 30720), host('host4', 81920)];
const weigh = (opts: Record<string, unknown>, hs = hosts()) =>
  rankHosts([create(conf(opts))], hs, fakeSpec());

describe('DiskWeigher (Nova weights/disk.py)', () => {
  it('is named DiskWeigher, with disk_weight_multiplier (default 1.0) and minval 0', () => {
    const w = create(conf());
    expect(w.name).to.equal(NAME).and.equal('DiskWeigher');
    expect(w.multiplierOption).to.equal(MULTIPLIER_OPTION).and.equal('disk_weight_multiplier');
    expect(w.multiplier).to.equal(1.0);
    expect(w.minval).to.equal(0);
    expect(w.maxval).to.equal(undefined);
  });

  it('weighs free_disk_mb', () => {
    expect(hosts().map((h) => create(conf()).weigh(h, fakeSpec()))).to.deep.equal([
      5120, 10240, 30720, 81920,
    ]);
  });

  it('spreads by default: the host with the most free disk wins with weight 1.0', () => {
    const [best] = weigh({});
    expect(best!.host.name).to.equal('host4');
    expect(best!.weight).to.equal(1.0);
  });

  it('with multiplier 0.0 every host weighs 0', () => {
    expect(weigh({ disk_weight_multiplier: 0.0 }).map((r) => r.weight)).to.deep.equal([0, 0, 0, 0]);
  });

  it('with multiplier 2.0 the winner weighs 2.0', () => {
    const [best] = weigh({ disk_weight_multiplier: 2.0 });
    expect(best!.host.name).to.equal('host4');
    expect(best!.weight).to.equal(2.0);
  });

  it('a negative multiplier stacks: the host with the least free disk wins', () => {
    expect(weigh({ disk_weight_multiplier: -1.0 })[0]!.host.name).to.equal('host1');
  });

  it('a host with negative free disk weighs as 0 and loses', () => {
    const ranked = weigh({}, [...hosts(), host('negative', -5120)]);
    expect(ranked[0]!.host.name).to.equal('host4');
    expect(ranked[0]!.weight).to.equal(1);
    expect(ranked.at(-1)!.host.name).to.equal('negative');
    expect(ranked.at(-1)!.weight).to.equal(0);
  });
});
