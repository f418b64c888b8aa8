// Nova's _sync_power_states for KubeVirt servers: what KubeVirt did on its own (the guest shut
// itself down, virt-launcher failed, an address changed) shows on the Server. Only idle servers
// (no task, no action under way) are synced, as Nova skips instances with a pending task.
import type { Server } from '../../api/v1alpha1/index.ts';
import { fault, withStates } from '../../compute/server.ts';
import { writeServerStatus } from '../../controllers/server.ts';
import { type KubeClient, isConflict, isNotFound } from '../../kube/client.ts';
import type { Clock } from '../../runtime/clock.ts';
import { UUID_LABEL } from './manifest.ts';
import { addressesOf, faultOf, novaStates, type Vmi } from './status.ts';

type ServerStatus = NonNullable<Server['status']>;

/** vm_states a sync may change: the settled ones a guest or KubeVirt can leave by itself. */
const SYNCED = new Set(['active', 'paused', 'stopped']);

/**
 * The server's status after what KubeVirt shows (vmi undefined: no VMI), or undefined when
 * nothing changes. A running guest that stopped is STOPPED (Nova stops it); a failed VMI is
 * ERROR with KubeVirt's reason as the fault; a paused or resumed one follows; addresses follow.
 */
export function syncedStatus(
  status: ServerStatus,
  vmi: Vmi | undefined,
  nowIso: string,
): ServerStatus | undefined {
  if (!status.vmState || !SYNCED.has(status.vmState) || status.taskState || status.action) return undefined;
  const seen = novaStates(vmi);
  if (seen.vmState === 'building') return undefined; // on its way up (a start or restart): wait
  let next: ServerStatus = status;
  if (seen.vmState !== status.vmState || seen.powerState !== status.powerState) {
    next = withStates(status, seen.vmState, undefined, seen.powerState);
    const why = faultOf(vmi);
    if (why) next.fault = fault(500, why, nowIso);
  }
  const addresses = addressesOf(vmi);
  if (vmi && addresses.length && JSON.stringify(addresses) !== JSON.stringify(status.addresses ?? [])) {
    next = { ...next, addresses };
  }
  return next === status ? undefined : next;
}

/** One sync pass over the servers on the driver's hosts; returns the names of those updated. */
export async function syncPowerStates(d: {
  client: KubeClient;
  servers: () => readonly Server[];
  ownsHost: (host: string) => boolean;
  clock: Clock;
  /** Aborted when the operator stops leading: no more writes. */
  signal?: AbortSignal;
}): Promise<string[]> {
  const ours = d.servers().filter((s) => s.status?.host && d.ownsHost(s.status.host));
  if (!ours.length) return [];
  const vmis = await d.client.list<Vmi>('/apis/kubevirt.io/v1/virtualmachineinstances', {
    labelSelector: UUID_LABEL,
  });
  const byUuid = new Map(vmis.items.map((v) => [v.metadata?.labels?.[UUID_LABEL], v]));
  const updated: string[] = [];
  const now = new Date(d.clock.now()).toISOString();
  for (const s of ours) {
    const next = syncedStatus(s.status!, byUuid.get(s.metadata.uid), now);
    if (!next) continue;
    if (d.signal?.aborted) break;
    try {
      await writeServerStatus(d.client, s, next, d.clock);
      updated.push(`${s.metadata.namespace}/${s.metadata.name}`);
    } catch (err) {
      // The server changed since the cache saw it (an action began): the next pass looks again.
      if (!isConflict(err) && !isNotFound(err)) throw err;
    }
  }
  return updated;
}
