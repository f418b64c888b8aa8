// The server group controller: a ServerGroup's status.members are the Nova ids of the servers
// that joined it (spec.serverGroup) and are not being deleted, in the order they were created,
// as Nova's instance_group members. Derived from the servers, so it can never drift.
import { isDeepStrictEqual } from 'node:util';
import { ServerGroupKind, type Server, type ServerGroup } from '../api/v1alpha1/index.ts';
import { resolveServerGroup } from '../compute/server.ts';
import type { KubeClient } from '../kube/client.ts';
import { kovaResource } from '../kube/resources.ts';
import { replaceStatus } from '../kube/writes.ts';
import type { Informer } from '../runtime/informer.ts';

export const SERVER_GROUPS = kovaResource(ServerGroupKind);

export function membersOf(group: ServerGroup, servers: readonly Server[]): string[] {
  return servers
    .filter((s) => !s.metadata.deletionTimestamp && resolveServerGroup(s, [group]) === group)
    .sort(
      (a, b) =>
        (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') ||
        a.metadata.name!.localeCompare(b.metadata.name!),
    )
    .map((s) => s.metadata.uid!);
}

export function serverGroupReconciler(d: {
  client: KubeClient;
  servers: Informer<Server>;
  serverGroups: Informer<ServerGroup>;
}) {
  return async (key: string): Promise<void> => {
    const group = d.serverGroups.get(key);
    if (!group) return;
    const members = membersOf(group, d.servers.list());
    if (isDeepStrictEqual(members, group.status?.members ?? [])) return;
    await replaceStatus(d.client, SERVER_GROUPS, group, { ...group.status, members });
  };
}
