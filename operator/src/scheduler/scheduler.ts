// The scheduler: places each server awaiting scheduling on one host, one decision at a time
// (a single worker in the single active operator), and binds it with a write guarded by the
// server's resourceVersion. With the cache's assumed decisions, no host is ever overcommitted.
import type { Logger } from 'pino';
import type { Server } from '../api/v1alpha1/index.ts';
import { awaitsScheduling, boundStatus, noValidHostStatus } from '../compute/server.ts';
import type { KubeClient } from '../kube/client.ts';
import { replaceStatus } from '../kube/writes.ts';
import type { Clock } from '../runtime/clock.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import { SERVERS } from '../controllers/server.ts';
import type { SchedulerCache } from './cache.ts';
import { type RequestSpec, noValidHostMessage, requestedResources, selectHost } from './framework.ts';
import { type SchedulerConfig, buildFilters, buildWeighers } from './registry.ts';

export function requestSpecOf(s: Server): RequestSpec {
  const f = s.status!.flavor!;
  return {
    instanceUuid: s.metadata.uid!,
    projectId: s.metadata.namespace!,
    flavor: { name: f.name, vcpus: f.vcpus, ram: f.ram, disk: f.disk, ephemeral: f.ephemeral, swap: f.swap },
    availabilityZone: s.spec.availabilityZone,
    ignoreHosts: s.status?.retry?.hosts ?? [],
    schedulerHints: s.spec.schedulerHints ?? {},
  };
}

export interface SchedulerDeps {
  client: KubeClient;
  servers: Informer<Server>;
  cache: SchedulerCache;
  config: SchedulerConfig;
  events: EventRecorder;
  clock: Clock;
  log: Logger;
  /** False once this process may no longer be the leader: then it writes nothing. */
  mayWrite: () => boolean;
}

export function schedulerReconciler(d: SchedulerDeps) {
  const filters = buildFilters(d.config);
  const weighers = buildWeighers(d.config);
  return async (key: string): Promise<void> => {
    const server = d.servers.get(key);
    if (!server || !awaitsScheduling(server) || !server.status?.flavor) return;
    const uid = server.metadata.uid!;
    if (d.cache.isAssumed(uid)) return; // decided; the binding is on its way back
    if (!d.mayWrite()) throw new Error('not leading: refusing to bind');

    const spec = requestSpecOf(server);
    const selection = selectHost(filters, weighers, d.cache.hostStates(), spec, d.config.host_subset_size);
    const now = new Date(d.clock.now()).toISOString();
    if (!selection.host) {
      const { message, details } = noValidHostMessage(spec, selection.filterResults);
      await replaceStatus(d.client, SERVERS, server, noValidHostStatus(server.status, message, details, now));
      d.events.event(server, 'Warning', 'NoValidHost', 'Schedule', `${message} ${details}`);
      d.log.info({ server: key, details }, 'no valid host');
      return;
    }
    const host = selection.host.name;
    d.cache.assume(uid, { host, ...requestedResources(spec) });
    try {
      await replaceStatus(d.client, SERVERS, server, boundStatus(server.status, spec.projectId, host));
    } catch (err) {
      d.cache.forget(uid);
      throw err;
    }
    d.log.debug({ server: key, host }, 'scheduled');
  };
}
