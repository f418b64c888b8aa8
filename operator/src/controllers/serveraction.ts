// The server action controller: Nova's compute API half of an action. A new ServerAction is
// checked against Nova's state rules (compute/actions.ts); refused, it fails with Nova's 409
// message and an Event, and nothing changes on the server. Accepted, the server gets the task
// state Nova's API sets and a reference to the action, which the compute manager of the
// server's host carries out and finishes (controllers/compute.ts). Lock, unlock and reset-state
// need no host and are done here. ServerActions are also Nova's instance-action log.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { API_VERSION } from '../api/kind.ts';
import {
  ServerActionKind,
  type ComputeHost,
  type Flavor,
  type Server,
  type ServerAction,
  type ServerActionName,
} from '../api/v1alpha1/index.ts';
import { type ServerFacts, eventName, refusal, ruleFor, transitionFor } from '../compute/actions.ts';
import { flavorCopy, resolveFlavor, withStates } from '../compute/server.ts';
import { flavorId } from '../api/v1alpha1/flavor.ts';
import type { TaskState } from '../compute/states.ts';
import { DRIVER_CAPABILITIES } from '../drivers/driver.ts';
import { type KubeClient, isAlreadyExists, isNotFound } from '../kube/client.ts';
import { collectionPath, kovaResource, objectPath } from '../kube/resources.ts';
import { replaceStatus } from '../kube/writes.ts';
import type { Clock } from '../runtime/clock.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import type { ReconcileResult } from '../runtime/controller.ts';
import { WriteTracker } from '../runtime/writetracker.ts';
import { SERVERS, writeServerStatus } from './server.ts';

export const SERVER_ACTIONS = kovaResource(ServerActionKind);
/**
 * The uid of the server a record is about: a deleted server's log is found by it (its name may
 * be taken again), and the records of a server gone for deletedServerActionsRetention removed.
 */
export const SERVER_UID_LABEL = 'compute.kova.io/server-uid';

type ActionStatus = NonNullable<ServerAction['status']>;
type ServerStatus = NonNullable<Server['status']>;
type Migration = NonNullable<ServerStatus['migration']>;

/** The task state the API sets for the actions that are not simple transitions. */
const STEPS: Partial<Record<ServerActionName, { taskState: TaskState }>> = {
  confirmResize: { taskState: 'resize_confirming' },
  revertResize: { taskState: 'resize_reverting' },
  shelve: { taskState: 'shelving' },
  shelveOffload: { taskState: 'shelving_offloading' },
  restore: { taskState: 'restoring' },
};
type DesiredPower = Server['spec']['powerState'];

/** The power state a user holds after an accepted power action (the Server's spec.powerState). */
const DESIRED_AFTER: Partial<Record<ServerActionName, DesiredPower>> = {
  reboot: 'running', // a hard reboot powers a stopped, paused or suspended server on
  shelve: 'shelved',
  unshelve: 'running',
  stop: 'stopped',
  start: 'running',
  pause: 'paused',
  unpause: 'running',
  suspend: 'suspended',
  resume: 'running',
};

/** The next action that moves a server towards its desired power state, if one applies now. */
/** The user of the actions the operator records to reach a server's spec.powerState. */
export const DESIRED_STATE_USER = 'system:desired-power-state';

export function actionTowards(
  desired: DesiredPower,
  vmState: string | undefined,
): ServerActionName | undefined {
  const steps: Record<DesiredPower, Partial<Record<string, ServerActionName>>> = {
    running: {
      stopped: 'start',
      paused: 'unpause',
      suspended: 'resume',
      shelved: 'unshelve',
      shelved_offloaded: 'unshelve',
    },
    stopped: {
      active: 'stop',
      paused: 'unpause',
      suspended: 'resume',
      shelved: 'unshelve',
      shelved_offloaded: 'unshelve',
    },
    paused: { active: 'pause', stopped: 'start', shelved: 'unshelve', shelved_offloaded: 'unshelve' },
    suspended: { active: 'suspend', stopped: 'start', shelved: 'unshelve', shelved_offloaded: 'unshelve' },
    shelved: { active: 'shelve', stopped: 'shelve', paused: 'shelve', suspended: 'shelve' },
  };
  return steps[desired][vmState ?? ''];
}

export function factsOf(s: Server): ServerFacts {
  return {
    uuid: s.metadata.uid!,
    vmState: s.status?.vmState,
    taskState: s.status?.taskState,
    launchedAt: s.status?.launchedAt,
    host: s.status?.host,
    locked: s.spec.locked,
    lockedBy: s.status?.lockedBy,
  };
}

