// The instances/cores/ram quota check of a server create (nova/compute/utils.py
// check_num_instances_quota, get_headroom, get_over_quota_detail): how many of min..max servers
// fit the project's quota, or Nova's 403 TooManyInstances.
import {
  QUOTA_RESOURCES,
  type Flavor,
  type ProjectQuota,
  type Server,
} from '../../../operator/src/api/v1alpha1/index.ts';
import { resolveFlavor } from '../../../operator/src/compute/server.ts';
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

  const requested: Record<Resource, string> = {
    instances: minCount === maxCount ? String(minCount) : `${minCount}-${maxCount}`,
    cores: String(deltas.cores),
    ram: String(deltas.ram),
  };
  const join = (f: (r: Resource) => string) => overs.map(f).join(', ');
  throw new ApiError(
    403,
    `Quota exceeded for ${overs.join(', ')}: Requested ${join((r) => requested[r])}, ` +
      `but already used ${join((r) => String(limits[r] - headroom[r]))} of ${join((r) => String(limits[r]))} ${overs.join(', ')}`,
  );
}

/** The project's instances, cores and RAM in use (a server not yet given its flavor copy counts its flavorRef's). */
export function usage(namespace: string, servers: readonly Server[], flavors: readonly Flavor[]) {
  const used: Usage = { instances: 0, cores: 0, ram: 0 };
  for (const s of servers) {
    if (s.metadata.namespace !== namespace || s.metadata.deletionTimestamp) continue;
    const f = s.status?.flavor ?? resolveFlavor(s.spec.flavorRef, flavors)?.spec;
    used.instances++;
    used.cores += f?.vcpus ?? 0;
    used.ram += f?.ram ?? 0;
  }
  return used;
}
