// Nova's server actions: which states each may start from (nova/compute/api.py, Zed: the
// check_instance_state / check_instance_lock / check_instance_host decorators), the task_state it
// sets when accepted, and how it ends when the driver succeeded (nova/compute/manager.py). The
// refusal messages are the API's (api/openstack/common.py raise_http_conflict_for_instance_
// invalid_state; exception.InstanceIsLocked). Everything here is pure.
import type { ServerActionName } from '../api/v1alpha1/serveraction.ts';
import type { DriverOperation } from '../drivers/driver.ts';
import type { PowerState, TaskState, VmState } from './states.ts';

export interface ActionRule {
  /** The action's name in Nova's 409 messages ('reboot', 'createImage', 'os-migrateLive'...). */
  apiName: string;
  /** Allowed vm_states; 'any' when the API does not check it. */
  vmStates: readonly VmState[] | 'any';
  /** Allowed task_states (null is idle); 'any' when not checked. check_instance_state's default is idle only. */
  taskStates: readonly (TaskState | null)[] | 'any';
  /** check_instance_state(must_have_launched=True), the default: never-launched servers are refused. */
  mustHaveLaunched: boolean;
  /** check_instance_lock: a locked server refuses it unless the caller is admin. */
  checkLock: boolean;
  /** check_instance_host: the server must be on a host. */
  needsHost: boolean;
  /** Admin-only by Nova's default policy. */
  adminOnly: boolean;
  /** The driver operation the compute side runs, when it needs one. */
  driver?: DriverOperation;
  /** Where the rule is in Nova (Zed). */
  source: string;
}

const IDLE = [null] as const;
/** task_states.ALLOW_REBOOT: a hard reboot may interrupt these. */
export const ALLOW_REBOOT: readonly (TaskState | null)[] = [
  null,
  'rebooting',
  'reboot_pending',
  'reboot_started',
  'resuming',
  'rebooting_hard',
  'unpausing',
  'pausing',
  'suspending',
];

const rule = (r: Partial<ActionRule> & Pick<ActionRule, 'apiName' | 'vmStates' | 'source'>): ActionRule => ({
  taskStates: IDLE,
  mustHaveLaunched: true,
  checkLock: true,
  needsHost: false,
  adminOnly: false,
  ...r,
});

/** The rule of each action; reboot's depends on its type, see ruleFor(). */
export const ACTION_RULES: Record<
  Exclude<ServerActionName, 'reboot' | 'consoleOutput' | 'diagnostics'>,
  ActionRule