export interface ServerActionDeps {
  client: KubeClient;
  servers: Informer<Server>;
  flavors: Informer<Flavor>;
  /** Nova's [DEFAULT] reclaim_instance_interval, in seconds (0: deletes are immediate). */
  reclaimInstanceInterval: () => number;
  /** How long a deleted server's records are kept, in seconds (config deletedServerActionsRetention). */
  deletedServerActionsRetention: () => number;
  actions: Informer<ServerAction>;
  computeHosts: Informer<ComputeHost>;
  events: EventRecorder;
  clock: Clock;
  log: Logger;
}

/** Writes an action's status (PUT, guarded by its resourceVersion). */
export function writeActionStatus(
  client: KubeClient,
  act: ServerAction,
  status: ActionStatus,
): Promise<ServerAction> {
  return replaceStatus(client, SERVER_ACTIONS, act, status);
}

/** Creates a ServerAction record (as the gateway or the desired-state reconciler does). */
export async function recordAction(
  client: KubeClient,
  server: Server,
  name: string,
  action: ServerActionName,
  user: string | undefined,
  parameters?: ServerAction['spec']['parameters'],
): Promise<void> {
  await client
    .create(collectionPath(SERVER_ACTIONS, server.metadata.namespace), {
      apiVersion: API_VERSION,
      kind: 'ServerAction',
      metadata: {
        name,
        namespace: server.metadata.namespace,
        labels: { [SERVER_UID_LABEL]: server.metadata.uid! },
      },
      spec: {
        server: server.metadata.name,
        action,
        ...(user ? { user } : {}),
        requestId: `req-${randomUUID()}`,
        ...(parameters ? { parameters } : {}),
      },
    })
    .catch((e: unknown) => (isAlreadyExists(e) ? undefined : Promise.reject(e)));
}

