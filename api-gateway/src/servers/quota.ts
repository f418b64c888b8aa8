// The instances/cores/ram quota check of a server create (nova/compute/utils.py
// check_num_instances_quota, get_headroom, get_over_quota_detail): how many of min..max servers
// fit the project's quota, or Nova's 403 TooManyInstances.
import {
  QUOTA_RESOURCES,
  type Flavor,
  type ProjectQuota,
  type Server,
} from '../../../operator/src/api/v1alpha1/index.ts';
import { quotaHeldBy, serverUsage } from '../../../operator/src/controllers/projectquota.ts';
import { ApiError } from '../errors.ts';

type Resource = 'instances' | 'cores' | 'ram';
const RESOURCES: Resource[] = ['instances', 'cores', 'ram'];

export type Usage = Record<Resource, number>;

/** The project's limits: its ProjectQuota, else the defaults ([quota] options). -1 is unlimited. */
export function limitsOf(quota: ProjectQuota | undefined): Usage {
  return {
    instances: quota?.spec.instances ?? QUOTA_RESOURCES.instances.default,
    cores: quota?.spec.cores ?? QUOTA_RESOURCES.cores.default,
    ram: quota?.spec.ram ?? QUOTA_RESOURCES.ram.default,
  };
}

/** How many servers of this flavor to create: max_count if it fits, else the most that fit (at least min_count). */
export function instancesAllowed(
  limits: Usage,
  used: Usage,
  flavor: { vcpus: number; ram: number },
  minCount: number,
  maxCount: number,
): number {
  const deltas: Usage = { instances: maxCount, cores: maxCount * flavor.vcpus, ram: maxCount * flavor.ram };
  const overs = RESOURCES.filter((r) => limits[r] >= 0 && used[r] + deltas[r] > limits[r]);
  if (overs.length === 0) return maxCount;

  const headroom: Usage = {
    instances: limits.instances - used.instances,
    cores: limits.cores - used.cores,
    ram: limits.ram - used.ram,
  };
  if (limits.cores === -1)
    headroom.cores = deltas.cores ? (headroom.instances * deltas.cores) / maxCount : headroom.instances;
  if (limits.ram === -1)
    headroom.ram = deltas.ram ? (headroom.instances * deltas.ram) / maxCount : headroom.instances;
  let allowed = limits.instances === -1 ? maxCount : headroom.instances;
  if (flavor.vcpus) allowed = Math.min(allowed, Math.floor(headroom.cores / flavor.vcpus));
  if (flavor.ram) allowed = Math.min(allowed, Math.floor(headroom.ram / flavor.ram));
  if (allowed >= minCount && allowed <= maxCount && allowed > 0) {
    return instancesAllowed(limits, used, flavor, minCount, allowed);
  }

  const requested: Record<Resource, string | number> = {
    instances: minCount === maxCount ? String(minCount) : `${minCount}-${maxCount}`,
    cores: deltas.cores,
    ram: deltas.ram,
  };
  const useds = { ...limits };
  for (const r of overs) useds[r] = limits[r] - headroom[r];
  throw tooManyInstances(overs, requested, useds, limits);
}

/** Nova's TooManyInstances (get_over_quota_detail): per resource over, requested, used and allowed. */
function tooManyInstances(
  overs: Resource[],
  requested: Record<Resource, string | number>,
  used: Usage,
  limits: Usage,
): ApiError {
  const join = (f: (r: Resource) => string | number) => overs.map(f).join(', ');
  return new ApiError(
    403,
    `Quota exceeded for ${overs.join(', ')}: Requested ${join((r) => requested[r])}, ` +
      `but already used ${join((r) => used[r])} of ${join((r) => limits[r])} ${overs.join(', ')}`,
  );
}

/**
 * The recheck after a create (check_num_instances_quota with deltas of 0 and orig_num_req): over
 * when the usage counted with the new servers in it (`withNew`) passes a limit. Nova's message
 * then says the request and a usage of the whole limit, for the resources the request does not
 * fit beside the servers admitted before it (`admittedBefore`; those of `withNew` when it fits
 * there, the count being inflated by concurrent creates not yet undone).
 */
