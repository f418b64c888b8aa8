// The compute manager (nova/compute/manager.py) for the hosts one virt driver serves: it builds
// servers bound to those hosts, destroys deleted ones, heartbeats each host, and removes VMs no
// server owns (Nova's _destroy_evacuated_instances / _cleanup_running_deleted_instances).
// Every step is idempotent, so a crash at any point is mended by the next reconcile.
import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Image, Server, ServerAction } from '../api/v1alpha1/index.ts';
import { endState, eventName, transitionFor } from '../compute/actions.ts';
import {
  SERVER_FINALIZER,
  activeStatus,
  buildFailedStatus,
  fault,
  hostId,
  withStates,
} from '../compute/server.ts';
import type { VmState } from '../compute/states.ts';
import {
  BuildFailure,
  DriverError,
  NotSupported,
  type Instance,
  type VirtDriver,
} from '../drivers/driver.ts';
import { type KubeClient, isConflict, isNotFound } from '../kube/client.ts';
import { LEASES, collectionPath, objectPath } from '../kube/resources.ts';
import { hasFinalizer, replaceStatus, setFinalizer } from '../kube/writes.ts';
import { API_VERSION } from '../api/kind.ts';
import type { Clock } from '../runtime/clock.ts';
import { microTime } from '../kube/lease.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import { WriteTracker } from '../runtime/writetracker.ts';
import { writeActionStatus } from './serveraction.ts';
import { IMAGES, SERVERS, USER_ANNOTATION, deleteShelvedImage, writeServerStatus } from './server.ts';

type ServerStatus = NonNullable<Server['status']>;

/** Label of a host's heartbeat Lease; its value is the host name. */
export const HEARTBEAT_LABEL = 'compute.kova.io/heartbeat';
export const heartbeatLeaseName = (host: string) => `compute-${host}`;

export interface ComputeManagerDeps {
  client: KubeClient;
  driver: VirtDriver;
  servers: Informer<Server>;
  /** Whether this compute manager serves host. */
  ownsHost: (host: string) => boolean;
  /** The hosts it serves now (for heartbeats and the orphan sweep). */
  hosts: () => string[];
  /** Nova's [scheduler] max_attempts (may change when the scheduler config is reloaded). */
  maxAttempts: () => number;
  /** The cached ServerActions and Images (for the action being carried out, and rebuilds). */
  actions: () => readonly ServerAction[];
  images: () => readonly Image[];
  /** Nova's [DEFAULT] shelved_offload_time: 0 offloads a shelved server at once. */
  shelvedOffloadTime: () => number;
  /** Creates the Image a createImage action makes. */
  createSnapshotImage: (
    server: Server,
    name: string,
    metadata: Record<string, string>,
    size: number,
    checksum: string,
    /** Where the snapshot's data is, on the node that made it (the libvirt driver's). */
    nodePath?: string,
  ) => Promise<Image>;
  events: EventRecorder;
  clock: Clock;
  log: Logger;
}

function instanceOf(s: Server): Instance {
  const f = s.status!.flavor!;
  return {
    uuid: s.metadata.uid!,
    key: `${s.metadata.namespace}/${s.metadata.name}`,
    displayName: s.spec.name,
    host: s.status!.host!,
    flavor: { name: f.name, vcpus: f.vcpus, ram: f.ram, disk: f.disk, ephemeral: f.ephemeral, swap: f.swap },
    imageRef: s.status?.image?.id,
    userData: s.spec.userData,
    metadata: s.spec.metadata,
    configDrive: s.spec.configDrive,
    ...(s.spec.keyName ? { keyName: s.spec.keyName } : {}),
    ...(s.metadata.annotations?.[USER_ANNOTATION] ? { userId: s.metadata.annotations[USER_ANNOTATION] } : {}),
    ...(s.spec.hostname ? { hostname: s.spec.hostname } : {}),
  };
}

