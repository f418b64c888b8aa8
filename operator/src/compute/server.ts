// Pure functions over a Server's status, shared by the controllers: Nova's state transitions as
// the API, conductor and compute manager set them, each returning a new status (never mutating).
import { createHash } from 'node:crypto';
import type { Flavor, Image, Keypair, Server, ServerGroup } from '../api/v1alpha1/index.ts';
import { flavorId } from '../api/v1alpha1/flavor.ts';
import { setCondition } from '../runtime/conditions.ts';
import { statusFromState, type PowerState, type TaskState, type VmState } from './states.ts';

export type ServerStatus = NonNullable<Server['status']>;
export type Fault = NonNullable<ServerStatus['fault']>;

/** The finalizer that keeps a Server until its VM, disks and allocation are released. */
export const SERVER_FINALIZER = 'compute.kova.io/server';

/** Nova's hostId: sha224(project_id + host), or '' without a host (api/openstack/compute/views/servers.py). */
export function hostId(projectId: string, host: string | undefined): string {
  return host
    ? createHash('sha224')
        .update(projectId + host)
        .digest('hex')
    : '';
}

/** Status with the vm/task/power states set and Nova's status string derived from them. */
export function withStates(
  status: ServerStatus,
  vmState: VmState,
  taskState: TaskState | undefined,
  powerState?: PowerState,
): ServerStatus {
  const next: ServerStatus = { ...status, vmState, status: statusFromState(vmState, taskState) };
  if (taskState) next.taskState = taskState;
  else delete next.taskState;
  if (powerState) next.powerState = powerState;
  return next;
}

export function fault(code: number, message: string, nowIso: string, details?: string): Fault {
  return details ? { code, message, details, created: nowIso } : { code, message, created: nowIso };
}

/** The Flavor a server's flavorRef names: by Nova id first, then by metadata.name. */
export function resolveFlavor(ref: string, flavors: readonly Flavor[]): Flavor | undefined {
  return flavors.find((f) => flavorId(f) === ref) ?? flavors.find((f) => f.metadata.name === ref);
}

/** The Image an imageRef names: by id (metadata.uid) first, then by metadata.name. */
export function resolveImage(ref: string, images: readonly Image[]): Image | undefined {
  return images.find((i) => i.metadata.uid === ref) ?? images.find((i) => i.metadata.name === ref);
}

/**
 * The Keypair a server's key_name names: Nova looks key_name up among the keypairs of the
 * server's user (user_id); a server with no known user (written with kubectl) takes the first of
 * that name, by object name.
 */
export function resolveKeypair(
  keyName: string,
  userId: string | undefined,
  keypairs: readonly Keypair[],
): Keypair | undefined {
  return keypairs
    .filter((k) => k.spec.name === keyName && (!userId || k.spec.user === userId))
    .sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!))[0];
}

/** The copy of a flavor a server keeps (status.flavor; shown from 2.47). */
export function flavorCopy(flavor: Flavor): NonNullable<ServerStatus['flavor']> {
  const f = flavor.spec;
  return {
    id: flavorId(flavor),
    name: f.name,
    vcpus: f.vcpus,
    ram: f.ram,
    disk: f.disk,
    ephemeral: f.ephemeral,
    swap: f.swap,
    ...(f.extraSpecs ? { extraSpecs: f.extraSpecs } : {}),
  };
}

/** The ServerGroup a server joins: spec.serverGroup names it by uid or metadata.name, in its project. */
export function resolveServerGroup(s: Server, groups: readonly ServerGroup[]): ServerGroup | undefined {
  const ref = s.spec.serverGroup;
  if (!ref) return undefined;
  return groups.find(
    (g) =>
      g.metadata.namespace === s.metadata.namespace && (g.metadata.uid === ref || g.metadata.name === ref),
  );
}

/**
 * The first status of a new server (nova/compute/api.py _provision_instances): BUILD with
 * task_state scheduling and a copy of its flavor; or ERROR when its flavor or image does not
 * exist (Nova refuses those with 400 at the API; a kubectl user sees the fault instead).
 */
