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
  type Server,
  type ServerAction,
  type ServerActionName,
} from '../api/v1alpha1/index.ts';
import { type ServerFacts, eventName, refusal, ruleFor, transitionFor } from '../compute/actions.ts';
import { withStates } from '../compute/server.ts';
import { DRIVER_CAPABILITIES } from '../drivers/driver.ts';
import { type KubeClient, isAlreadyExists } from '../kube/client.ts';
import { collectionPath, kovaResource, objectPath } from '../kube/resources.ts';
import { replaceStatus } from '../kube/writes.ts';
import type { Clock } from '../runtime/clock.ts';
import type { EventRecorder } from '../runtime/events.ts';
import type { Informer } from '../runtime/informer.ts';
import { SERVERS, writeServerStatus } from './server.ts';

export const SERVER_ACTIONS = kovaResource(ServerActionKind);

type ActionStatus = NonNullable<ServerAction['status']>;
type DesiredPower = Server['spec']['powerState'];

/** The power state a user holds after an accepted power action (the Server's spec.powerState). */
const DESIRED_AFTER: Partial<Record<ServerActionName, DesiredPower>> = {
  reboot: 'running', // a hard reboot powers a stopped, paused or suspended server on
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
    running: { stopped: 'start', paused: 'unpause', suspended: 'resume' },
    stopped: { active: 'stop', paused: 'unpause', suspended: 'resume' },
    paused: { active: 'pause', stopped: 'start' },
    suspended: { active: 'suspend', stopped: 'start' },
    shelved: {}, // shelving by desired state comes with shelve itself
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
  user: string,
  parameters?: ServerAction['spec']['parameters'],
): Promise<void> {
  await client
    .create(collectionPath(SERVER_ACTIONS, server.metadata.namespace), {
      apiVersion: API_VERSION,
      kind: 'ServerAction',
      metadata: { name, namespace: server.metadata.namespace },
      spec: {
        server: server.metadata.name,
        action,
        user,
        requestId: `req-${randomUUID()}`,
        ...(parameters ? { parameters } : {}),
      },
    })
    .catch((e: unknown) => (isAlreadyExists(e) ? undefined : Promise.reject(e)));
}

export function serverActionReconciler(d: ServerActionDeps) {
  const nowIso = () => new Date(d.clock.now()).toISOString();

  async function fail(act: ServerAction, message: string, server?: Server): Promise<void> {
    const now = nowIso();
    await writeActionStatus(d.client, act, {
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
    await writeActionStatus(d.client, act, {
      ...act.status,
      phase: 'Succeeded',
      startTime: act.status?.startTime ?? now,
      finishTime: now,
    });
  }

  async function markRunning(act: ServerAction, host?: string): Promise<void> {
    const now = nowIso();
    await writeActionStatus(d.client, act, {
      ...act.status,
      phase: 'Running',
      startTime: now,
      events: [{ event: eventName(act.spec.action), startTime: now, ...(host ? { host } : {}) }],
    });
  }

  return async (key: string): Promise<void> => {
    const act = d.actions.get(key);
    if (!act || act.status?.phase === 'Succeeded' || act.status?.phase === 'Failed') return;
    if (act.status?.phase === 'Running') return; // the compute manager finishes it
    const server = d.servers.get(`${act.metadata.namespace}/${act.spec.server}`);
    if (!server) return fail(act, `Instance ${act.spec.server} could not be found.`);
    const { action, parameters } = act.spec;
    // Accepted before a crash: the server already carries it.
    if (server.status?.action?.name === act.metadata.name) return markRunning(act, server.status?.host);

    const rule = ruleFor(action, parameters?.type);
    const refused = refusal(action, factsOf(server), { admin: act.spec.admin }, parameters?.type);
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

    const t = transitionFor(action, parameters?.type);
    if (!t) return fail(act, `Action ${rule.apiName} is not supported by Kova yet.`, server);
    // The API's part: the task state, and the action for the host's compute manager.
    const status = withStates(server.status ?? {}, server.status!.vmState!, t.taskState);
    await writeServerStatus(
      d.client,
      server,
      { ...status, action: { name: act.metadata.name!, action } },
      d.clock,
    );
    // A user's power action changes what the user holds; a step towards it does not.
    const desired = act.spec.user === DESIRED_STATE_USER ? undefined : DESIRED_AFTER[action];
    if (desired && desired !== server.spec.powerState) {
      await d.client.patch(objectPath(SERVERS, server.metadata.name!, server.metadata.namespace), {
        spec: { powerState: desired },
      });
    }
    await markRunning(act, server.status?.host);
  };
}

/** Keys of the pending actions of a server (to look at again when the server changes). */
export function actionsOf(actions: Informer<ServerAction>, s: Server): string[] {
  return actions
    .list()
    .filter(
      (a) =>
        a.metadata.namespace === s.metadata.namespace &&
        a.spec.server === s.metadata.name &&
        !a.status?.phase,
    )
    .map((a) => `${a.metadata.namespace}/${a.metadata.name}`);
}