export function recheckOver(
  limits: Usage,
  withNew: Usage,
  admittedBefore: Usage,
  flavor: { vcpus: number; ram: number },
  count: number,
): ApiError | undefined {
  const over = (used: Usage, delta: Usage) =>
    RESOURCES.filter((r) => limits[r] >= 0 && used[r] + delta[r] > limits[r]);
  const none: Usage = { instances: 0, cores: 0, ram: 0 };
  const requested = { instances: count, cores: count * flavor.vcpus, ram: count * flavor.ram };
  if (over(withNew, none).length === 0) return undefined;
  const beside = over(admittedBefore, requested);
  return tooManyInstances(beside.length ? beside : over(withNew, none), requested, limits, limits);
}

/**
 * compute.API._check_quota_for_upsize: a resize (or the revert of one) to a bigger flavor needs
 * room for the growth of cores and RAM (upsize_quota_delta); over, Nova's 403.
 */
export function checkUpsize(
  limits: Usage,
  used: Usage,
  from: { vcpus: number; ram: number },
  to: { vcpus: number; ram: number },
): void {
  const deltas: Usage = {
    instances: 0,
    cores: Math.max(0, to.vcpus - from.vcpus),
    ram: Math.max(0, to.ram - from.ram),
  };
  const overs = RESOURCES.filter((r) => deltas[r] > 0 && limits[r] >= 0 && used[r] + deltas[r] > limits[r]);
  if (overs.length > 0) throw tooManyInstances(overs, deltas, used, limits);
}

/** The project's instances, cores and RAM in use, as the ProjectQuota controller counts them. */
export const usage: (namespace: string, servers: readonly Server[], flavors: readonly Flavor[]) => Usage =
  serverUsage;

/** Creation order (creationTimestamp has whole seconds; the name breaks ties). */
const byCreation = (a: Server, b: Server) =>
  (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
  (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

/**
 * The usage a create is checked against and a refusal reports: the project's servers in creation
 * order, each counted while it fits the limits. One that does not is a concurrent create past the
 * quota that its recheck undoes: it holds nothing (counted, a burst would answer "already used
 * 12 of 10" until the undone are gone). The recheck itself decides on the plain count.
 */
export function admittedUsage(
  namespace: string,
  servers: readonly Server[],
  flavors: readonly Flavor[],
  limits: Usage,
): Usage {
  const used: Usage = { instances: 0, cores: 0, ram: 0 };
  for (const s of servers.filter((x) => x.metadata.namespace === namespace).sort(byCreation)) {
    const held = quotaHeldBy(s, flavors);
    if (!held || RESOURCES.some((r) => limits[r] >= 0 && used[r] + held[r] > limits[r])) continue;
    for (const r of RESOURCES) used[r] += held[r];
  }
  return used;
}

/**
 * The quota checks of Nova's API for actions on a server: a resize to a bigger flavor and the
 * revert of a downsize (_check_quota_for_upsize), a restore of a soft-deleted server, which no
 * longer counted (check_num_instances_quota for 1). An unshelve checks nothing: a shelved-offloaded
 * server still counts (the legacy quota driver; unified limits count placement instead).
 */
export function checkActionQuota(
  action: string,
  server: Server,
  project: { limits: Usage; used: Usage },
  newFlavor?: { vcpus: number; ram: number },
): void {
  const st = server.status;
  if (action === 'resize' && st?.flavor && newFlavor) {
    checkUpsize(project.limits, project.used, st.flavor, newFlavor);
  } else if (action === 'revertResize' && st?.migration?.oldFlavor) {
    checkUpsize(project.limits, project.used, st.migration.newFlavor, st.migration.oldFlavor);
  } else if (action === 'restore' && st?.vmState === 'soft-delete' && st.flavor) {
    instancesAllowed(project.limits, project.used, st.flavor, 1, 1);
  }
}
