// selectHost, remembered between decisions. A storm of like requests (same flavor, image,
// project, hints...) changes one host per decision: the one the last server was assumed onto.
// This keeps, per host, which filter first rejected it and each weigher's raw weight, and
// recomputes them only for hosts whose version moved (the cache bumps HostState.version on every
// change) or when the request's shape, the host list or the plugins change. Normalising,
// summing and picking still run over every passing host, so the result is selectHost's exactly:
// a host goes through filters in order and stops at the first that rejects it, which is the set
// of (host, filter) evaluations Nova's filter-by-filter loop makes.
//
// The request's shape leaves out the server's own id: a server awaiting scheduling holds no
// claim on any host (the scheduler skips servers already decided), so no plugin's answer for a
// host depends on it.
import {
  type FilterResult,
  type HostState,
  type RequestSpec,
  type Selection,
  hasAggregateMultiplier,
  hostMultiplier,
} from './framework.ts';
import type { SchedulerPlugins } from './registry.ts';

const PASSES = -1;

/** Everything in a request that a plugin's answer may depend on. */
export function requestShape(spec: RequestSpec): string {
  const placement = spec.placement && {
    ...spec.placement,
    requiredAggregates: spec.placement.requiredAggregates.map((s) => [...s].sort()),
    forbiddenAggregates: [...spec.placement.forbiddenAggregates].sort(),
  };
  return JSON.stringify({ ...spec, instanceUuid: undefined, placement });
}

export class IncrementalSelector {
  private hosts?: readonly HostState[];
  private plugins?: SchedulerPlugins;
  private shape?: string;
  private versions = new Float64Array(0);
  private firstReject = new Int32Array(0);
  private raw: Float64Array[] = [];
  /** Per weigher, whether some host's aggregates override its multiplier (known per host list). */
  private perHostMultiplier: boolean[] = [];
  /** Hosts recomputed by the last select (for tests and curiosity). */
  recomputed = 0;

  select(
    plugins: SchedulerPlugins,
    hosts: readonly HostState[],
    spec: RequestSpec,
    random: () => number = Math.random,
  ): Selection {
    const { filters, weighers, config } = plugins;
    const shape = requestShape(spec);
    const fresh = hosts !== this.hosts || plugins !== this.plugins || shape !== this.shape;
    if (fresh) {
      this.hosts = hosts;
      this.plugins = plugins;
      this.shape = shape;
      this.versions = new Float64Array(hosts.length).fill(-1);
      this.firstReject = new Int32Array(hosts.length);
      this.raw = weighers.map(() => new Float64Array(hosts.length));
      this.perHostMultiplier = weighers.map((w) => hasAggregateMultiplier(w, hosts));
    }
    const applies = filters.map((f) => f.appliesTo?.(spec) !== false);
    const weighs = weighers.map(
      (w, i) => (w.multiplier !== 0 || this.perHostMultiplier[i]!) && w.appliesTo?.(spec) !== false,
    );
    this.recomputed = 0;
    for (let i = 0; i < hosts.length; i++) {
      const host = hosts[i]!;
      if (this.versions[i] === host.version) continue;
      this.recomputed++;
      let rejectedBy = PASSES;
      for (let k = 0; k < filters.length; k++) {
        if (applies[k] && filters[k]!.hostPasses(host, spec) !== undefined) {
          rejectedBy = k;
          break;
        }
      }
      this.firstReject[i] = rejectedBy;
      if (rejectedBy === PASSES) {
        for (let w = 0; w < weighers.length; w++) {
          if (!weighs[w]) continue;
          const { minval, maxval } = weighers[w]!;
          let v = weighers[w]!.weigh(host, spec);
          if (minval !== undefined && v < minval) v = minval;
          if (maxval !== undefined && v > maxval) v = maxval;
          this.raw[w]![i] = v;
        }
      }
      this.versions[i] = host.version;
    }

    // Nova's filter log: hosts at the start and end of each filter, up to the first that ends at 0.
    const rejectedAt = new Int32Array(filters.length);
    const passed: number[] = [];
    for (let i = 0; i < hosts.length; i++) {
      const k = this.firstReject[i]!;
      if (k === PASSES) passed.push(i);
      else rejectedAt[k]!++;
    }
    const filterResults: FilterResult[] = [];
    let remaining = hosts.length;
    for (let k = 0; k < filters.length; k++) {
      const end = remaining - rejectedAt[k]!;
      filterResults.push({ filter: filters[k]!.name, start: remaining, end });
      remaining = end;
      if (end === 0) break;
    }

    // Weigh the passing hosts: normalise each weigher over them, as weighHosts does.
    const totals = new Float64Array(passed.length);
    if (passed.length > 1) {
      for (let w = 0; w < weighers.length; w++) {
        if (!weighs[w]) continue;
        const weigher = weighers[w]!;
        const { minval, maxval, multiplier } = weigher;
        const perHost = this.perHostMultiplier[w]!;
        const raw = this.raw[w]!;
        let max = maxval ?? -Infinity;
        let min = minval ?? Infinity;
        if (maxval === undefined || minval === undefined) {
          for (const i of passed) {
            const v = raw[i]!;
            if (maxval === undefined && v > max) max = v;
            if (minval === undefined && v < min) min = v;
          }
        }
        const range = max - min;
        if (range === 0) continue; // all equal: every host normalises to 0
        for (let p = 0; p < passed.length; p++) {
          const m = perHost ? hostMultiplier(weigher, hosts[passed[p]!]!) : multiplier;
          totals[p]! += m * ((raw[passed[p]!]! - min) / range);
        }
      }
    }
    const k = Math.max(1, Math.min(config.host_subset_size, passed.length));
    const best: number[] = [];
    for (let p = 0; p < passed.length; p++) {
      let at = best.length;
      while (at > 0 && totals[best[at - 1]!]! < totals[p]!) at--;
      if (at < k) {
        best.splice(at, 0, p);
        if (best.length > k) best.pop();
      }
    }
    const ranked = best.map((p) => ({ host: hosts[passed[p]!]!, weight: totals[p]! }));
    const chosen = ranked[Math.floor(random() * ranked.length)];
    return { host: chosen?.host, ranked, filterResults };
  }
}