> & {
  'reboot:SOFT': ActionRule;
  'reboot:HARD': ActionRule;
} = {
  create: rule({
    apiName: 'create',
    vmStates: 'any',
    taskStates: 'any',
    mustHaveLaunched: false,
    checkLock: false,
    source: 'API.create',
  }),
  delete: rule({
    apiName: 'delete',
    vmStates: 'any',
    taskStates: 'any',
    mustHaveLaunched: false,
    source: 'API.delete / API.soft_delete',
  }),
  forceDelete: rule({
    apiName: 'forceDelete',
    vmStates: 'any',
    taskStates: 'any',
    source: 'API.force_delete',
  }),
  restore: rule({ apiName: 'restore', vmStates: ['soft-delete'], source: 'API.restore' }),
  stop: rule({
    apiName: 'stop',
    vmStates: ['active', 'error'],
    needsHost: true,
    driver: 'powerOff',
    source: 'API.stop',
  }),
  start: rule({
    apiName: 'start',
    vmStates: ['stopped'],
    needsHost: true,
    driver: 'powerOn',
    source: 'API.start',
  }),
  'reboot:SOFT': rule({
    apiName: 'reboot',
    vmStates: ['active'],
    driver: 'reboot',
    source: 'API._soft_reboot',
  }),
  'reboot:HARD': rule({
    apiName: 'reboot',
    vmStates: ['active', 'stopped', 'paused', 'suspended', 'error'],
    taskStates: ALLOW_REBOOT,
    driver: 'reboot',
    source: 'API._hard_reboot (ALLOW_HARD_REBOOT, ALLOW_REBOOT)',
  }),
  pause: rule({ apiName: 'pause', vmStates: ['active'], driver: 'pause', source: 'API.pause' }),
  unpause: rule({ apiName: 'unpause', vmStates: ['paused'], driver: 'unpause', source: 'API.unpause' }),
  suspend: rule({ apiName: 'suspend', vmStates: ['active'], driver: 'suspend', source: 'API.suspend' }),
  resume: rule({ apiName: 'resume', vmStates: ['suspended'], driver: 'resume', source: 'API.resume' }),
  rescue: rule({
    apiName: 'rescue',
    vmStates: ['active', 'stopped', 'error'],
    driver: 'rescue',
    source: 'API.rescue',
  }),
  unrescue: rule({ apiName: 'unrescue', vmStates: ['rescued'], driver: 'unrescue', source: 'API.unrescue' }),
  rebuild: rule({
    apiName: 'rebuild',
    vmStates: ['active', 'stopped', 'error'],
    driver: 'rebuild',
    source: 'API.rebuild',
  }),
  resize: rule({
    apiName: 'resize',
    vmStates: ['active', 'stopped'],
    needsHost: true,
    driver: 'migrate',
    source: 'API.resize',
  }),
  migrate: rule({
    apiName: 'migrate',
    vmStates: ['active', 'stopped'],
    needsHost: true,
    adminOnly: true,
    driver: 'migrate',
    source: 'API.resize (no flavor)',
  }),
  confirmResize: rule({ apiName: 'confirmResize', vmStates: ['resized'], source: 'API.confirm_resize' }),
  revertResize: rule({
    apiName: 'revertResize',
    vmStates: ['resized'],
    driver: 'migrate',
    source: 'API.revert_resize',
  }),
  'live-migration': rule({
    apiName: 'os-migrateLive',
    vmStates: ['active', 'paused'],
    adminOnly: true,
    driver: 'liveMigrate',
    source: 'API.live_migrate',
  }),
  evacuate: rule({
    apiName: 'evacuate',
    vmStates: ['active', 'stopped', 'error'],
    checkLock: false,
    adminOnly: true,
    driver: 'rebuild',
    source: 'API.evacuate',
  }),
  shelve: rule({
    apiName: 'shelve',
    vmStates: ['active', 'stopped', 'paused', 'suspended'],
    driver: 'snapshot',
    source: 'API.shelve',
  }),
  shelveOffload: rule({
    apiName: 'shelveOffload',
    vmStates: ['shelved'],
    adminOnly: true,
    source: 'API.shelve_offload',
  }),
  unshelve: rule({ apiName: 'unshelve', vmStates: ['shelved', 'shelved_offloaded'], source: 'API.unshelve' }),
  createImage: rule({
    apiName: 'createImage',
    vmStates: ['active', 'stopped', 'paused', 'suspended'],
    checkLock: false,
    driver: 'snapshot',
    source: 'API.snapshot',
  }),
  lock: rule({
    apiName: 'lock',
    vmStates: 'any',
    taskStates: 'any',
    mustHaveLaunched: false,
    checkLock: false,
    source: 'API.lock',
  }),
  unlock: rule({
    apiName: 'unlock',
    vmStates: 'any',
    taskStates: 'any',
    mustHaveLaunched: false,
    checkLock: false,
    source: 'API.unlock',
  }),
  resetState: rule({
    apiName: 'os-resetState',
    vmStates: 'any',
    taskStates: 'any',
    mustHaveLaunched: false,
    checkLock: false,
    adminOnly: true,
    source: 'admin_actions.py _reset_state',
  }),
  trigger_crash_dump: rule({
    apiName: 'trigger_crash_dump',
    vmStates: ['active', 'paused', 'rescued', 'resized', 'error'],
    needsHost: true,
    driver: 'triggerCrashDump',
    source: 'API.trigger_crash_dump (ALLOW_TRIGGER_CRASH_DUMP)',
  }),
};

