// The scheduler's view of the hosts, kept incrementally from informers: each host's Nova
// HostState (limits from capacity, reserved amounts and allocation ratios; zone and aggregates;
// node readiness, taints and traits) and what the servers on it use. Decisions the scheduler made
// but has not yet seen come back through the informer are "assumed" (as kube-scheduler assumes
// pods), so two decisions in a row never use the same room twice. hostStates() costs nothing:
// states are updated in place as events arrive.
import type { Aggregate, ComputeHost, Server, ServerGroup } from '../api/v1alpha1/index.ts';
import { resolveServerGroup } from '../compute/server.ts';
import type { ComputeConfig } from '../config.ts';
import type { Node } from '../controllers/computehost.ts';
import { DRIVER_TRAITS } from '../drivers/driver.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Informer } from '../runtime/informer.ts';
import type { AggregateInfo, HostState, InstanceOnHost, Resources, Taint } from './framework.ts';

/** Node labels trait.compute.kova.io/<TRAIT>=true give a host Placement traits. */
export const TRAIT_LABEL_PREFIX = 'trait.compute.kova.io/';
/** A node's zone label is its availability zone when no aggregate puts it in one. */
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** An assumed decision not confirmed by the informer within this long is dropped. */
const ASSUME_TTL_MS = 30_000;

/** vm/task states Nova counts as I/O-heavy (nova/compute/stats.py io_workload). */
const IO_TASKS = new Set([
  'resize_migrating',
  'rebuilding',
  'resize_prep',
  'image_snapshot',
  'image_backup',
  'rescuing',
  'unshelving',
]);

export interface Claim extends Resources {
  host: string;
  instance: InstanceOnHost;
}

type FlavorCopy = NonNullable<NonNullable<Server['status']>['flavor']>;

/**
 * What a server takes from hosts, in Placement's resource classes: its flavor on its host; and,
 * while it moves (Nova's migration allocations), the new flavor on the destination until the
 * move finishes, then the old flavor on the source until it is confirmed or reverted.
 */
export function claimsOf(s: Server, group?: string): Claim[] {
  const st = s.status;
  const instance: InstanceOnHost = {
    uuid: s.metadata.uid!,
    projectId: s.metadata.namespace!,
    flavorName: st?.flavor?.name ?? '',
    vmState: st?.vmState,
    taskState: st?.taskState,
    serverGroup: group,
  };
  const claim = (host: string, f: FlavorCopy): Claim => ({
    host,
    vcpus: f.vcpus,
    memoryMb: f.ram,
    diskGb: f.disk + f.ephemeral + Math.ceil(f.swap / 1024),
    instance,
  });
  const claims: Claim[] = [];
  if (st?.host && st.flavor) claims.push(claim(st.host, st.flavor));
  const m = st?.migration;
  if (m?.destHost && !m.finishedAt) claims.push(claim(m.destHost, m.newFlavor));
  if (m?.finishedAt && m.sourceHost && m.oldFlavor) claims.push(claim(m.sourceHost, m.oldFlavor));
  return claims;
}

const isIo = (i: InstanceOnHost) => i.vmState === 'building' || IO_TASKS.has(i.taskState ?? '');

/** A host's usable resources (total less reserved) and allocation ratios, as Placement's inventory. */
export function hostInventory(
  ch: ComputeHost,
  config: ComputeConfig,
): { total: Resources; ratios: Resources } | undefined {
  const cap = ch.status?.capacity;
  if (!cap) return undefined;
  const s = ch.spec;
  return {
    total: {
      vcpus: cap.vcpus - (s.reservedHostCpus ?? config.reserved_host_cpus),
      memoryMb: cap.memoryMb - (s.reservedHostMemoryMb ?? config.reserved_host_memory_mb),
      diskGb: cap.localGb - Math.ceil((s.reservedHostDiskMb ?? config.reserved_host_disk_mb) / 1024),
    },
    ratios: {
      vcpus: s.cpuAllocationRatio ?? config.cpu_allocation_ratio,
      memoryMb: s.ramAllocationRatio ?? config.ram_allocation_ratio,
      diskGb: s.diskAllocationRatio ?? config.disk_allocation_ratio,
    },
  };
}

function aggregateInfo(a: Aggregate): AggregateInfo {
  return {
    name: a.spec.name,
    uuid: a.metadata.uid!,
    hosts: a.spec.hosts ?? [],
    metadata: a.spec.metadata ?? {},
    availabilityZone: a.spec.availabilityZone,
  };
}

