import { expect } from 'chai';
import { refusal, stateRefusal } from './actions.ts';

describe("Nova's state checks (compute/api.py check_instance_state)", () => {
  const uuid = 'u-1';

  it('reports the vm_state first when both the vm_state and the task_state are refused', () => {
    expect(
      stateRefusal('attach_interface', { uuid, vmState: 'error', taskState: 'rebooting' }, ['active']),
    ).to.equal("Cannot 'attach_interface' instance u-1 while it is in vm_state error");
  });

  it("refuses a running task by default (the decorator's task_state=(None,))", () => {
    expect(
      stateRefusal('changePassword', { uuid, vmState: 'active', taskState: 'rebooting' }, ['active']),
    ).to.equal("Cannot 'changePassword' instance u-1 while it is in task_state rebooting");
    expect(stateRefusal('changePassword', { uuid, vmState: 'active' }, ['active'])).to.equal(undefined);
  });

  it("skips a check given as 'any' (the live migration abort checks only the task)", () => {
    expect(
      stateRefusal('abort', { uuid, vmState: 'paused', taskState: 'migrating' }, 'any', ['migrating']),
    ).to.equal(undefined);
    expect(stateRefusal('abort', { uuid, vmState: 'paused' }, 'any', ['migrating'])).to.equal(
      "Cannot 'abort' instance u-1 while it is in task_state None",
    );
  });

  it('the action table goes through the same check: pause of a stopped server names its vm_state', () => {
    expect(refusal('pause', { uuid, vmState: 'stopped', locked: false }, { admin: false })).to.equal(
      "Cannot 'pause' instance u-1 while it is in vm_state stopped",
    );
  });
});
