// The scheduler's plugin framework, after Nova's FilterScheduler (nova/scheduler/manager.py,
// filters.py, weights.py): placement-style resource checks and filters remove hosts, weighers
// rank the rest (each normalised to [0, 1], times its multiplier, summed), and the winner is
// picked at random among the best `host_subset_size`. Everything here is pure.

/** Resources in Placement's classes: VCPU, MEMORY_MB, DISK_GB. */
export interface Resources {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

/** One compute host as the scheduler sees it (Nova's HostState). */
export interface HostState {
  name: string;
  /** What servers may use: (total - reserved) * allocation ratio, per resource. */
  limits: Resources;
  /** What servers placed here (and decisions not yet observed) use. */
  used: Resources;
  numInstances: number;
  enabled: boolean;
  up: boolean;
  /** The host's availability zone (from its aggregates), or the default zone. */
  availabilityZone: string;
  aggregates: { name: string; metadata: Record<string, string>; availabilityZone?: string }[];
}

/** What is being placed (Nova's RequestSpec). */
export interface RequestSpec {
  /** The server's Nova id. */
  instanceUuid: string;
  projectId: string;
  flavor: { name: string; vcpus: number; ram: number; disk: number; ephemeral: number; swap: number };
  availabilityZone?: string;
  /** Hosts to skip: where earlier attempts of this build failed (Nova's retry alternates). */
  ignoreHosts: string[];
  schedulerHints: Record<string, unknown>;
}

/** A filter's verdict on one host: undefined passes; a string says why it does not. */
export type FilterVerdict = string | undefined;

export interface Filter {
  /** Nova's class name, e.g. ComputeFilter. */
  readonly name: string;
  hostPasses(host: HostState, spec: RequestSpec): FilterVerdict;
}

export interface Weigher {
  readonly name: string;
  /** The config option of its multiplier, e.g. ram_weight_multiplier. */
  readonly multiplierOption: string;
  readonly multiplier: number;
  /** Raw weights are clamped to [minval, maxval] before normalising, as in nova/weights.py. */
  readonly minval?: number;
  readonly maxval?: number;
  weigh(host: HostState, spec: RequestSpec): number;
}

/** One line of Nova's filter log: "ComputeFilter: (start: 50, end: 12)". */
export interface FilterResult {
  filter: string;
  start: number;
  end: number;
}

export interface Selection {
  host?: HostState;
  /** Hosts ranked best first (after filtering), with their total weight. */
  ranked: { host: HostState; weight: number }[];
  filterResults: FilterResult[];
}

/** Runs the filters in order, stopping at the first that leaves no host (Nova's get_filtered_objects). */
export function filterHosts(
  filters: readonly Filter[],
  hosts: readonly HostState[],
  spec: RequestSpec,
): { passed: HostState[]; results: FilterResult[] } {
  let passed = [...hosts];
  const results: FilterResult[] = [];
  for (const f of filters) {
    const start = passed.length;
    passed = passed.filter((h) => f.hostPasses(h, spec) === undefined);
    results.push({ filter: f.name, start, end: passed.length });
    if (!passed.length) break;
  }
  return { passed, results };
}

/** Nova's weights.normalize: to [0, 1] between min and max; all equal → all 0. */
export function normalize(weights: number[], minval?: number, maxval?: number): number[] {
  if (!weights.length) return [];
  const max = maxval ?? Math.max(...weights);
  const min = minval ?? Math.min(...weights);
  if (min === max) return weights.map(() => 0);
  return weights.map((w) => (w - min) / (max - min));
}

/** Ranks hosts best first: sum over weighers of multiplier × normalised weight. */
export function weighHosts(
  weighers: readonly Weigher[],
  hosts: readonly HostState[],
  spec: RequestSpec,
): { host: HostState; weight: number }[] {
  const totals = hosts.map(() => 0);
  if (hosts.length > 1) {
    for (const w of weighers) {
      const raw = hosts.map((h) => {
        let v = w.weigh(h, spec);
        if (w.minval !== undefined) v = Math.max(v, w.minval);
        if (w.maxval !== undefined) v = Math.min(v, w.maxval);
        return v;
      });
      normalize(raw, w.minval, w.maxval).forEach((n, i) => (totals[i]! += w.multiplier * n));
    }
  }
  return hosts.map((host, i) => ({ host, weight: totals[i]! })).sort((a, b) => b.weight - a.weight);
}

/** Filters, weighs and picks one of the best `hostSubsetSize` hosts at random. */
export function selectHost(
  filters: readonly Filter[],
  weighers: readonly Weigher[],
  hosts: readonly HostState[],
  spec: RequestSpec,
  hostSubsetSize = 1,
  random: () => number = Math.random,
): Selection {
  const { passed, results } = filterHosts(filters, hosts, spec);
  const ranked = weighHosts(weighers, passed, spec);
  const subset = ranked.slice(0, Math.max(1, Math.min(hostSubsetSize, ranked.length)));
  const chosen = subset[Math.floor(random() * subset.length)];
  return { host: chosen?.host, ranked, filterResults: results };
}

/** Nova's NoValidHost fault message, with the filter log Nova writes beside it. */
export function noValidHostMessage(
  spec: RequestSpec,
  results: readonly FilterResult[],
): {
  message: string;
  details: string;
} {
  const log = results.map((r) => `'${r.filter}: (start: ${r.start}, end: ${r.end})'`).join(', ');
  return {
    message: 'No valid host was found. There are not enough hosts available.',
    details: `Filtering removed all hosts for the request with instance ID '${spec.instanceUuid}'. Filter results: [${log}]`,
  };
}

/** What a server asks of a host, in Placement's resource classes. */
export function requestedResources(spec: RequestSpec): Resources {
  const f = spec.flavor;
  return { vcpus: f.vcpus, memoryMb: f.ram, diskGb: f.disk + f.ephemeral + Math.ceil(f.swap / 1024) };
}
