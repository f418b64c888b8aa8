import { expect } from 'chai';
import { hostMultiplier, noValidHostMessage, normalize, selectHost } from './framework.ts';
import { DEFAULT_SCHEDULER_CONFIG, buildFilters, buildWeighers } from './registry.ts';
import { fakeHost, fakeSpec } from './testing.ts';

const host = fakeHost;
const spec = fakeSpec;

const filters = buildFilters(DEFAULT_SCHEDULER_CONFIG);
const weighers = buildWeighers(DEFAULT_SCHEDULER_CONFIG);

describe('Scheduler framework (Nova FilterScheduler semantics)', () => {
  it('Placement removes hosts without room for the VCPU, MEMORY_MB or DISK_GB asked', () => {
    const hosts = [
      host('cpu-full', { used: { vcpus: 16, memoryMb: 0, diskGb: 0 } }),
      host('ram-full', { used: { vcpus: 0, memoryMb: 15000, diskGb: 0 } }),
      host('disk-full', { used: { vcpus: 0, memoryMb: 0, diskGb: 90 } }),
      host('roomy'),
    ];
    expect(selectHost(filters, weighers, hosts, spec()).host?.name).to.equal('roomy');
  });

  it('counts swap (rounded up to GiB) and ephemeral disk against DISK_GB, as placement does', () => {
    const s = spec({
      flavor: { name: 'f', vcpus: 1, ram: 512, disk: 10, ephemeral: 5, swap: 1, extraSpecs: {} },
    });
    const tight = host('tight', { total: { vcpus: 16, memoryMb: 16384, diskGb: 15 } });
    const fits = host('fits', { total: { vcpus: 16, memoryMb: 16384, diskGb: 16 } });
    expect(selectHost(filters, weighers, [tight, fits], s).host?.name).to.equal('fits');
  });

  it('ComputeFilter removes disabled and down hosts', () => {
    const hosts = [host('off', { enabled: false }), host('down', { up: false }), host('ok')];
    expect(selectHost(filters, weighers, hosts, spec()).host?.name).to.equal('ok');
  });

  it('AvailabilityZoneFilter keeps only hosts in the requested zone', () => {
    const az = buildFilters({ ...DEFAULT_SCHEDULER_CONFIG, enabled_filters: ['AvailabilityZoneFilter'] });
    const hosts = [host('a'), host('b', { availabilityZone: 'az2' })];
    expect(selectHost(az, weighers, hosts, spec({ availabilityZone: 'az2' })).host?.name).to.equal('b');
    expect(selectHost(az, weighers, hosts, spec({ availabilityZone: 'az9' })).host).to.equal(undefined);
  });

  it('a rescheduled build skips the hosts where it failed', () => {
    const hosts = [host('a'), host('b')];
    expect(selectHost(filters, weighers, hosts, spec({ ignoreHosts: ['a'] })).host?.name).to.equal('b');
  });

  it('RAMWeigher spreads: the host with the most free RAM wins; a negative multiplier stacks', () => {
    const hosts = [host('busy', { used: { vcpus: 1, memoryMb: 8192, diskGb: 0 } }), host('idle')];
    expect(selectHost(filters, weighers, hosts, spec()).host?.name).to.equal('idle');
    const stack = buildWeighers({ ...DEFAULT_SCHEDULER_CONFIG, ram_weight_multiplier: -1 });
    expect(selectHost(filters, stack, hosts, spec()).host?.name).to.equal('busy');
  });

  it('normalises weights to [0, 1]; equal weights are all 0 (nova/weights.py)', () => {
    expect(normalize([2, 4, 6])).to.deep.equal([0, 0.5, 1]);
    expect(normalize([3, 3])).to.deep.equal([0, 0]);
    expect(normalize([5, 10], 0)).to.deep.equal([0.5, 1]);
  });

  it('picks at random among the best host_subset_size hosts', () => {
    const hosts = [0, 1, 2, 3].map((i) =>
      host(`h${i}`, { used: { vcpus: 0, memoryMb: i * 1000, diskGb: 0 } }),
    );
    const picks = new Set(
      [0, 0.34, 0.67, 0.99].map((r) => selectHost(filters, weighers, hosts, spec(), 3, () => r).host?.name),
    );
    expect([...picks].sort()).to.deep.equal(['h0', 'h1', 'h2']);
  });

  it('"No valid host" names each filter with how many hosts it started and ended with', () => {
    const hosts = [host('a', { enabled: false }), host('b', { used: { vcpus: 16, memoryMb: 0, diskGb: 0 } })];
    const sel = selectHost(filters, weighers, hosts, spec());
    expect(sel.host).to.equal(undefined);
    const { message, details } = noValidHostMessage(spec(), sel.filterResults);
    expect(message).to.equal('No valid host was found. There are not enough hosts available.');
    expect(details).to.equal(
      "Filtering removed all hosts for the request with instance ID 'uuid-1'. Filter results: " +
        "['Placement: (start: 2, end: 1)', 'KubernetesNodeFilter: (start: 1, end: 1)', " +
        "'RetryFilter: (start: 1, end: 1)', 'ComputeFilter: (start: 1, end: 0)']",
    );
  });

  it('refuses an unknown filter name in enabled_filters', () => {
    expect(() => buildFilters({ ...DEFAULT_SCHEDULER_CONFIG, enabled_filters: ['NoSuchFilter'] })).to.throw(
      'unknown scheduler filters: NoSuchFilter',
    );
  });

  it("an aggregate's metadata overrides a weigher's multiplier on its hosts (get_weight_multiplier)", () => {
    const [ram] = buildWeighers({ ...DEFAULT_SCHEDULER_CONFIG, weight_classes: ['RAMWeigher'] });
    const agg = (v: string) => ({ name: v, uuid: v, hosts: [], metadata: { ram_weight_multiplier: v } });
    expect(hostMultiplier(ram!, host('plain'))).to.equal(1);
    expect(hostMultiplier(ram!, host('two', { aggregates: [agg('3.0'), agg('-2')] }))).to.equal(-2); // the smallest
    expect(hostMultiplier(ram!, host('bad', { aggregates: [agg('lots')] }))).to.equal(1); // not a number: ignored
    const [failures] = buildWeighers({
      ...DEFAULT_SCHEDULER_CONFIG,
      weight_classes: ['BuildFailureWeigher'],
    });
    const bf = { name: 'x', uuid: 'x', hosts: [], metadata: { build_failure_weight_multiplier: '10' } };
    expect(hostMultiplier(failures!, host('h', { aggregates: [bf] }))).to.equal(-10); // negated, as Nova's
    // A host whose aggregate stacks (negative multiplier) loses to an emptier plain host no more.
    const busy = host('busy', { used: { vcpus: 0, memoryMb: 8192, diskGb: 0 }, aggregates: [agg('-1')] });
    const idle = host('idle');
    expect(selectHost(filters, [ram!], [idle, busy], spec()).host?.name).to.equal('idle');
  });
});