/** Reads, not changes: Nova records no instance action for them; Kova's record carries the result. */
const READS = {
  consoleOutput: rule({
    apiName: 'os-getConsoleOutput',
    vmStates: 'any',
    taskStates: 'any',
    mustHaveLaunched: false,
    checkLock: false,
    needsHost: true,
    driver: 'consoleOutput',
    source: 'API.get_console_output (check_instance_host)',
  }),
  diagnostics: rule({
    apiName: 'get_diagnostics',
    vmStates: 'any',
    taskStates: 'any',
    mustHaveLaunched: false,
    checkLock: false,
    needsHost: true,
    driver: 'diagnostics',
    source: 'API.get_instance_diagnostics (check_instance_host)',
  }),
};

export function ruleFor(action: ServerActionName, rebootType?: 'SOFT' | 'HARD'): ActionRule {
  if (action === 'reboot') return ACTION_RULES[rebootType === 'HARD' ? 'reboot:HARD' : 'reboot:SOFT'];
  if (action === 'consoleOutput' || action === 'diagnostics') return READS[action];
  return ACTION_RULES[action];
}

/** What an action's state check looks at. */
export interface ServerFacts {
  uuid: string;
  vmState?: VmState;
  taskState?: TaskState;
  launchedAt?: string;
  host?: string;
  locked: boolean;
  /** Who locked it (Nova's locked_by): only an admin may undo an admin's lock. */
  lockedBy?: 'owner' | 'admin';
}

export interface Caller {
  admin: boolean;
}

const invalidState = (apiName: string, uuid: string, attr: string, value?: string | null) =>
  `Cannot '${apiName}' instance ${uuid} while it is in ${attr} ${value ?? 'None'}`;

/**
 * check_instance_state's refusal (InstanceInvalidState: the vm_state first, then the task_state)
 * for a compute API method, or undefined; 'any' skips a check, and the task states default to the
 * decorator's (no task running). Methods outside the action table (attach_interface, ...) use it too.
 */
export function stateRefusal(
  apiName: string,
  server: Pick<ServerFacts, 'uuid' | 'vmState' | 'taskState'>,
  vmStates: readonly string[] | 'any',
  taskStates: readonly (string | null)[] | 'any' = [null],
): string | undefined {
  if (vmStates !== 'any' && !vmStates.includes(server.vmState as string))
    return invalidState(apiName, server.uuid, 'vm_state', server.vmState);
  if (taskStates !== 'any' && !taskStates.includes(server.taskState ?? null))
    return invalidState(apiName, server.uuid, 'task_state', server.taskState);
  return undefined;
}

/**
 * Why Nova would refuse the action on this server (its 409 message), or undefined if it would
 * accept it. Checks run in the decorators' order: lock, then vm_state, task_state, launched_at.
 */
export function refusal(
  action: ServerActionName,
  server: ServerFacts,
  caller: Caller,
  rebootType?: 'SOFT' | 'HARD',
): string | undefined {
  const r = ruleFor(action, rebootType);
  if (r.adminOnly && !caller.admin) return `Policy doesn't allow ${r.apiName} to be performed.`;
  if (r.checkLock && server.locked && !caller.admin) return `Instance ${server.uuid} is locked`;
  if (action === 'unlock' && server.lockedBy === 'admin' && !caller.admin) {
    return `Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.`;
  }
  const refused = stateRefusal(r.apiName, server, r.vmStates, r.taskStates);
  if (refused) return refused;
  if (r.mustHaveLaunched && !server.launchedAt) return invalidState(r.apiName, server.uuid, 'launched_at');
  if (r.needsHost && !server.host) return `Instance ${server.uuid} is not ready yet: it has no host`;
  return undefined;
}

/** How a simple action runs: the task_state it sets when accepted, and its end state. */
export interface Transition {
  /** Absent when the API sets none (trigger_crash_dump). */
  taskState?: TaskState;
  /**
   * 'same' keeps the vm_state the server had when the action began; 'rebuilt' is a rebuild's:
   * stopped stays stopped, anything else becomes active.
   */
  vmState: VmState | 'same' | 'rebuilt';
  powerState: PowerState | 'same';
}