export function computeReconciler(d: ComputeManagerDeps) {
  const nowIso = () => new Date(d.clock.now()).toISOString();
  const written = new WriteTracker();
  /** A status write, remembered so that a reconcile on the not-yet-updated cache is skipped. */
  const writeStatus = async (s: Server, status: NonNullable<Server['status']>): Promise<Server> => {
    const saved = await writeServerStatus(d.client, s, status, d.clock);
    written.wrote(s);
    return saved;
  };

  async function destroy(server: Server, host: string): Promise<void> {
    let s = server;
    if (s.status?.taskState !== 'deleting') {
      s = await writeStatus(s, withStates(s.status!, s.status!.vmState!, 'deleting'));
    }
    await d.driver.destroy(host, s.metadata.uid!);
    await deleteShelvedImage(d.client, s, d.images());
    await setFinalizer(d.client, SERVERS, s, SERVER_FINALIZER, false);
    written.forget(s);
  }

  async function build(server: Server, host: string): Promise<void> {
    let s = server;
    if (s.status!.taskState === 'networking') {
      s = await writeStatus(s, withStates(s.status!, 'building', 'spawning'));
    }
    try {
      const { addresses } = await d.driver.spawn(instanceOf(s));
      await writeStatus(s, activeStatus(s.status!, addresses, nowIso()));
    } catch (err) {
      if (!(err instanceof BuildFailure)) throw err; // transient: retried with backoff
      // Nova's reschedule: clean up here, then let the scheduler try another host.
      await d.driver.destroy(host, s.metadata.uid!);
      const next = buildFailedStatus(
        s.status!,
        s.metadata.uid!,
        host,
        err.message,
        d.maxAttempts(),
        nowIso(),
      );
      await writeStatus(s, next);
      const reason = next.vmState === 'error' ? 'MaxRetriesExceeded' : 'Rescheduled';
      d.events.event(s, 'Warning', reason, 'Build', `build on ${host} failed: ${err.message}`);
    }
  }

  /**
   * The driver's part of an accepted action (nova/compute/manager.py), and the server's status
   * after it. Every step is idempotent, so it may run again after a crash.
   */
  async function carryOut(
    s: Server,
    host: string,
    act: ServerAction,
    sideEffects = true,
    /** What a read puts in the action's record. */
    out: { output?: string; diagnostics?: Record<string, unknown> } = {},
  ): Promise<ServerStatus> {
    // Driver calls and the Images an action makes happen once: when the record already says the
    // action succeeded (its server write was lost), only the server's end state is recomputed.
    const run = async (f: () => Promise<unknown>): Promise<void> => {
      if (sideEffects) await f();
    };
    const st = s.status!;
    const uuid = s.metadata.uid!;
    const p = act.spec.parameters ?? {};
    const m = st.migration;
    const idle = (vmState: VmState, powerState = st.powerState): ServerStatus => {
      const next = withStates(st, vmState, undefined, powerState);
      delete next.action;
      return next;
    };
    const moved = (to: string, vmState: VmState, powerState: ServerStatus['powerState']): ServerStatus => {
      const next = { ...idle(vmState, powerState), host: to, hostId: hostId(s.metadata.namespace!, to) };
      delete next.migration;
      return next;
    };
    const simple = transitionFor(act.spec.action, p.type);
    switch (act.spec.action) {
      case 'rebuild': {
        const image = d.images().find((i) => i.metadata.uid === p.imageRef || i.metadata.name === p.imageRef);
        if (!image) throw new DriverError(`Image ${p.imageRef} could not be found.`);
        await run(() => d.driver.rebuild({ ...instanceOf(s), imageRef: image.metadata.uid }));
        if (st.vmState === 'stopped') await run(() => d.driver.powerOff(host, uuid));
        const end = endState(simple!, { vmState: st.vmState!, powerState: st.powerState });
        return {
          ...idle(end.vmState, end.powerState),
          image: { id: image.metadata.uid!, name: image.spec.name },
          launchedAt: nowIso(),
        };
      }
      case 'createImage': {
        const name = p.name ?? `${s.spec.name}-snapshot`;
        await run(async () => {
          const { size, checksum, nodePath } = await d.driver.snapshot(host, uuid, name);
          await d.createSnapshotImage(s, name, p.metadata ?? {}, size, checksum, nodePath);
        });
        return idle(st.vmState!);
      }
      case 'resize':
      case 'migrate': {
        // The move itself (prep_resize, resize_instance, finish_resize): VERIFY_RESIZE on the destination.
        const to = m!.destHost!;
        await run(() =>
          d.driver.migrate({ ...instanceOf(s), host: to, flavor: m!.newFlavor }, m!.sourceHost!),
        );
        const next = moved(to, 'resized', st.powerState);
        return { ...next, flavor: m!.newFlavor, migration: { ...m!, finishedAt: nowIso() } };
      }
      case 'confirmResize': {
        // The source's copy goes; the server stays where it is, as it was before the resize.
        const source = m?.sourceHost;
        if (source && source !== host) await run(() => d.driver.destroy(source, uuid));
        const next = idle(m?.vmStateBefore === 'stopped' ? 'stopped' : 'active');
        delete next.migration;
        return next;
      }
      case 'revertResize': {
        const back = m!.sourceHost!;
        const flavor = m!.oldFlavor ?? st.flavor!;
        await run(() => d.driver.migrate({ ...instanceOf(s), host: back, flavor }, host));
        return {
          ...moved(back, m!.vmStateBefore === 'stopped' ? 'stopped' : 'active', st.powerState),
          flavor,
        };
      }
      case 'live-migration': {
        await run(() => d.driver.liveMigrate(host, uuid, m!.destHost!));
        return moved(m!.destHost!, st.vmState!, st.powerState);
      }
      case 'evacuate': {
        // Rebuilt on another host; the copy on the dead source goes when it comes back (orphan sweep).
        const to = m!.destHost!;
        await run(() => d.driver.spawn({ ...instanceOf(s), host: to }));
        // Up to 2.94 the server keeps its state; from 2.95 the API asks for it stopped (targetState).
        const stopped = p.targetState === 'stopped' || m!.vmStateBefore === 'stopped';
        if (stopped) await run(() => d.driver.powerOff(to, uuid));
        return {
          ...moved(to, stopped ? 'stopped' : 'active', stopped ? 'shutdown' : 'running'),
          launchedAt: nowIso(),
        };
      }
      case 'shelve': {
        // Nova's shelve: a snapshot Image '<name>-shelved' (unshelve boots from it), then off.
        // After a crash between offloading and recording it, the VM is already gone: done; after
        // one between the snapshot and the record, the snapshot made then is reused.
        const present = (await d.driver.listInstances(host)).includes(uuid);
        let snapshot = shelvedSnapshot(s);
        if (present && !snapshot && d.driver.capabilities.has('snapshot')) {
          await run(async () => {
            const name = `${s.spec.name}-shelved`;
            const made = await d.driver.snapshot(host, uuid, name);
            snapshot = await d.createSnapshotImage(s, name, {}, made.size, made.checksum, made.nodePath);
          });
        }
        if (present) await run(() => d.driver.powerOff(host, uuid));
        const next = d.shelvedOffloadTime() !== 0 ? idle('shelved', 'shutdown') : await offloaded();
        return snapshot ? { ...next, shelvedImageId: snapshot.metadata.uid! } : next;
      }
      case 'shelveOffload':
        return offloaded();
      case 'unshelve': {
        // Unshelved from the shelve's snapshot (the server keeps naming its original image), which
        // is then deleted; a snapshot that is gone leaves the original image to boot from.
        const snapshot = d.images().find((i) => i.metadata.uid === st.shelvedImageId);
        let next: ServerStatus;
        if (m?.kind === 'unshelve') {
          const to = m.destHost!;
          const from = snapshot ? { imageRef: snapshot.metadata.uid } : {};
          await run(() => d.driver.spawn({ ...instanceOf(s), host: to, ...from }));
          next = { ...moved(to, 'active', 'running'), launchedAt: nowIso() };
        } else {
          await run(() => d.driver.powerOn(host, uuid));
          next = idle('active', 'running');
        }
        await run(() => deleteShelvedImage(d.client, s, d.images()));
        delete next.shelvedImageId;
        return next;
      }
      case 'consoleOutput':
        await run(async () => {
          out.output = (await d.driver.consoleOutput(host, uuid, p.length)).slice(-65536);
        });
        return idle(st.vmState!);
      case 'diagnostics':
        await run(async () => {
          out.diagnostics = { ...(await d.driver.diagnostics(host, uuid)) };
        });
        return idle(st.vmState!);
      case 'delete': {
        // A soft delete (reclaim_instance_interval > 0): off, restorable until reclaimed.
        await run(() => d.driver.powerOff(host, uuid));
        return { ...idle('soft-delete', 'shutdown'), deletedAt: nowIso() };
      }
      case 'restore': {
        await run(() => d.driver.powerOn(host, uuid));
        const next = idle('active', 'running');
        delete next.deletedAt;
        return next;
      }
    }
    if (!simple) throw new DriverError(`Kova's compute manager does not carry out ${act.spec.action}`);
    await run(() => simpleStep(host, uuid, act));
    const end = endState(simple, { vmState: st.vmState!, powerState: st.powerState });
    return idle(end.vmState, end.powerState);

    /** Shelve offload: the VM and its host go; the server keeps its image and flavor. */
    async function offloaded(): Promise<ServerStatus> {
      await run(() => d.driver.destroy(host, uuid));
      const next = idle('shelved_offloaded', 'shutdown');
      delete next.host;
      next.hostId = '';
      return next;
    }
  }

  /** The snapshot a shelve of this server made, if it is recorded or was made before a crash. */
  function shelvedSnapshot(s: Server): Image | undefined {
    const name = `${s.spec.name}-shelved`;
    return d.images().find(
      (i) =>
        i.metadata.uid === s.status?.shelvedImageId ||
        // One a crash left queued (its upload cut short) has no data to unshelve from.
        (i.spec.name === name &&
          i.spec.properties?.instance_uuid === s.metadata.uid &&
          i.status?.phase === 'active'),
    );
  }

  function simpleStep(host: string, uuid: string, act: ServerAction): Promise<void> {
    const p = act.spec.parameters ?? {};
    switch (act.spec.action) {
      case 'stop':
        return d.driver.powerOff(host, uuid);
      case 'start':
        return d.driver.powerOn(host, uuid);
      case 'reboot':
        return d.driver.reboot(host, uuid, p.type ?? 'SOFT');
      case 'pause':
        return d.driver.pause(host, uuid);
      case 'unpause':
        return d.driver.unpause(host, uuid);
      case 'suspend':
        return d.driver.suspend(host, uuid);
      case 'resume':
        return d.driver.resume(host, uuid);
      case 'rescue':
        return d.driver.rescue(host, uuid, p.imageRef);
      case 'unrescue':
        return d.driver.unrescue(host, uuid);
      case 'trigger_crash_dump':
        return d.driver.triggerCrashDump(host, uuid);
      default:
        throw new DriverError(`Kova's compute manager does not carry out ${act.spec.action}`);
    }
  }

  /** Carries out the action the server refers to, then finishes it: record first, server second. */
  async function runAction(server: Server, host: string): Promise<void> {
    const ref = server.status!.action!;
    const act = d
      .actions()
      .find((a) => a.metadata.namespace === server.metadata.namespace && a.metadata.name === ref.name);
    const st = server.status!;
    const failed = (error: string): ServerStatus => {
      const next: ServerStatus = {
        ...withStates(st, st.vmState!, undefined),
        fault: fault(500, error, nowIso()),
      };
      delete next.action;
      delete next.migration;
      return next;
    };
    // The record must show the API accepted it first (Running): then the compute manager is its
    // only writer. The record's own update brings the server back here.
    if (act && !act.status?.phase) return;
    let next: ServerStatus;
    let error: string | undefined;
    const out: { output?: string; diagnostics?: Record<string, unknown> } = {};
    if (!act) {
      next = failed(`server action ${ref.name} is gone`);
    } else if (act.status?.phase === 'Failed') {
      next = failed(act.status.message ?? 'failed');
    } else {
      try {
        next = await carryOut(server, host, act, act.status?.phase !== 'Succeeded', out);
      } catch (err) {
        if (!(err instanceof DriverError || err instanceof NotSupported)) throw err; // transient: retried
        error = err.message;
        next = failed(error);
      }
      if (act.status?.phase !== 'Succeeded') {
        const now = nowIso();
        // The record may not show the API's step yet (a race with its Running write): start it here.
        const started = act.status?.events?.length
          ? act.status.events
          : [{ event: eventName(act.spec.action), startTime: act.status?.startTime ?? now, host }];
        const events = started.map((e) =>
          e.finishTime
            ? e
            : {
                ...e,
                finishTime: now,
                result: error ? ('Error' as const) : ('Success' as const),
                ...(error ? { details: error } : {}),
              },
        );
        await writeActionStatus(d.client, act, {
          ...act.status,
          phase: error ? 'Failed' : 'Succeeded',
          startTime: act.status?.startTime ?? now,
          finishTime: now,
          events,
          ...out,
          ...(error ? { message: error } : {}),
        });
        if (error) d.events.event(server, 'Warning', 'ActionFailed', ref.action, error);
      }
    }
    await writeStatus(server, next);
  }

  /** The host whose compute manager acts on the server now: a move's destination, else its host. */
  function actingHost(s: Server): string | undefined {
    const m = s.status?.migration;
    const toDestination = m?.destHost && !m.finishedAt && m.kind !== 'live-migration';
    return toDestination ? m.destHost : s.status?.host;
  }

  /** A move waits for the scheduler to choose its destination. */
  function awaitingDestination(s: Server): boolean {
    const m = s.status?.migration;
    return !!m && !m.destHost && !m.finishedAt;
  }

  return async (key: string): Promise<void> => {
    const server = d.servers.get(key);
    const host = server && actingHost(server);
    if (!server || !host || !d.ownsHost(host) || written.isStale(server)) return;
    if (server.metadata.deletionTimestamp) {
      if (hasFinalizer(server, SERVER_FINALIZER)) await destroy(server, host);
      return;
    }
    const task = server.status?.taskState;
    if (server.status?.vmState === 'building' && (task === 'networking' || task === 'spawning')) {
      await build(server, host);
      return;
    }
    if (server.status?.action && !awaitingDestination(server)) await runAction(server, host);
  };
}

