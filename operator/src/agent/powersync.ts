// Nova's _sync_power_states and handle_lifecycle_event: what the hypervisor says a server's power
// state is wins over the record, and a server recorded as stopped is not left running.
import type { Server } from '../api/v1alpha1/index.ts';
import type { DriverPowerState } from '../drivers/driver.ts';

type ServerStatus = NonNullable<Server['status']>;

export interface PowerSyncDecision {
  /** The status to write, when it differs. */
  status?: ServerStatus;
  /** The guest runs although the server is stopped: power it off (Nova's force_stop). */
  powerOff?: boolean;
  /**
   * The guest shut itself down (or crashed): Nova stops the instance (compute_api.stop). Here the
   * server's spec.powerState becomes stopped, and the server controller records the stop action.
   */
  stop?: boolean;
}

/** The decision for one server, given what the driver reports (undefined: no domain). */
export function powerSync(server: Server, observed: DriverPowerState | undefined): PowerSyncDecision {
  const st = server.status;
  // A task in progress or an action being carried out owns the state; a missing VM is the
  // build's or the orphan sweep's business.
  if (!st?.vmState || st.taskState || st.action || !observed || server.metadata.deletionTimestamp) return {};
  if (st.vmState === 'stopped' && (observed === 'running' || observed === 'paused'))
    return { powerOff: true };
  const down = st.vmState === 'active' && (observed === 'shutdown' || observed === 'crashed');
  const stop = down && server.spec.powerState === 'running';
  if (st.powerState === observed) return stop ? { stop } : {};
  return { status: { ...st, powerState: observed }, ...(stop ? { stop } : {}) };
}
