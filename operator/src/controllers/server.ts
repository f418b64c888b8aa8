// The server controller: Nova's API + conductor part of a server's life. It takes a new Server
// into BUILD (finalizer, flavor copy, image), turns a bad reference into ERROR with a fault, and
// lets a deleted server go when no compute service can act for it (Nova's "local delete").
// Scheduling is the scheduler's; spawning and destroying are the compute manager's.
import type { Logger } from 'pino';
import {
  FlavorKind,
  ImageKind,
  ServerKind,
  type ComputeHost,
  type Flavor,
  type Image,
  type Server,
  type ServerGroup,
} from '../api/v1alpha1/index.ts';
import {
  SERVER_FINALIZER,
  initialStatus,
  resolveFlavor,
  resolveImage,
  resolveServerGroup,
  withConditions,
} from '../compute/server.ts';
import { type KubeClient, isNotFound } from '../kube/client.ts';
import type { ComputeConfig } from '../config.ts';
import type { ReconcileResult } from '../runtime/controller.ts';
import { collectionPath, kovaResource, objectPath } from '../kube/resources.ts';
import { hasFinalizer, replaceStatus, setFinalizer } from '../kube/writes.ts';
import type { Clock } from '../runtime/clock.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import { WriteTracker } from '../runtime/writetracker.ts';
import { DESIRED_STATE_USER, actionTowards, recordAction } from './serveraction.ts';

export const SERVERS = kovaResource(ServerKind);
/** Who created a server (Nova's user_id), as the gateway records it. */
export const USER_ANNOTATION = 'compute.kova.io/user-id';

/**
 * Every write of a server's status: the new status with its conditions derived, as one PUT
 * guarded by the resourceVersion the status was computed from.
 */
export function writeServerStatus(
  client: KubeClient,
  server: Server,
  status: NonNullable<Server['status']>,
  clock: Clock,
): Promise<Server> {
  return replaceStatus(client, SERVERS, server, withConditions(status, new Date(clock.now()).toISOString()));
}

export interface ServerControllerDeps {
  /** The compute options its timers read (they may change). */
  timers: () => Pick<ComputeConfig, 'resize_confirm_window' | 'reclaim_instance_interval'>;
  client: KubeClient;
  servers: Informer<Server>;
  flavors: Informer<Flavor>;
  images: Informer<Image>;
  serverGroups: Informer<ServerGroup>;
  computeHosts: Informer<ComputeHost>;
  events: EventRecorder;
  clock: Clock;
  log: Logger;
}

export function serverReconciler(d: ServerControllerDeps) {
  const written = new WriteTracker();
  return async (key: string): Promise<ReconcileResult | void> => {
    const server = d.servers.get(key);
    if (!server || written.isStale(server)) return;

    if (server.metadata.deletionTimestamp) {
      if (!hasFinalizer(server, SERVER_FINALIZER)) return;
      const host = server.status?.host;
      const compute = host ? d.computeHosts.get(host) : undefined;
      // A server on a host whose compute service is up is destroyed by that compute manager.
      if (host && compute?.status?.state === 'up' && !compute.spec.forcedDown) return;
      if (host) {
        d.events.event(
          server,
          'Warning',
          'LocalDelete',
          'Delete',
          `compute host ${host} is down: deleted locally`,
        );
      }
      await deleteShelvedImage(d.client, server, d.images.list());
      await setFinalizer(d.client, SERVERS, server, SERVER_FINALIZER, false);
      written.forget(server);
      return;
    }

    if (!hasFinalizer(server, SERVER_FINALIZER)) {
      await setFinalizer(d.client, SERVERS, server, SERVER_FINALIZER, true);
      written.wrote(server);
      return; // the update comes back through the informer
    }

    if (!server.status?.vmState) {
      const now = new Date(d.clock.now()).toISOString();
      const flavor = resolveFlavor(server.spec.flavorRef, d.flavors.list());
      const image = resolveImage(server.spec.imageRef, d.images.list());
      const groupFound = !server.spec.serverGroup || !!resolveServerGroup(server, d.serverGroups.list());
      const status = initialStatus(server, flavor, image, now, groupFound);
      // Nova's instance-action log starts with 'create'; the record is finished when the build is.
      await recordAction(
        d.client,
        server,
        `${server.metadata.name}-create`,
        'create',
        server.metadata.annotations?.[USER_ANNOTATION],
      );
      await writeServerStatus(d.client, server, status, d.clock);
      written.wrote(server);
      if (status.fault) d.events.event(server, 'Warning', 'BuildRefused', 'Create', status.fault.message);
    }

    // The power state the user holds (spec.powerState): one recorded action at a time towards it,
    // named per spec generation so a repeated reconcile never asks twice.
    const st = server.status;
    if (st?.vmState && !st.taskState && !st.action) {
      const next = actionTowards(server.spec.powerState, st.vmState);
      if (next) {
        await recordAction(
          d.client,
          server,
          `${server.metadata.name}-${next}-g${server.metadata.generation}`,
          next,
          DESIRED_STATE_USER,
        );
      }
    }

    // Timers: a VERIFY_RESIZE confirmed after resize_confirm_window; a soft-deleted server
    // reclaimed after reclaim_instance_interval (Nova's periodic tasks).
    const now = d.clock.now();
    const window = d.timers().resize_confirm_window * 1000;
    const finished = st?.migration?.finishedAt ? Date.parse(st.migration.finishedAt) : NaN;
    if (st?.vmState === 'resized' && !st.taskState && !st.action && window > 0 && Number.isFinite(finished)) {
      if (now < finished + window) return { requeueAfterMs: finished + window - now };
      await recordAction(
        d.client,
        server,
        `${server.metadata.name}-confirmresize-auto-g${server.metadata.generation}`,
        'confirmResize',
        'system:resize-confirm-window',
      );
      return;
    }
    const interval = d.timers().reclaim_instance_interval * 1000;
    const deletedAt = st?.deletedAt ? Date.parse(st.deletedAt) : NaN;
    if (st?.vmState === 'soft-delete' && !st.taskState && Number.isFinite(deletedAt)) {
      if (now < deletedAt + interval) return { requeueAfterMs: deletedAt + interval - now };
      await d.client
        .delete(objectPath(SERVERS, server.metadata.name!, server.metadata.namespace))
        .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
    }
  };
}

/** Keys of servers to look at again when a flavor, image or compute host changes. */
export function serversAwaiting(servers: Informer<Server>, match: (s: Server) => boolean): string[] {
  return servers
    .list()
    .filter(match)
    .map((s) => `${s.metadata.namespace}/${s.metadata.name}`);
}

export const FLAVORS = kovaResource(FlavorKind);
export const IMAGES = kovaResource(ImageKind);

/**
 * Deletes the snapshot a shelve made (compute API _delete and unshelve: Nova deletes it with the
 * server, and once the server is unshelved). Gone already is fine.
 */
export async function deleteShelvedImage(
  client: KubeClient,
  server: Server,
  cached: readonly Image[],
): Promise<void> {
  const id = server.status?.shelvedImageId;
  if (!id) return;
  const byId = (i: Image) => i.metadata.uid === id;
  // The informer's copy; the apiserver's only for one made a moment ago, not cached yet.
  const image = cached.find(byId) ?? (await client.list<Image>(collectionPath(IMAGES))).items.find(byId);
  if (image)
    await client
      .delete(objectPath(IMAGES, image.metadata.name!))
      .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
}
