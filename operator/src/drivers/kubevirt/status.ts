// What KubeVirt reports, in Nova's terms: a VirtualMachineInstance's phase, conditions and
// interfaces → power_state, vm_state/task_state, addresses, launched time and fault. Pure.
// VMI phases (kubevirt.io/api core/v1 VirtualMachineInstancePhase): Pending, Scheduling, Scheduled,
// Running, Succeeded, Failed, Unknown; conditions: Ready, Paused, LiveMigratable, ...
import type { V1VirtualMachineInstance } from './types.ts';
import type { TaskState, VmState } from '../../compute/states.ts';
import type { Address, DriverPowerState } from '../driver.ts';

export type Vmi = V1VirtualMachineInstance;

const condition = (vmi: Vmi, type: string) =>
  vmi.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/** The hypervisor's power state of the instance; none (the VM is stopped) is 'shutdown'. */
export function powerStateOf(vmi: Vmi | undefined): DriverPowerState {
  switch (vmi?.status?.phase) {
    case undefined:
      return vmi ? 'pending' : 'shutdown';
    case 'Running':
      return condition(vmi, 'Paused') ? 'paused' : 'running';
    case 'Succeeded':
      return 'shutdown';
    case 'Failed':
      return 'crashed';
    default: // '', Pending, Scheduling, Scheduled, Unknown
      return 'pending';
  }
}

export interface NovaStates {
  powerState: DriverPowerState;
  vmState: VmState;
  taskState?: TaskState;
}

/**
 * Nova's vm_state/task_state for what KubeVirt shows: a VMI on its way up is a build spawning, one
 * running ACTIVE (PAUSED when paused; migrating while a live migration is under way), a stopped VM
 * (no VMI, or one whose guest shut down) STOPPED, a failed one ERROR.
 */
export function novaStates(vmi: Vmi | undefined): NovaStates {
  const powerState = powerStateOf(vmi);
  const migrating = !!vmi?.status?.migrationState && !vmi.status.migrationState.completed;
  switch (powerState) {
    case 'pending':
      return { powerState, vmState: 'building', taskState: 'spawning' };
    case 'running':
      return { powerState, vmState: 'active', ...(migrating ? { taskState: 'migrating' as const } : {}) };
    case 'paused':
      return { powerState, vmState: 'paused', ...(migrating ? { taskState: 'migrating' as const } : {}) };
    case 'crashed':
      return { powerState, vmState: 'error' };
    default:
      return { powerState, vmState: 'stopped' };
  }
}

/** The server's fault for a failed VMI: its reason and the failing condition's message. */
export function faultOf(vmi: Vmi | undefined): string | undefined {
  if (vmi?.status?.phase !== 'Failed') return undefined;
  const failing = vmi.status.conditions?.find((c) => c.status === 'False' && c.message);
  const parts = [vmi.status.reason, failing?.message].filter(Boolean);
  return parts.length
    ? `VirtualMachineInstance failed: ${parts.join(': ')}`
    : 'VirtualMachineInstance failed';
}

/** The addresses of the VMI's interfaces (ipAddresses, else ipAddress), on network `network`. */
export function addressesOf(vmi: Vmi | undefined, network = 'private'): Address[] {
  const out: Address[] = [];
  for (const i of vmi?.status?.interfaces ?? []) {
    const ips = i.ipAddresses?.length ? i.ipAddresses : i.ipAddress ? [i.ipAddress] : [];
    for (const ip of ips) {
      out.push({
        network,
        version: ip.includes(':') ? 6 : 4,
        addr: ip,
        type: 'fixed',
        ...(i.mac ? { macAddr: i.mac } : {}),
      });
    }
  }
  return out;
}

/** When the VMI last entered Running (Nova's launched_at), from its phase transition timestamps. */
export function launchedAt(vmi: Vmi | undefined): string | undefined {
  const running = (vmi?.status?.phaseTransitionTimestamps ?? []).filter((t) => t.phase === 'Running');
  const last = running.at(-1)?.phaseTransitionTimestamp;
  return last === undefined ? undefined : new Date(last).toISOString();
}