export interface SchedulerCacheDeps {
  servers: Informer<Server>;
  computeHosts: Informer<ComputeHost>;
  aggregates: Informer<Aggregate>;
  nodes: Informer<Node>;
  serverGroups: Informer<ServerGroup>;
  config: ComputeConfig;
  clock: Clock;
}

export class SchedulerCache {
  private readonly deps: SchedulerCacheDeps;
  private readonly states = new Map<string, HostState>();
  private list: HostState[] | undefined;
  private readonly observed = new Map<string, Claim[]>(); // by server uid
  private readonly assumed = new Map<string, Claim & { at: number }>();
  private readonly failedBuilds = new Map<string, number>();

  constructor(deps: SchedulerCacheDeps) {
    this.deps = deps;
    const rebuild = (name: string | undefined) => name && this.rebuildHost(name);
    deps.computeHosts.addHandler({
      add: (ch) => rebuild(ch.metadata.name),
      update: (_o, ch) => rebuild(ch.metadata.name),
      delete: (ch) => rebuild(ch.metadata.name),
    });
    deps.nodes.addHandler({
      add: (n) => rebuild(n.metadata.name),
      update: (_o, n) => rebuild(n.metadata.name),
      delete: (n) => rebuild(n.metadata.name),
    });
    const rebuildMembers = (a: Aggregate) => a.spec.hosts?.forEach((h) => this.rebuildHost(h));
    deps.aggregates.addHandler({
      add: rebuildMembers,
      update: (old, a) => {
        rebuildMembers(old);
        rebuildMembers(a);
      },
      delete: rebuildMembers,
    });
    deps.servers.addHandler({
      add: (s) => this.observe(undefined, s),
      update: (old, s) => this.observe(old, s),
      delete: (s) => {
        this.setClaims(s.metadata.uid!, []);
        this.unassume(s.metadata.uid!);
      },
    });
  }

  /** The Nova id of the server group a server names (by uid or metadata.name in its project). */
  groupOf(s: Server): ServerGroup | undefined {
    return resolveServerGroup(s, this.deps.serverGroups.list());
  }

  private observe(old: Server | undefined, s: Server): void {
    const uid = s.metadata.uid!;
    const claims = claimsOf(s, this.groupOf(s)?.metadata.uid);
    this.setClaims(uid, claims);
    const assumed = this.assumed.get(uid);
    const same = (c: Claim) =>
      c.host === assumed!.host && c.vcpus === assumed!.vcpus && c.memoryMb === assumed!.memoryMb;
    if (assumed && claims.some(same)) this.unassume(uid); // confirmed
    const claim = claims[0];
    // BuildFailureWeigher's failed_builds: up on a failed build, back to 0 on a success.
    const failedBefore = new Set(old?.status?.retry?.hosts ?? []);
    for (const h of s.status?.retry?.hosts ?? []) {
      if (!failedBefore.has(h)) this.failedBuilds.set(h, (this.failedBuilds.get(h) ?? 0) + 1);
    }
    if (s.status?.vmState === 'active' && old?.status?.vmState === 'building' && claim)
      this.failedBuilds.set(claim.host, 0);
    for (const h of new Set([
      ...failedBefore,
      ...(s.status?.retry?.hosts ?? []),
      ...(claim ? [claim.host] : []),
    ])) {
      const st = this.states.get(h);
      const failed = this.failedBuilds.get(h) ?? 0;
      if (st && st.failedBuilds !== failed) {
        st.failedBuilds = failed;
        st.version++;
      }
    }
  }

  private apply(c: Claim, sign: 1 | -1): void {
    const st = this.states.get(c.host);
    if (!st) return;
    st.version++;
    st.used.vcpus += sign * c.vcpus;
    st.used.memoryMb += sign * c.memoryMb;
    st.used.diskGb += sign * c.diskGb;
    st.numInstances += sign;
    if (isIo(c.instance)) st.numIoOps += sign;
    if (sign > 0) st.instances.push(c.instance);
    else st.instances = st.instances.filter((i) => i !== c.instance);
  }

  private setClaims(uid: string, claims: Claim[]): void {
    for (const old of this.observed.get(uid) ?? []) this.apply(old, -1);
    for (const c of claims) this.apply(c, 1);
    if (claims.length) this.observed.set(uid, claims);
    else this.observed.delete(uid);
  }

  isAssumed(uid: string): boolean {
    return this.assumed.has(uid);
  }

