// The scheduler: places each server awaiting scheduling on one host, one decision at a time
// (a single worker in the single active operator), and binds it with a write guarded by the
// server's resourceVersion. With the cache's assumed decisions, no host is ever overcommitted and
// server-group policies hold under concurrent creation. A multi-create request (servers sharing a
// reservation id) is placed all together or not at all, as Nova does.
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import {
  NUM_INSTANCES_ANNOTATION,
  RESERVATION_LABEL,
  type Image,
  type Server,
} from '../api/v1alpha1/index.ts';
import {
  awaitsScheduling,
  boundStatus,
  fault,
  noValidHostStatus,
  resolveImage,
  withStates,
} from '../compute/server.ts';
import type { TaskState } from '../compute/states.ts';
import { writeServerStatus } from '../controllers/server.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Clock } from '../runtime/clock.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import type { SchedulerCache } from './cache.ts';
import {
  type FilterResult,
  type RequestSpec,
  type Selection,
  noValidHostMessage,
  selectHost,
} from './framework.ts';
import { IncrementalSelector } from './incremental.ts';
import { claimedResources, placementRequest } from './placement.ts';
import type { SchedulerPlugins } from './registry.ts';

export interface SchedulerDeps {
  client: KubeClient;
  servers: Informer<Server>;
  images: Informer<Image>;
  cache: SchedulerCache;
  /** The current configuration and its plugins (the config file may be reloaded). */
  plugins: () => SchedulerPlugins;
  events: EventRecorder;
  clock: Clock;
  log: Logger;
  /** False once this process may no longer be the leader: then it writes nothing. */
  mayWrite: () => boolean;
  /** Fails the action a move belongs to (when no destination can be found). */
  finishAction?: (server: Server, message: string) => Promise<void>;
  /** Hosts removed per filter (kova_scheduler_filter_eliminations_total). */
  eliminations?: Counter<'filter'>;
}

/** Nova's RequestSpec of a server, with where its group's other members are. */
/** A move (resize, migrate, live-migrate, evacuate, unshelve) waiting for its destination. */
export function awaitsDestination(s: Server): boolean {
  const m = s.status?.migration;
  return !!m && !m.destHost && !m.finishedAt && !!s.status?.action && !s.metadata.deletionTimestamp;
}

export function requestSpecOf(s: Server, cache: SchedulerCache, images: readonly Image[]): RequestSpec {
  const m = s.status?.migration;
  const f = m && !m.finishedAt ? m.newFlavor : s.status!.flavor!;
  // A move goes elsewhere: off its source host, unless a resize may stay (allow_resize_to_same_host).
  const stay = m?.kind === 'resize' && cache.allowResizeToSameHost;
  const away = m?.sourceHost && !stay ? [m.sourceHost] : [];
  const image = resolveImage(s.status?.image?.id ?? s.spec.imageRef, images);
  const group = cache.groupOf(s);
  const uid = s.metadata.uid!;
  return {
    instanceUuid: uid,
    projectId: s.metadata.namespace!,
    flavor: {
      id: f.id,
      name: f.name,
      vcpus: f.vcpus,
      ram: f.ram,
      disk: f.disk,
      ephemeral: f.ephemeral,
      swap: f.swap,
      extraSpecs: f.extraSpecs ?? {},
    },
    image: {
      id: image?.metadata.uid,
      properties: {
        ...(image?.spec.properties ?? {}),
        ...(image ? { disk_format: image.spec.diskFormat } : {}),
      },
    },
    availabilityZone: s.spec.availabilityZone,
    ignoreHosts: [...(s.status?.retry?.hosts ?? []), ...away],
    schedulerHints: s.spec.schedulerHints ?? {},
    numInstances: Number(s.metadata.annotations?.[NUM_INSTANCES_ANNOTATION] ?? 1) || 1,
    instanceGroup: group && {
      uuid: group.metadata.uid!,
      policy: group.spec.policy,
      maxServerPerHost: group.spec.rules?.maxServerPerHost,
      memberHosts: cache.memberHosts(group.metadata.uid!, uid),
    },
    requestedHost: m ? m.requestedHost : s.spec.host,
    tolerations: s.spec.tolerations ?? [],
  };
}

export interface Decision {
  spec: RequestSpec;
  selection: Selection;
  /** Set when a plugin refused the request itself (it fails the build, as in Nova). */
  failure?: string;
}

/** Filters and weighs the hosts for one server: Nova's select_destinations for one instance. */
export function decide(
  s: Server,
  cache: SchedulerCache,
  plugins: SchedulerPlugins,
  images: readonly Image[],
  /** Reuses per-host results between decisions (same result as without it, faster). */
  selector?: IncrementalSelector,
): Decision {
  const { config, filters, weighers } = plugins;
  const spec = requestSpecOf(s, cache, images);
  const hosts = cache.hostStates();
  spec.placement = placementRequest(spec, cache.aggregates(), {
    ...config,
    default_availability_zone: cache.defaultAvailabilityZone,
  });
  const candidates = spec.requestedHost ? hosts.filter((h) => h.name === spec.requestedHost) : hosts;
  try {
    const selection = selector
      ? selector.select(plugins, candidates, spec)
      : selectHost(filters, weighers, candidates, spec, config.host_subset_size);
    return { spec, selection };
  } catch (err) {
    // A plugin refused the request itself (MetricsWeigher's ComputeHostMetricNotFound, an image
    // property Nova would not accept): Nova fails the build, it does not retry it.
    return { spec, selection: { ranked: [], filterResults: [] }, failure: (err as Error).message };
  }
}