export function serverActionReconciler(d: ServerActionDeps) {
  const nowIso = () => new Date(d.clock.now()).toISOString();
  const written = new WriteTracker();
  /** A record write, remembered so that a reconcile on the not-yet-updated cache is skipped. */
  const writeRecord = async (act: ServerAction, status: ActionStatus): Promise<void> => {
    await writeActionStatus(d.client, act, status);
    written.wrote(act);
  };

  async function fail(act: ServerAction, message: string, server?: Server): Promise<void> {
    const now = nowIso();
    await writeRecord(act, {
      ...act.status,
      phase: 'Failed',
      startTime: act.status?.startTime ?? now,
      finishTime: now,
      message,
    });
    d.events.event(server ?? act, 'Warning', 'ActionRefused', act.spec.action, message);
  }

  async function succeed(act: ServerAction): Promise<void> {
    const now = nowIso();
    await writeRecord(act, {
      ...act.status,
      phase: 'Succeeded',
      startTime: act.status?.startTime ?? now,
      finishTime: now,
    });
  }

  /** The 'create' record ends with the build: ACTIVE succeeds it, ERROR fails it with the fault. */
  async function finishCreate(act: ServerAction, server: Server): Promise<void> {
    const st = server.status;
    if (st?.vmState !== 'active' && st?.vmState !== 'error') return; // still building
    const now = nowIso();
    const ok = st.vmState === 'active';
    const start = act.metadata.creationTimestamp ?? now;
    await writeRecord(act, {
      phase: ok ? 'Succeeded' : 'Failed',
      startTime: start,
      finishTime: now,
      ...(ok ? {} : { message: st.fault?.message ?? 'build failed' }),
      events: [
        {
          event: 'compute__do_build_and_run_instance',
          startTime: start,
          finishTime: now,
          result: ok ? 'Success' : 'Error',
          ...(st.host ? { host: st.host } : {}),
          ...(ok ? {} : { details: st.fault?.details ?? st.fault?.message }),
        },
      ],
    });
  }

  async function markRunning(act: ServerAction, host?: string): Promise<void> {
    const now = nowIso();
    await writeRecord(act, {
      ...act.status,
      phase: 'Running',
      startTime: now,
      events: [{ event: eventName(act.spec.action), startTime: now, ...(host ? { host } : {}) }],
    });
  }

  const hostUp = (host: string | undefined) => {
    const ch = host ? d.computeHosts.get(host) : undefined;
    return ch?.status?.state === 'up' && !ch.spec.forcedDown;
  };

  /**
   * The server's status once the API accepted the action; a string is Nova's refusal; 'done'
   * when the API alone carried it out (a hard delete).
   */
  async function accept(server: Server, act: ServerAction): Promise<ServerStatus | string | 'done'> {
    const st = server.status!;
    const { action, parameters: p } = act.spec;
    const moving = (kind: Migration['kind'], taskState: TaskState, newFlavor = st.flavor!): ServerStatus => ({
      ...withStates(st, st.vmState!, taskState),
      migration: {
        kind,
        ...(st.host ? { sourceHost: st.host } : {}),
        ...(p?.host ? { requestedHost: p.host } : {}),
        ...(kind === 'resize' ? { oldFlavor: st.flavor! } : {}),
        newFlavor,
        vmStateBefore: st.vmState === 'stopped' ? 'stopped' : 'active',
      },
    });
    switch (action) {
      case 'resize': {
        const flavor = resolveFlavor(p!.flavorRef!, d.flavors.list());
        if (!flavor) return `Flavor ${p!.flavorRef} could not be found.`;
        if (flavorId(flavor) === st.flavor?.id) return 'When resizing, instances must change flavor!';
        if (!hostUp(st.host)) return `Compute service of ${st.host} is unavailable at this time.`;
        return moving('resize', 'resize_prep', flavorCopy(flavor));
      }
      case 'migrate':
        if (!hostUp(st.host)) return `Compute service of ${st.host} is unavailable at this time.`;
        return moving('migrate', 'resize_prep');
      case 'live-migration':
        return moving('live-migration', 'migrating');
      case 'evacuate':
        // Only from a host whose compute service is down (nova/compute/api.py evacuate).
        if (hostUp(st.host)) return `Compute service of ${st.host} is still in use.`;
        return moving('evacuate', 'rebuilding');
      case 'unshelve':
        return st.vmState === 'shelved_offloaded'
          ? moving('unshelve', 'unshelving')
          : withStates(st, st.vmState!, 'unshelving');
      case 'delete':
        // A server on no host (offloaded) is deleted locally, as Nova's _local_delete does.
        if (d.reclaimInstanceInterval() > 0 && st.host) return withStates(st, st.vmState!, 'soft-deleting');
        await deleteServer(server);
        return 'done';
      case 'forceDelete':
        await deleteServer(server);
        return 'done';
    }
    // Reads change nothing on the server; the compute manager puts the result in the record.
    if (action === 'consoleOutput' || action === 'diagnostics') return st;
    const t = transitionFor(action, p?.type) ?? STEPS[action];
    if (!t) return `Action ${action} is not supported by Kova yet.`;
    return withStates(st, st.vmState!, t.taskState);
  }

  async function deleteServer(server: Server): Promise<void> {
    await d.client
      .delete(objectPath(SERVERS, server.metadata.name!, server.metadata.namespace))
      .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }

  /**
   * Whether the server is about to change: our cache lags it, or the compute manager is finishing
   * the action it carries (the record is written first, the server next). Nova's API reads the
   * database, where a client that saw the previous action finish sees its outcome; so a refusal
   * waits for the server's write, which brings the waiting action back.
   */
  async function finishing(server: Server): Promise<boolean> {
    const ns = server.metadata.namespace;
    const live = await d.client
      .get<Server>(objectPath(SERVERS, server.metadata.name!, ns))
      .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
    if (!live) return false;
    if (live.metadata.resourceVersion !== server.metadata.resourceVersion) return true;
    const ref = live.status?.action;
    if (!ref) return false;
    const record = await d.client
      .get<ServerAction>(objectPath(SERVER_ACTIONS, ref.name, ns))
      .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
    return record?.status?.phase === 'Succeeded' || record?.status?.phase === 'Failed';
  }

  /**
   * A finished record of a server that no longer exists stays readable (os-instance-actions of a
   * deleted server) for the retention after the server's last record finished, then goes. A
   * server that went without a delete through Nova's API (a create the gateway's quota recheck
   * undid) leaves no log: its records go at once, including one written after it went.
   */
  async function expire(act: ServerAction): Promise<ReconcileResult | void> {
    const uid = act.metadata.labels?.[SERVER_UID_LABEL];
    const ns = act.metadata.namespace!;
    if (!uid || d.servers.get(`${ns}/${act.spec.server}`)?.metadata.uid === uid) return;
    const records = d.actions
      .list()
      .filter((a) => a.metadata.namespace === ns && a.metadata.labels?.[SERVER_UID_LABEL] === uid);
    const deleted = records.some((a) => a.spec.action === 'delete' || a.spec.action === 'forceDelete');
    const last = Math.max(
      ...records.map((a) => Date.parse(a.status?.finishTime ?? a.metadata.creationTimestamp ?? '') || 0),
    );
    const due = deleted ? last + d.deletedServerActionsRetention() * 1000 : 0;
    if (d.clock.now() < due) return { requeueAfterMs: due - d.clock.now() };
    await d.client
      .delete(objectPath(SERVER_ACTIONS, act.metadata.name!, ns))
      .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }

  return async (key: string): Promise<ReconcileResult | void> => {
    const act = d.actions.get(key);
    if (!act || written.isStale(act)) return;
    if (act.status?.phase === 'Succeeded' || act.status?.phase === 'Failed') return expire(act);
    if (act.status?.phase === 'Running') return; // the compute manager finishes it
    const server = d.servers.get(`${act.metadata.namespace}/${act.spec.server}`);
    if (!server) return fail(act, `Instance ${act.spec.server} could not be found.`);
    const { action, parameters } = act.spec;
    if (action === 'create') return finishCreate(act, server);
    // Accepted before a crash: the server already carries it.
    if (server.status?.action?.name === act.metadata.name) return markRunning(act, server.status?.host);

    const rule = ruleFor(action, parameters?.type);
    // One action at a time on the compute host. One in flight with a task state refuses others
    // as Nova does (task_state checks); one that ignores task states (a read, a soft delete), or
    // one arriving while a task-less action (a read, a crash dump) runs, waits for it: the
    // server's change brings it back.
    const apiOnly = ['lock', 'unlock', 'resetState', 'forceDelete'].includes(action);
    if (server.status?.action && !apiOnly && (!server.status.taskState || rule.taskStates === 'any')) return;
    const refused = refusal(action, factsOf(server), { admin: act.spec.admin }, parameters?.type);
    if (refused && !apiOnly && (await finishing(server))) return;
    if (refused) return fail(act, refused, server);
    const driver = server.status?.host ? d.computeHosts.get(server.status.host)?.status?.driver : undefined;
    if (rule.driver && driver && !DRIVER_CAPABILITIES[driver]?.has(rule.driver)) {
      return fail(act, `Action ${rule.apiName} is not supported by the ${driver} driver.`, server);
    }

    switch (action) {
      case 'lock':
        await d.client.patch(objectPath(SERVERS, server.metadata.name!, server.metadata.namespace), {
          spec: { locked: true, lockedReason: parameters?.reason ?? null },
        });
        await writeServerStatus(
          d.client,
          server,
          { ...server.status, lockedBy: act.spec.admin ? 'admin' : 'owner' },
          d.clock,
        );
        return succeed(act);
      case 'unlock': {
        await d.client.patch(objectPath(SERVERS, server.metadata.name!, server.metadata.namespace), {
          spec: { locked: false, lockedReason: null },
        });
        const status = { ...server.status };
        delete status.lockedBy;
        await writeServerStatus(d.client, server, status, d.clock);
        return succeed(act);
      }
      case 'resetState': {
        // os-resetState: force the vm_state, clear the task (admin_actions.py _reset_state).
        const state = parameters?.state ?? 'error';
        const status = withStates(server.status ?? {}, state, undefined);
        delete status.action;
        await writeServerStatus(d.client, server, status, d.clock);
        return succeed(act);
      }
    }

    // The API's part: the task state (and a migration record for moves), and the action for the
    // compute manager of the host.
    const start = await accept(server, act);
    if (start === 'done') return succeed(act);
    if (typeof start === 'string') return fail(act, start, server);
    await writeServerStatus(
      d.client,
      server,
      { ...start, action: { name: act.metadata.name!, action } },
      d.clock,
    );
    // A user's power action changes what the user holds; a step towards it does not.
    // An evacuation asked to end stopped (API 2.95+) leaves the user holding a stopped server.
    const evacuatedStopped = action === 'evacuate' && act.spec.parameters?.targetState === 'stopped';
    const desired =
      act.spec.user === DESIRED_STATE_USER ? undefined : evacuatedStopped ? 'stopped' : DESIRED_AFTER[action];
    if (desired && desired !== server.spec.powerState) {
      await d.client.patch(objectPath(SERVERS, server.metadata.name!, server.metadata.namespace), {
        spec: { powerState: desired },
      });
    }
    await markRunning(act, server.status?.host);
  };
}

/**
 * Keys of the pending actions of a server (to look at again when the server changes), and all of
 * its records once it is gone (their retention starts).
 */
export function actionsOf(actions: Informer<ServerAction>, s: Server, gone = false): string[] {
  return actions
    .list()
    .filter(
      (a) =>
        a.metadata.namespace === s.metadata.namespace &&
        a.spec.server === s.metadata.name &&
        (gone || !a.status?.phase),
    )
    .map((a) => `${a.metadata.namespace}/${a.metadata.name}`);
}