  /** Counts a decision at once, before its binding is written and seen. */
  assume(uid: string, claim: Claim): void {
    this.unassume(uid);
    this.assumed.set(uid, { ...claim, at: this.deps.clock.now() });
    this.apply(claim, 1);
  }

  forget(uid: string): void {
    this.unassume(uid);
  }

  private unassume(uid: string): void {
    const a = this.assumed.get(uid);
    if (!a) return;
    this.assumed.delete(uid);
    this.apply(a, -1);
  }

  /** Hosts of the other members of a group, placed or decided (one entry per member). */
  memberHosts(groupUid: string, except: string): string[] {
    const hosts: string[] = [];
    for (const [uid, claims] of this.observed) {
      if (uid === except || this.assumed.has(uid)) continue;
      for (const c of claims) if (c.instance.serverGroup === groupUid) hosts.push(c.host);
    }
    for (const [uid, c] of this.assumed)
      if (uid !== except && c.instance.serverGroup === groupUid) hosts.push(c.host);
    return hosts;
  }

  /** Nova's default_availability_zone: the zone of hosts no aggregate or label puts in one. */
  get defaultAvailabilityZone(): string {
    return this.deps.config.default_availability_zone;
  }

  /** Nova's allow_resize_to_same_host. */
  get allowResizeToSameHost(): boolean {
    return this.deps.config.allow_resize_to_same_host;
  }

  /** Every aggregate, for the request pre-filters. */
  aggregates(): AggregateInfo[] {
    return this.deps.aggregates.list().map(aggregateInfo);
  }

  /** Every schedulable host's state; updated in place as events arrive. */
  hostStates(): HostState[] {
    const now = this.deps.clock.now();
    // Oldest first (a Map keeps insertion order and assume() re-inserts): stop at the first young one.
    for (const [uid, a] of this.assumed) {
      if (now - a.at <= ASSUME_TTL_MS) break;
      this.unassume(uid);
    }
    this.list ??= [...this.states.values()];
    return this.list;
  }

  /** Recomputes host's state from its ComputeHost, Node and aggregates, keeping its usage. */
  private rebuildHost(name: string): void {
    const ch = this.deps.computeHosts.get(name);
    const inventory = ch && hostInventory(ch, this.deps.config);
    if (!ch || !inventory) {
      if (this.states.delete(name)) this.list = undefined;
      return;
    }
    const node = this.deps.nodes.get(name);
    const aggregates = this.deps.aggregates
      .list()
      .filter((a) => a.spec.hosts?.includes(name))
      .map(aggregateInfo);
    const labels = node?.metadata.labels ?? {};
    const traits = [
      ...(DRIVER_TRAITS[ch.status?.driver ?? ''] ?? []),
      ...Object.entries(labels)
        .filter(([k, v]) => k.startsWith(TRAIT_LABEL_PREFIX) && v === 'true')
        .map(([k]) => k.slice(TRAIT_LABEL_PREFIX.length)),
    ];
    const { total, ratios } = inventory;
    const state: HostState = {
      name,
      version: 0,
      hostIp: ch.status?.hostIp,
      total,
      allocationRatios: ratios,
      limits: {
        vcpus: total.vcpus * ratios.vcpus,
        memoryMb: total.memoryMb * ratios.memoryMb,
        diskGb: total.diskGb * ratios.diskGb,
      },
      used: { vcpus: 0, memoryMb: 0, diskGb: 0 },
      numInstances: 0,
      numIoOps: 0,
      instances: [],
      enabled: !ch.spec.disabled,
      up: ch.status?.state === 'up' && !ch.spec.forcedDown,
      availabilityZone:
        aggregates.find((a) => a.availabilityZone)?.availabilityZone ??
        labels[ZONE_LABEL] ??
        this.deps.config.default_availability_zone,
      aggregates,
      hypervisorType: ch.status?.hypervisorType,
      hypervisorVersion: ch.status?.hypervisorVersion,
      cpuInfo: ch.status?.cpuInfo,
      traits,
      metrics: {},
      failedBuilds: this.failedBuilds.get(name) ?? 0,
      node: {
        ready: node?.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
        unschedulable: node?.spec?.unschedulable ?? false,
        taints: (node?.spec?.taints ?? []) as Taint[],
        labels,
      },
    };
    this.states.set(name, state);
    this.list = undefined;
    for (const claims of this.observed.values())
      for (const c of claims) if (c.host === name) this.apply(c, 1);
    for (const c of this.assumed.values()) if (c.host === name) this.apply(c, 1);
  }
}