export function schedulerReconciler(d: SchedulerDeps) {
  const nowIso = () => new Date(d.clock.now()).toISOString();
  const key = (s: Server) => `${s.metadata.namespace}/${s.metadata.name}`;

  const selector = new IncrementalSelector();
  function select(s: Server): Decision {
    const decision = decide(s, d.cache, d.plugins(), d.images.list(), selector);
    for (const r of decision.selection.filterResults)
      d.eliminations?.inc({ filter: r.filter }, r.start - r.end);
    return decision;
  }

  async function refuse(
    servers: Server[],
    spec: RequestSpec,
    results: readonly FilterResult[],
    failure?: string,
  ): Promise<void> {
    const log = noValidHostMessage(spec, results);
    const message = log.message;
    const details = failure ? `${log.details} ${failure}` : log.details;
    for (const s of servers) {
      await writeServerStatus(d.client, s, noValidHostStatus(s.status!, message, details, nowIso()), d.clock);
      d.events.event(s, 'Warning', 'NoValidHost', 'Schedule', `${message} ${details}`);
    }
    d.log.info({ servers: servers.map(key), details }, 'no valid host');
  }

  async function bind(s: Server, host: string): Promise<void> {
    try {
      await writeServerStatus(d.client, s, boundStatus(s.status!, s.metadata.namespace!, host), d.clock);
    } catch (err) {
      d.cache.forget(s.metadata.uid!);
      throw err;
    }
  }

  /** Places every server of a multi-create request, or none of them. */
  async function placeAll(group: Server[]): Promise<void> {
    const decided: { server: Server; host: string }[] = [];
    for (const s of group) {
      const { spec, selection, failure } = select(s);
      if (!selection.host) {
        for (const x of decided) d.cache.forget(x.server.metadata.uid!);
        await refuse(group, spec, selection.filterResults, failure);
        return;
      }
      assumeDecision(d.cache, s, spec, selection.host.name);
      decided.push({ server: s, host: selection.host.name });
    }
    for (const x of decided) await bind(x.server, x.host);
  }

  /** The scheduler's part of a move: a destination claimed for the new flavor, or the move fails. */
  async function placeMove(server: Server): Promise<void> {
    const { spec, selection, failure } = select(server);
    const m = server.status!.migration!;
    if (!selection.host) {
      const { message, details } = noValidHostMessage(spec, selection.filterResults);
      const next = {
        ...withStates(server.status!, server.status!.vmState!, undefined),
        fault: fault(500, message, nowIso(), failure ? `${details} ${failure}` : details),
      };
      delete next.migration;
      delete next.action;
      await d.finishAction?.(server, message);
      await writeServerStatus(d.client, server, next, d.clock);
      d.events.event(server, 'Warning', 'NoValidHost', m.kind, `${message} ${details}`);
      return;
    }
    assumeDecision(d.cache, server, spec, selection.host.name);
    const task: TaskState =
      m.kind === 'evacuate'
        ? 'rebuild_spawning'
        : m.kind === 'live-migration'
          ? 'migrating'
          : m.kind === 'unshelve'
            ? 'spawning'
            : 'resize_migrating';
    const next = withStates(server.status!, server.status!.vmState!, task);
    try {
      await writeServerStatus(
        d.client,
        server,
        { ...next, migration: { ...m, destHost: selection.host.name } },
        d.clock,
      );
    } catch (err) {
      d.cache.forget(server.metadata.uid!);
      throw err;
    }
  }

  return async (k: string): Promise<void> => {
    const server = d.servers.get(k);
    if (server && awaitsDestination(server) && !d.cache.isAssumed(server.metadata.uid!)) {
      if (!d.mayWrite()) throw new Error('not leading: refusing to bind');
      return placeMove(server);
    }
    if (!server || !awaitsScheduling(server) || !server.status?.flavor) return;
    if (d.cache.isAssumed(server.metadata.uid!)) return; // decided; the binding is on its way back
    if (!d.mayWrite()) throw new Error('not leading: refusing to bind');

    const reservation = server.metadata.labels?.[RESERVATION_LABEL];
    const count = Number(server.metadata.annotations?.[NUM_INSTANCES_ANNOTATION] ?? 1) || 1;
    if (reservation && count > 1) {
      const siblings = d.servers
        .list()
        .filter(
          (s) =>
            s.metadata.namespace === server.metadata.namespace &&
            s.metadata.labels?.[RESERVATION_LABEL] === reservation,
        );
      const decidedAlready = siblings.some(
        (s) => s.status?.host || s.status?.vmState === 'error' || d.cache.isAssumed(s.metadata.uid!),
      );
      if (!decidedAlready) {
        const waiting = siblings.filter((s) => awaitsScheduling(s) && s.status?.flavor);
        if (waiting.length < count) return; // the rest are still being created; their events bring us back
        await placeAll(waiting);
        return;
      }
      // The request was decided together before (a bind was interrupted): finish this one alone.
    }

    const { spec, selection, failure } = select(server);
    if (!selection.host) return refuse([server], spec, selection.filterResults, failure);
    assumeDecision(d.cache, server, spec, selection.host.name);
    await bind(server, selection.host.name);
    d.log.debug({ server: k, host: selection.host.name }, 'scheduled');
  };
}

/** Counts a decision in the cache at once, before its binding is written. */
export function assumeDecision(cache: SchedulerCache, s: Server, spec: RequestSpec, host: string): void {
  cache.assume(s.metadata.uid!, {
    host,
    ...claimedResources(spec.placement!),
    instance: {
      uuid: s.metadata.uid!,
      projectId: spec.projectId,
      flavorName: spec.flavor.name,
      vmState: 'building',
      taskState: 'networking',
      serverGroup: spec.instanceGroup?.uuid,
    },
  });
}