/** nova/compute/manager.py, for the actions that stay on their host. */
export const TRANSITIONS: Partial<Record<ServerActionName | 'reboot:SOFT' | 'reboot:HARD', Transition>> = {
  stop: { taskState: 'powering-off', vmState: 'stopped', powerState: 'shutdown' },
  start: { taskState: 'powering-on', vmState: 'active', powerState: 'running' },
  'reboot:SOFT': { taskState: 'rebooting', vmState: 'active', powerState: 'running' },
  'reboot:HARD': { taskState: 'rebooting_hard', vmState: 'active', powerState: 'running' },
  pause: { taskState: 'pausing', vmState: 'paused', powerState: 'paused' },
  unpause: { taskState: 'unpausing', vmState: 'active', powerState: 'running' },
  suspend: { taskState: 'suspending', vmState: 'suspended', powerState: 'suspended' },
  resume: { taskState: 'resuming', vmState: 'active', powerState: 'running' },
  rescue: { taskState: 'rescuing', vmState: 'rescued', powerState: 'running' },
  unrescue: { taskState: 'unrescuing', vmState: 'active', powerState: 'running' },
  // A rebuilt server comes back active, or stopped if it was (manager._do_rebuild_instance).
  rebuild: { taskState: 'rebuilding', vmState: 'rebuilt', powerState: 'same' },
  createImage: { taskState: 'image_snapshot', vmState: 'same', powerState: 'same' },
  trigger_crash_dump: { vmState: 'same', powerState: 'same' },
};

/** The vm_state and power_state after a successful action, from those before it. */
export function endState(
  t: Transition,
  before: { vmState: VmState; powerState?: PowerState },
): { vmState: VmState; powerState?: PowerState } {
  if (t.vmState === 'rebuilt') {
    return before.vmState === 'stopped'
      ? { vmState: 'stopped', powerState: 'shutdown' }
      : { vmState: 'active', powerState: 'running' };
  }
  return {
    vmState: t.vmState === 'same' ? before.vmState : t.vmState,
    powerState: t.powerState === 'same' ? before.powerState : t.powerState,
  };
}

export function transitionFor(
  action: ServerActionName,
  rebootType?: 'SOFT' | 'HARD',
): Transition | undefined {
  return TRANSITIONS[action === 'reboot' ? (rebootType === 'HARD' ? 'reboot:HARD' : 'reboot:SOFT') : action];
}

/** Nova's instance-action event name of the compute step (e.g. compute_stop_instance). */
export function eventName(action: ServerActionName): string {
  const names: Partial<Record<ServerActionName, string>> = {
    stop: 'compute_stop_instance',
    start: 'compute_start_instance',
    reboot: 'compute_reboot_instance',
    pause: 'compute_pause_instance',
    unpause: 'compute_unpause_instance',
    suspend: 'compute_suspend_instance',
    resume: 'compute_resume_instance',
    rescue: 'compute_rescue_instance',
    unrescue: 'compute_unrescue_instance',
    rebuild: 'compute_rebuild_instance',
    createImage: 'compute_snapshot_instance',
    trigger_crash_dump: 'compute_trigger_crash_dump',
    consoleOutput: 'compute_get_console_output',
    diagnostics: 'compute_get_diagnostics',
    resize: 'compute_prep_resize',
    migrate: 'compute_prep_resize',
    confirmResize: 'compute_confirm_resize',
    revertResize: 'compute_revert_resize',
    'live-migration': 'compute_live_migration',
    evacuate: 'compute_rebuild_instance',
    shelve: 'compute_shelve_instance',
    shelveOffload: 'compute_shelve_offload_instance',
    unshelve: 'compute_unshelve_instance',
    restore: 'compute_restore_instance',
    delete: 'compute_soft_delete_instance',
  };
  return names[action] ?? `api_${action}`;
}
