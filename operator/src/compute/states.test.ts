import { expect } from 'chai';
import { POWER_STATES, statusFromState } from './states.ts';

describe("Nova's server status mapping (api/openstack/common.py _STATE_MAP)", () => {
  const table: [string, string | null, string][] = [
    ['active', null, 'ACTIVE'],
    ['active', 'rebooting', 'REBOOT'],
    ['active', 'reboot_started_hard', 'HARD_REBOOT'],
    ['active', 'updating_password', 'PASSWORD'],
    ['active', 'rebuild_spawning', 'REBUILD'],
    ['active', 'migrating', 'MIGRATING'],
    ['active', 'resize_finish', 'RESIZE'],
    ['active', 'powering-off', 'ACTIVE'],
    ['building', 'spawning', 'BUILD'],
    ['stopped', null, 'SHUTOFF'],
    ['stopped', 'resize_prep', 'RESIZE'],
    ['stopped', 'rebuilding', 'REBUILD'],
    ['resized', null, 'VERIFY_RESIZE'],
    ['resized', 'resize_reverting', 'REVERT_RESIZE'],
    ['resized', 'resize_confirming', 'VERIFY_RESIZE'],
    ['paused', 'migrating', 'MIGRATING'],
    ['suspended', null, 'SUSPENDED'],
    ['rescued', null, 'RESCUE'],
    ['error', null, 'ERROR'],
    ['error', 'rebuilding', 'REBUILD'],
    ['error', 'deleting', 'ERROR'],
    ['deleted', null, 'DELETED'],
    ['soft-delete', null, 'SOFT_DELETED'],
    ['shelved', null, 'SHELVED'],
    ['shelved_offloaded', 'unshelving', 'SHELVED_OFFLOADED'],
    ['no-such-state', null, 'UNKNOWN'],
  ];
  for (const [vm, task, status] of table) {
    it(`vm_state ${vm} with task_state ${task ?? 'None'} shows ${status}`, () => {
      expect(statusFromState(vm, task)).to.equal(status);
    });
  }

  it('power states are the integers the API shows (1 running, 4 shutdown, 7 suspended)', () => {
    expect(POWER_STATES).to.deep.equal({
      pending: 0,
      running: 1,
      paused: 3,
      shutdown: 4,
      crashed: 6,
      suspended: 7,
    });
  });
});