export function initialStatus(
  server: Server,
  flavor: Flavor | undefined,
  image: Image | undefined,
  nowIso: string,
  groupFound = true,
): ServerStatus {
  const base: ServerStatus = { observedGeneration: server.metadata.generation };
  if (!groupFound) {
    return {
      ...withStates(base, 'error', undefined, 'pending'),
      fault: fault(400, `Instance group ${server.spec.serverGroup} could not be found.`, nowIso),
    };
  }
  if (!flavor) {
    return {
      ...withStates(base, 'error', undefined, 'pending'),
      fault: fault(400, `Flavor ${server.spec.flavorRef} could not be found.`, nowIso),
    };
  }
  if (!image) {
    return {
      ...withStates(base, 'error', undefined, 'pending'),
      fault: fault(400, `Image ${server.spec.imageRef} could not be found.`, nowIso),
    };
  }
  return {
    ...withStates(base, 'building', 'scheduling', 'pending'),
    flavor: flavorCopy(flavor),
    image: { id: image.metadata.uid ?? '', name: image.spec.name },
  };
}

/** A server the scheduler should place: building, scheduling, no host, not being deleted. */
export function awaitsScheduling(s: Server): boolean {
  return (
    !s.metadata.deletionTimestamp &&
    s.status?.vmState === 'building' &&
    s.status.taskState === 'scheduling' &&
    !s.status.host
  );
}

/** The scheduler's binding: the host, its hostId, and the compute manager's first task. */
export function boundStatus(status: ServerStatus, projectId: string, host: string): ServerStatus {
  return { ...withStates(status, 'building', 'networking'), host, hostId: hostId(projectId, host) };
}

/** NoValidHost: ERROR with Nova's fault (code 500) and the filter log as details. */
export function noValidHostStatus(
  status: ServerStatus,
  message: string,
  details: string,
  nowIso: string,
): ServerStatus {
  return { ...withStates(status, 'error', undefined), fault: fault(500, message, nowIso, details) };
}

/** ACTIVE after a successful spawn (compute manager _build_and_run_instance). */
export function activeStatus(
  status: ServerStatus,
  addresses: ServerStatus['addresses'],
  nowIso: string,
): ServerStatus {
  const next = { ...withStates(status, 'active', undefined, 'running'), launchedAt: nowIso, addresses };
  delete next.fault;
  delete next.retry;
  return next;
}

/**
 * After a failed build on `host`: back to scheduling elsewhere (Nova's reschedule), or ERROR
 * once max_attempts builds failed (conductor's MaxRetriesExceeded).
 */
export function buildFailedStatus(
  status: ServerStatus,
  uuid: string,
  host: string,
  reason: string,
  maxAttempts: number,
  nowIso: string,
): ServerStatus {
  const attempts = status.retry?.numAttempts ?? 1;
  const hosts = [...new Set([...(status.retry?.hosts ?? []), host])];
  const next: ServerStatus = { ...status };
  delete next.host;
  next.hostId = '';
  if (attempts >= maxAttempts) {
    return {
      ...withStates(next, 'error', undefined, 'pending'),
      retry: { numAttempts: attempts, hosts },
      fault: fault(
        500,
        `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${uuid}.`,
        nowIso,
        reason,
      ),
    };
  }
  return {
    ...withStates(next, 'building', 'scheduling', 'pending'),
    retry: { numAttempts: attempts + 1, hosts },
  };
}

/**
 * The Kubernetes conditions of a server, derived from its Nova state so kubectl users can
 * `kubectl wait --for=condition=Ready`: Scheduled (has a host, or why not) and Ready (ACTIVE,
 * idle and running; otherwise its Nova status, and the fault's message if any).
 */
export function withConditions(status: ServerStatus, nowIso: string): ServerStatus {
  const scheduling = status.vmState === 'building' && !status.host;
  const scheduled = status.host
    ? { status: 'True' as const, reason: 'Scheduled', message: `placed on ${status.host}` }
    : status.fault?.message.startsWith('No valid host')
      ? { status: 'False' as const, reason: 'NoValidHost', message: status.fault.message }
      : { status: 'False' as const, reason: scheduling ? 'Scheduling' : 'NotPlaced', message: '' };
  const ready =
    status.vmState === 'active' && !status.taskState && status.powerState === 'running'
      ? { status: 'True' as const, reason: 'Active', message: '' }
      : {
          status: 'False' as const,
          reason: status.status ?? 'Unknown',
          message: status.fault?.message ?? (status.taskState ? `task: ${status.taskState}` : ''),
        };
  let conditions = setCondition(status.conditions, { type: 'Scheduled', ...scheduled }, nowIso);
  conditions = setCondition(conditions, { type: 'Ready', ...ready }, nowIso);
  return { ...status, conditions };
}