/**
 * Destroys VMs on the served hosts that no server bound to that host owns: left by a crash
 * between a reschedule and its clean-up, or by a delete done while the host was down.
 * Returns the Nova ids destroyed.
 */
export async function sweepOrphans(d: ComputeManagerDeps): Promise<string[]> {
  const owned = new Map<string, Set<string>>();
  for (const s of d.servers.list()) {
    // A moving server owns its VM on both hosts until the move is confirmed or reverted.
    const m = s.status?.migration;
    for (const host of [s.status?.host, m?.sourceHost, m?.destHost]) {
      if (!host) continue;
      if (!owned.has(host)) owned.set(host, new Set());
      owned.get(host)!.add(s.metadata.uid!);
    }
  }
  const destroyed: string[] = [];
  for (const host of d.hosts()) {
    for (const uuid of await d.driver.listInstances(host)) {
      if (owned.get(host)?.has(uuid)) continue;
      d.log.warn({ host, uuid }, 'destroying a VM that no server owns');
      await d.driver.destroy(host, uuid);
      destroyed.push(uuid);
    }
  }
  return destroyed;
}

/** Uploads a snapshot file as a queued Image's data (the libvirt agent: to the gateway's store). */
export type SnapshotUpload = (image: Image, file: string) => Promise<void>;

