// The scheduler's view of the hosts, kept from informers: each host's limits (capacity, reserved
// amounts and allocation ratios), its zone, and what the servers on it use. Decisions the
// scheduler made but has not yet seen come back through the informer are counted as "assumed"
// (as kube-scheduler assumes pods), so two decisions in a row never use the same room twice.
import type { Aggregate, ComputeHost, Server } from '../api/v1alpha1/index.ts';
import type { ComputeConfig } from '../config.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Informer } from '../runtime/informer.ts';
import type { HostState, Resources } from './framework.ts';

interface Claim extends Resources {
  host: string;
}

/** An assumed decision not confirmed by the informer within this long is dropped. */
const ASSUME_TTL_MS = 30_000;

/** What a server takes from its host: its flavor in Placement's resource classes. */
export function claimOf(s: Server): Claim | undefined {
  const host = s.status?.host;
  const f = s.status?.flavor;
  if (!host || !f) return undefined;
  return { host, vcpus: f.vcpus, memoryMb: f.ram, diskGb: f.disk + f.ephemeral + Math.ceil(f.swap / 1024) };
}

/** A host's limits: (total - reserved) × allocation ratio, per resource (Placement inventory). */
export function hostLimits(ch: ComputeHost, config: ComputeConfig): Resources | undefined {
  const cap = ch.status?.capacity;
  if (!cap) return undefined;
  const s = ch.spec;
  return {
    vcpus:
      (cap.vcpus - (s.reservedHostCpus ?? config.reserved_host_cpus)) *
      (s.cpuAllocationRatio ?? config.cpu_allocation_ratio),
    memoryMb:
      (cap.memoryMb - (s.reservedHostMemoryMb ?? config.reserved_host_memory_mb)) *
      (s.ramAllocationRatio ?? config.ram_allocation_ratio),
    diskGb:
      (cap.localGb - Math.ceil((s.reservedHostDiskMb ?? config.reserved_host_disk_mb) / 1024)) *
      (s.diskAllocationRatio ?? config.disk_allocation_ratio),
  };
}

export class SchedulerCache {
  private readonly observed = new Map<string, Claim>(); // by server uid
  private readonly assumed = new Map<string, Claim & { at: number }>();
  private readonly computeHosts: Informer<ComputeHost>;
  private readonly aggregates: Informer<Aggregate>;
  private readonly config: ComputeConfig;
  private readonly clock: Clock;

  constructor(deps: {
    servers: Informer<Server>;
    computeHosts: Informer<ComputeHost>;
    aggregates: Informer<Aggregate>;
    config: ComputeConfig;
    clock: Clock;
  }) {
    this.computeHosts = deps.computeHosts;
    this.aggregates = deps.aggregates;
    this.config = deps.config;
    this.clock = deps.clock;
    const observe = (s: Server) => {
      const uid = s.metadata.uid!;
      const claim = claimOf(s);
      if (claim) this.observed.set(uid, claim);
      else this.observed.delete(uid);
      const assumed = this.assumed.get(uid);
      if (assumed && claim?.host === assumed.host) this.assumed.delete(uid); // confirmed
    };
    deps.servers.addHandler({
      add: observe,
      update: (_old, s) => observe(s),
      delete: (s) => {
        this.observed.delete(s.metadata.uid!);
        this.assumed.delete(s.metadata.uid!);
      },
    });
  }

  isAssumed(uid: string): boolean {
    return this.assumed.has(uid);
  }

  assume(uid: string, claim: Claim): void {
    this.assumed.set(uid, { ...claim, at: this.clock.now() });
  }

  forget(uid: string): void {
    this.assumed.delete(uid);
  }

  /** Every host with a reported capacity, with its usage including assumed decisions. */
  hostStates(): HostState[] {
    const now = this.clock.now();
    const used = new Map<string, Resources & { n: number }>();
    const add = (c: Claim) => {
      const u = used.get(c.host) ?? { vcpus: 0, memoryMb: 0, diskGb: 0, n: 0 };
      u.vcpus += c.vcpus;
      u.memoryMb += c.memoryMb;
      u.diskGb += c.diskGb;
      u.n++;
      used.set(c.host, u);
    };
    for (const c of this.observed.values()) add(c);
    for (const [uid, c] of this.assumed) {
      if (now - c.at > ASSUME_TTL_MS) this.assumed.delete(uid);
      else add(c);
    }
    const aggregates = this.aggregates.list();
    const states: HostState[] = [];
    for (const ch of this.computeHosts.list()) {
      const name = ch.metadata.name!;
      const limits = hostLimits(ch, this.config);
      if (!limits) continue;
      const mine = aggregates.filter((a) => a.spec.hosts?.includes(name));
      const u = used.get(name) ?? { vcpus: 0, memoryMb: 0, diskGb: 0, n: 0 };
      states.push({
        name,
        limits,
        used: { vcpus: u.vcpus, memoryMb: u.memoryMb, diskGb: u.diskGb },
        numInstances: u.n,
        enabled: !ch.spec.disabled,
        up: ch.status?.state === 'up' && !ch.spec.forcedDown,
        availabilityZone:
          mine.find((a) => a.spec.availabilityZone)?.spec.availabilityZone ??
          this.config.default_availability_zone,
        aggregates: mine.map((a) => ({
          name: a.spec.name,
          metadata: a.spec.metadata ?? {},
          availabilityZone: a.spec.availabilityZone,
        })),
      });
    }
    return states;
  }
}
