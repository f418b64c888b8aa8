// The scheduler's plugin framework, after Nova's FilterScheduler (nova/scheduler/manager.py,
// filters.py, weights.py): placement-style resource checks and filters remove hosts, weighers
// rank the rest (each normalised to [0, 1], times its multiplier, summed), and the winner is
// picked at random among the best `host_subset_size`. Everything here is pure.
import type { PlacementRequest } from './placement.ts';
import { aggregateValuesFromKey, pyFloat, validateNumValues } from './utils.ts';

/** Resources in Placement's classes: VCPU, MEMORY_MB, DISK_GB. */
export interface Resources {
  vcpus: number;
  memoryMb: number;
  diskGb: number;
}

/** A server on a host, as filters and weighers see it (Nova's HostState.instances). */
export interface InstanceOnHost {
  uuid: string;
  projectId: string;
  flavorName: string;
  vmState?: string;
  taskState?: string;
  /** Nova id of its server group, if any. */
  serverGroup?: string;
}

export interface AggregateInfo {
  name: string;
  /** Nova uuid (metadata.uid). */
  uuid: string;
  hosts: string[];
  metadata: Record<string, string>;
  availabilityZone?: string;
}

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: Taint['effect'];
}

/** One compute host as the scheduler sees it (Nova's HostState, nova/scheduler/host_manager.py). */
export interface HostState {
  /** Nova's host and nodename: the Kubernetes node name. */
  name: string;
  /** Bumped by the scheduler cache on every change of this state (lets results be reused). */
  version: number;
  hostIp?: string;
  /** Physical resources less the reserved ones (vcpus_total, total_usable_ram_mb, total_usable_disk_gb). */
  total: Resources;
  /** cpu_, ram_ and disk_allocation_ratio. */
  allocationRatios: Resources;
  /** What servers may use: total × allocation ratio, per resource (Placement's capacity). */
  limits: Resources;
  /** What servers placed here (and decisions not yet observed) use. */
  used: Resources;
  numInstances: number;
  /** Servers here in an I/O-heavy task: building, resizing, snapshotting, ... (num_io_ops). */
  numIoOps: number;
  instances: InstanceOnHost[];
  enabled: boolean;
  up: boolean;
  /** The host's availability zone (from its aggregates), or the default zone. */
  availabilityZone: string;
  aggregates: AggregateInfo[];
  hypervisorType?: string;
  hypervisorVersion?: number;
  cpuInfo?: Record<string, unknown>;
  /** Placement traits: the node's labels traits.kova.io/<TRAIT>=true, and the driver's own. */
  traits: string[];
  /** Named metrics the host reports (MetricsWeigher). */
  metrics: Record<string, number>;
  /** Builds that failed here since the last success (BuildFailureWeigher). */
  failedBuilds: number;
  /** The Kubernetes node behind the host. */
  node: { ready: boolean; unschedulable: boolean; taints: Taint[]; labels: Record<string, string> };
}

/** What is being placed (Nova's RequestSpec, nova/objects/request_spec.py). */
export interface RequestSpec {
  /** The server's Nova id. */
  instanceUuid: string;
  projectId: string;
  userId?: string;
  flavor: {
    id?: string;
    name: string;
    vcpus: number;
    ram: number;
    disk: number;
    ephemeral: number;
    swap: number;
    extraSpecs: Record<string, string>;
  };
  /** The image's id and properties (hw_*, img_*, os_*, architecture, ...). */
  image: { id?: string; properties: Record<string, string> };
  availabilityZone?: string;
  /** Hosts to skip: where earlier attempts of this build failed (Nova's retry alternates). */
  ignoreHosts: string[];
  /** Free-form hints: same_host, different_host, query, build_near_host_ip, cidr, group, ... */
  schedulerHints: Record<string, unknown>;
  /** Servers of one multi-create request (min_count/max_count). */
  numInstances: number;
  /** The server group being joined, with where its other members are (placed or decided). */
  instanceGroup?: {
    uuid: string;
    policy: 'affinity' | 'anti-affinity' | 'soft-affinity' | 'soft-anti-affinity';
    maxServerPerHost?: number;
    /** Host of each other member, one entry per member placed. */
    memberHosts: string[];
  };
  /** 2.74 host: a destination to check with the filters (requested_destination). */
  requestedHost?: string;
  /** Kubernetes taints this server tolerates. */
  tolerations: Toleration[];
  /** Placement's request after the request pre-filters (set by the scheduler; see placement.ts). */
  placement?: PlacementRequest;
}

/** A filter's verdict on one host: undefined passes; a string says why it does not. */
export type FilterVerdict = string | undefined;

export interface Filter {
  /** Nova's class name, e.g. ComputeFilter. */
  readonly name: string;
  hostPasses(host: HostState, spec: RequestSpec): FilterVerdict;
  /**
   * False when the request cannot fail any host here (no group, no extra specs, ...): the pass
   * is skipped, with the same result. A speed-up only; absent means always run.
   */
  appliesTo?(spec: RequestSpec): boolean;
}

export interface Weigher {
  readonly name: string;
  /** The config option of its multiplier, e.g. ram_weight_multiplier. */
  readonly multiplierOption: string;
  readonly multiplier: number;
  /** Raw weights are clamped to [minval, maxval] before normalising, as in nova/weights.py. */
  readonly minval?: number;
  readonly maxval?: number;
  /** The multiplier is the option negated (BuildFailureWeigher), also when an aggregate sets it. */
  readonly negated?: boolean;
  weigh(host: HostState, spec: RequestSpec): number;
  /** False when every host would weigh the same for this request: the pass is skipped. */
  appliesTo?(spec: RequestSpec): boolean;
}

