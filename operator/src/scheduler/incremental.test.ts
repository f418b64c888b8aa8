import { expect } from 'chai';
import { type HostState, type RequestSpec, selectHost } from './framework.ts';
import { IncrementalSelector } from './incremental.ts';
import { placementRequest } from './placement.ts';
import { DEFAULT_SCHEDULER_CONFIG, FILTERS, WEIGHERS, buildPlugins } from './registry.ts';
import { fakeHost, fakeSpec } from './testing.ts';

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('IncrementalSelector: the same choice as selectHost, reusing unchanged hosts', () => {
  const plugins = buildPlugins({
    ...DEFAULT_SCHEDULER_CONFIG,
    enabled_filters: Object.keys(FILTERS).filter((f) => f !== 'AllHostsFilter'),
    weight_classes: Object.keys(WEIGHERS).filter((w) => w !== 'MetricsWeigher'),
    host_subset_size: 1,
  });

  function world(rand: () => number): HostState[] {
    return Array.from({ length: 60 }, (_, i) =>
      fakeHost(`h${i}`, {
        used: {
          vcpus: Math.floor(rand() * 16),
          memoryMb: Math.floor(rand() * 16384),
          diskGb: Math.floor(rand() * 100),
        },
        enabled: rand() > 0.1,
        up: rand() > 0.1,
        numIoOps: Math.floor(rand() * 10),
        failedBuilds: rand() > 0.8 ? 1 : 0,
        hostIp: `10.0.${i >> 4}.${i & 15}`,
        traits: rand() > 0.5 ? ['CUSTOM_FAST'] : [],
        aggregates:
          rand() > 0.7
            ? [{ name: 'a', uuid: 'agg-a', hosts: [], metadata: { ssd: 'true' }, availabilityZone: 'az1' }]
            : rand() > 0.8
              ? // An aggregate that turns RAM weighing around for its hosts (per-aggregate multiplier).
                [{ name: 'b', uuid: 'agg-b', hosts: [], metadata: { ram_weight_multiplier: '-2.5' } }]
              : [],
      }),
    );
  }

  const shapes: ((rand: () => number) => Partial<RequestSpec>)[] = [
    () => ({}),
    () => ({ flavor: { name: 'big', vcpus: 8, ram: 8192, disk: 50, ephemeral: 0, swap: 0, extraSpecs: {} } }),
    (rand) => ({
      instanceGroup: { uuid: 'g', policy: 'anti-affinity', memberHosts: [`h${Math.floor(rand() * 60)}`] },
    }),
    () => ({ instanceGroup: { uuid: 'g2', policy: 'soft-affinity', memberHosts: ['h3', 'h3', 'h7'] } }),
    () => ({ schedulerHints: { query: '[">=", "$free_ram_mb", 4096]' } }),
    () => ({
      flavor: {
        name: 'f',
        vcpus: 1,
        ram: 512,
        disk: 1,
        ephemeral: 0,
        swap: 0,
        extraSpecs: { 'trait:CUSTOM_FAST': 'required', ssd: 'true' },
      },
    }),
    () => ({ availabilityZone: 'az1' }),
  ];

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`decision for decision over 300 requests with random host changes (seed ${seed})`, () => {
      const rand = prng(seed);
      const hosts = world(rand);
      const selector = new IncrementalSelector();
      let reused = 0;
      let shape: Partial<RequestSpec> = {};
      for (let n = 0; n < 300; n++) {
        // Runs of like requests, as in a storm, then another kind.
        if (n % 10 === 0) shape = shapes[Math.floor(rand() * shapes.length)]!(rand);
        const spec = fakeSpec({ instanceUuid: `u${n}`, ...structuredClone(shape) });
        spec.placement = placementRequest(
          spec,
          [{ name: 'a', uuid: 'agg-a', hosts: [], metadata: {}, availabilityZone: 'az1' }],
          plugins.config,
        );
        const expected = selectHost(plugins.filters, plugins.weighers, hosts, spec, 1, () => 0);
        const got = selector.select(plugins, hosts, spec, () => 0);
        expect(got.host?.name, `request ${n}`).to.equal(expected.host?.name);
        expect(got.filterResults, `request ${n}`).to.deep.equal(expected.filterResults);
        expect(got.ranked[0]?.weight ?? 0).to.be.closeTo(expected.ranked[0]?.weight ?? 0, 1e-9);
        reused += hosts.length - selector.recomputed;
        // Like an assumed decision: the chosen host and one random other host change.
        for (const h of [got.host, hosts[Math.floor(rand() * hosts.length)]]) {
          if (!h) continue;
          h.used.vcpus = (h.used.vcpus + 1) % 17;
          h.used.memoryMb = (h.used.memoryMb + 1024) % 16384;
          h.version++;
        }
      }
      expect(reused, 'hosts reused rather than recomputed').to.be.above(300 * 60 * 0.5);
    });
  }
});
