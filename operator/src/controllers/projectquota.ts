// The project quota controller: a ProjectQuota's status.used is what its project uses now
// (Nova's in_use: instances, cores, ram and server groups, counted as nova/quota.py counts them:
// every server not yet deleted, with the flavor it holds). Derived from the servers, one writer.
import { isDeepStrictEqual } from 'node:util';
import { ProjectQuotaKind, type ProjectQuota, type Server, type ServerGroup } from '../api/v1alpha1/index.ts';
import type { KubeClient } from '../kube/client.ts';
import { kovaResource } from '../kube/resources.ts';
import { replaceStatus } from '../kube/writes.ts';
import type { Informer } from '../runtime/informer.ts';

export const PROJECT_QUOTAS = kovaResource(ProjectQuotaKind);
/** A project's one quota object. */
export const QUOTA_NAME = 'default';

export function usedBy(namespace: string, servers: readonly Server[], groups: readonly ServerGroup[]) {
  const used = { instances: 0, cores: 0, ram: 0, serverGroups: 0 };
  for (const s of servers) {
    if (s.metadata.namespace !== namespace || s.metadata.deletionTimestamp) continue;
    used.instances++;
    used.cores += s.status?.flavor?.vcpus ?? 0;
    used.ram += s.status?.flavor?.ram ?? 0;
  }
  used.serverGroups = groups.filter((g) => g.metadata.namespace === namespace).length;
  return used;
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