/** One line of Nova's filter log: "ComputeFilter: (start: 50, end: 12)". */
export interface FilterResult {
  filter: string;
  start: number;
  end: number;
}

export interface Selection {
  host?: HostState;
  /** The best host_subset_size hosts, best first, with their total weight. */
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
    if (f.appliesTo?.(spec) !== false) passed = passed.filter((h) => f.hostPasses(h, spec) === undefined);
    results.push({ filter: f.name, start, end: passed.length });
    if (!passed.length) break;
  }
  return { passed, results };
}

/** Nova's weights.normalize: to [0, 1] between min and max; all equal → all 0. */
export function normalize(weights: ArrayLike<number>, minval?: number, maxval?: number): number[] {
  return Array.from(normalizeInPlace(Float64Array.from(weights), minval, maxval));
}

function normalizeInPlace(weights: Float64Array, minval?: number, maxval?: number): Float64Array {
  let max = maxval ?? -Infinity;
  let min = minval ?? Infinity;
  if (maxval === undefined || minval === undefined) {
    for (const w of weights) {
      if (maxval === undefined && w > max) max = w;
      if (minval === undefined && w < min) min = w;
    }
  }
  const range = max - min;
  for (let i = 0; i < weights.length; i++) weights[i] = range === 0 ? 0 : (weights[i]! - min) / range;
  return weights;
}

/**
 * A weigher's multiplier on one host (nova/scheduler/utils.py get_weight_multiplier): the
 * smallest value of the option in the host's aggregates' metadata, else the configured one; a
 * value that is not a number is ignored, as Nova logs and ignores it.
 */
export function hostMultiplier(w: Weigher, host: HostState): number {
  const values = aggregateValuesFromKey(host, w.multiplierOption);
  if (!values.size) return w.multiplier;
  const configured = w.negated ? -w.multiplier : w.multiplier;
  let value: number;
  try {
    value = validateNumValues(values, configured, pyFloat);
  } catch {
    value = configured;
  }
  return w.negated ? -value : value;
}

/** Whether any host's aggregates set this weigher's multiplier. */
export function hasAggregateMultiplier(w: Weigher, hosts: readonly HostState[]): boolean {
  return hosts.some((h) => h.aggregates.some((a) => Object.hasOwn(a.metadata, w.multiplierOption)));
}

/**
 * Total weight of every host: the sum over weighers of multiplier × normalised weight. A weigher
 * with multiplier 0 everywhere cannot change the result and is skipped (NumInstancesWeigher by
 * default).
 */
export function weighHosts(
  weighers: readonly Weigher[],
  hosts: readonly HostState[],
  spec: RequestSpec,
): Float64Array {
  const totals = new Float64Array(hosts.length);
  if (hosts.length <= 1) return totals;
  const raw = new Float64Array(hosts.length);
  for (const w of weighers) {
    const perHost = hasAggregateMultiplier(w, hosts);
    if ((w.multiplier === 0 && !perHost) || w.appliesTo?.(spec) === false) continue;
    const { minval, maxval } = w;
    for (let i = 0; i < hosts.length; i++) {
      let v = w.weigh(hosts[i]!, spec);
      if (minval !== undefined && v < minval) v = minval;
      if (maxval !== undefined && v > maxval) v = maxval;
      raw[i] = v;
    }
    normalizeInPlace(raw, w.minval, w.maxval);
    for (let i = 0; i < hosts.length; i++)
      totals[i]! += (perHost ? hostMultiplier(w, hosts[i]!) : w.multiplier) * raw[i]!;
  }
  return totals;
}

/** Every host with its total weight, best first (stable for ties): Nova's get_weighed_objects. */
export function rankHosts(
  weighers: readonly Weigher[],
  hosts: readonly HostState[],
  spec: RequestSpec,
): { host: HostState; weight: number }[] {
  const totals = weighHosts(weighers, hosts, spec);
  return hosts.map((host, i) => ({ host, weight: totals[i]! })).sort((a, b) => b.weight - a.weight);
}

/**
 * Filters, weighs and picks one of the best `hostSubsetSize` hosts at random. `ranked` holds those
 * best hosts, best first (ties keep the hosts' order, as Python's stable sort does).
 */
export function selectHost(
  filters: readonly Filter[],
  weighers: readonly Weigher[],
  hosts: readonly HostState[],
  spec: RequestSpec,
  hostSubsetSize = 1,
  random: () => number = Math.random,
): Selection {
  const { passed, results } = filterHosts(filters, hosts, spec);
  const totals = weighHosts(weighers, passed, spec);
  const k = Math.max(1, Math.min(hostSubsetSize, passed.length));
  // The k best in one pass (k is small): no need to sort every host.
  const best: number[] = [];
  for (let i = 0; i < passed.length; i++) {
    let at = best.length;
    while (at > 0 && totals[best[at - 1]!]! < totals[i]!) at--;
    if (at < k) {
      best.splice(at, 0, i);
      if (best.length > k) best.pop();
    }
  }
  const ranked = best.map((i) => ({ host: passed[i]!, weight: totals[i]! }));
  const chosen = ranked[Math.floor(random() * ranked.length)];
  return { host: chosen?.host, ranked, filterResults: results };
}

/**
 * Memoises per request what a plugin derives from the request alone (parsed image properties,
 * the placement request), so that thousands of hosts do not each compute it again.
 */
export function perRequest<T>(compute: (spec: RequestSpec) => T): (spec: RequestSpec) => T {
  let lastSpec: RequestSpec | undefined;
  let lastValue: T;
  return (spec) => {
    // Called for every host with the same spec: remember the last one.
    if (spec !== lastSpec) {
      lastValue = compute(spec);
      lastSpec = spec;
    }
    return lastValue;
  };
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
