// The project quota controller: a ProjectQuota's status.used is what its project uses now
// (Nova's in_use: instances, cores, ram and server groups, counted as nova/quota.py counts them:
// every server not yet deleted, with the flavor it holds). Derived from the servers, one writer.
import { isDeepStrictEqual } from 'node:util';
import {
  ProjectQuotaKind,
  type Flavor,
  type ProjectQuota,
  type Server,
  type ServerGroup,
} from '../api/v1alpha1/index.ts';
import { resolveFlavor } from '../compute/server.ts';
import type { KubeClient } from '../kube/client.ts';
import { kovaResource } from '../kube/resources.ts';
import { replaceStatus } from '../kube/writes.ts';
import type { Informer } from '../runtime/informer.ts';

export const PROJECT_QUOTAS = kovaResource(ProjectQuotaKind);
/** A project's one quota object. */
export const QUOTA_NAME = 'default';

/**
 * What a server holds of its project's instances, cores and RAM (nova/quota.py
 * _instances_cores_ram_count: an instance not deleted and not soft-deleted; a shelved-offloaded
 * one still counts): its flavor copy, or, before the server controller makes it, its flavorRef's
 * among `flavors`. Nothing for one being deleted or soft-deleted.
 */
export function quotaHeldBy(s: Server, flavors: readonly Flavor[] = []) {
  if (s.metadata.deletionTimestamp || s.status?.vmState === 'soft-delete') return undefined;
  const f = s.status?.flavor ?? resolveFlavor(s.spec.flavorRef, flavors)?.spec;
  return { instances: 1, cores: f?.vcpus ?? 0, ram: f?.ram ?? 0 };
}

/** A project's instances, cores and RAM in use: what its servers hold (quotaHeldBy). */
export function serverUsage(namespace: string, servers: readonly Server[], flavors: readonly Flavor[] = []) {
  const used = { instances: 0, cores: 0, ram: 0 };
  for (const s of servers) {
    const held = s.metadata.namespace === namespace ? quotaHeldBy(s, flavors) : undefined;
    if (!held) continue;
    used.instances += held.instances;
    used.cores += held.cores;
    used.ram += held.ram;
  }
  return used;
}

export function usedBy(namespace: string, servers: readonly Server[], groups: readonly ServerGroup[]) {
  const serverGroups = groups.filter((g) => g.metadata.namespace === namespace).length;
  return { ...serverUsage(namespace, servers), serverGroups };
}

export function projectQuotaReconciler(d: {
  client: KubeClient;
  quotas: Informer<ProjectQuota>;
  servers: Informer<Server>;
  serverGroups: Informer<ServerGroup>;
}) {
  return async (key: string): Promise<void> => {
    const quota = d.quotas.get(key);
    if (!quota) return;
    const used = usedBy(quota.metadata.namespace!, d.servers.list(), d.serverGroups.list());
    if (isDeepStrictEqual(used, quota.status?.used)) return; // by value: the apiserver sorts keys
    await replaceStatus(d.client, PROJECT_QUOTAS, quota, { ...quota.status, used });
  };
}