/**
 * The Image a createImage action makes (Nova's snapshot): private to the server's project,
 * its properties naming the server and the image it was built from, active once uploaded.
 * With `upload`, the node-local file goes to the image store (which makes the Image active) and
 * is removed; a failed upload deletes the Image (Nova deletes a failed snapshot's image).
 * Without, the Image names the file (source.nodePath) and is active at once.
 */
export async function createSnapshotImage(
  client: KubeClient,
  server: Server,
  name: string,
  metadata: Record<string, string>,
  size: number,
  checksum: string,
  nodePath?: string,
  upload?: SnapshotUpload,
): Promise<Image> {
  const uploading = upload !== undefined && nodePath !== undefined;
  const image = await client.create<Image>(collectionPath(IMAGES), {
    apiVersion: API_VERSION,
    kind: 'Image',
    metadata: { name: '', generateName: 'snapshot-' },
    spec: {
      name,
      diskFormat: 'qcow2',
      containerFormat: 'bare',
      minDisk: server.status?.flavor?.disk ?? 0,
      minRam: 0,
      visibility: 'private',
      owner: server.metadata.namespace,
      protected: false,
      // compute_utils.create_image: the extra properties may set image_type (createBackup's 'backup').
      properties: {
        image_type: 'snapshot',
        ...metadata,
        instance_uuid: server.metadata.uid!,
        ...(server.status?.image?.id ? { base_image_ref: server.status.image.id } : {}),
      },
      ...(nodePath && !uploading ? { source: { nodePath } } : {}),
    },
  } as Image);
  if (uploading) {
    try {
      await upload(image, nodePath);
    } catch (err) {
      await client.delete(objectPath(IMAGES, image.metadata.name!)).catch(() => undefined);
      throw err;
    } finally {
      await rm(nodePath, { force: true });
    }
    return image;
  }
  await replaceStatus(client, IMAGES, image, { phase: 'active', size, checksum });
  return image;
}

/** Renews each served host's heartbeat Lease (Nova's service report, every report_interval). */
export class Heartbeats {
  private readonly versions = new Map<string, string>();
  private readonly client: KubeClient;
  private readonly namespace: string;
  private readonly identity: string;
  private readonly clock: Clock;

  constructor(client: KubeClient, namespace: string, identity: string, clock: Clock) {
    this.client = client;
    this.namespace = namespace;
    this.identity = identity;
    this.clock = clock;
  }

  async beat(host: string, leaseDurationSeconds: number): Promise<void> {
    const name = heartbeatLeaseName(host);
    const lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name,
        namespace: this.namespace,
        labels: { [HEARTBEAT_LABEL]: host },
        resourceVersion: this.versions.get(host),
      },
      spec: { holderIdentity: this.identity, leaseDurationSeconds, renewTime: microTime(this.clock.now()) },
    };
    try {
      const saved = lease.metadata.resourceVersion
        ? await this.client.replace<typeof lease>(objectPath(LEASES, name, this.namespace), lease)
        : await this.client.create<typeof lease>(collectionPath(LEASES, this.namespace), lease);
      this.versions.set(host, saved.metadata.resourceVersion!);
    } catch (err) {
      if (!isConflict(err) && !isNotFound(err)) throw err;
      // Someone else wrote it, or it is gone: read it (or start over) and renew next time.
      const current = await this.client
        .get<typeof lease>(objectPath(LEASES, name, this.namespace))
        .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
      if (current) this.versions.set(host, current.metadata.resourceVersion!);
      else this.versions.delete(host);
    }
  }
}
