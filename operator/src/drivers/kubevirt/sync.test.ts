import { expect } from 'chai';
import type { Server } from '../../api/v1alpha1/index.ts';
import type { Vmi } from './status.ts';
import { syncedStatus } from './sync.ts';

type Status = NonNullable<Server['status']>;
const NOW = '2026-01-01T00:00:00.000Z';
const ADDR = { network: 'private', version: 4 as const, addr: '10.244.0.7', type: 'fixed' as const };
const active: Status = { vmState: 'active', powerState: 'running', status: 'ACTIVE', addresses: [ADDR] };
const running: Vmi = {
  status: { phase: 'Running', interfaces: [{ name: 'default', ipAddress: '10.244.0.7' }] },
};

describe('KubeVirt power-state sync (_sync_power_states)', () => {
  it('changes nothing while KubeVirt shows what the server says', () => {
    expect(syncedStatus(active, running, NOW)).to.equal(undefined);
    expect(
      syncedStatus({ vmState: 'stopped', powerState: 'shutdown', status: 'SHUTOFF' }, undefined, NOW),
    ).to.equal(undefined);
  });

  it('a guest that shut down makes an ACTIVE server SHUTOFF', () => {
    const next = syncedStatus(active, { status: { phase: 'Succeeded' } }, NOW)!;
    expect(next).to.include({ vmState: 'stopped', powerState: 'shutdown', status: 'SHUTOFF' });
    expect(next.fault).to.equal(undefined);
  });

  it("a failed VMI makes the server ERROR with KubeVirt's reason as the fault", () => {
    const vmi: Vmi = {
      status: {
        phase: 'Failed',
        reason: 'PodFailed',
        conditions: [{ type: 'Ready', status: 'False', message: 'OOM' }],
      },
    };
    const next = syncedStatus(active, vmi, NOW)!;
    expect(next).to.include({ vmState: 'error', powerState: 'crashed', status: 'ERROR' });
    expect(next.fault).to.deep.equal({
      code: 500,
      message: 'VirtualMachineInstance failed: PodFailed: OOM',
      created: NOW,
    });
  });

  it("follows a pause done outside Kova and the VMI's new addresses", () => {
    const paused: Vmi = { status: { ...running.status, conditions: [{ type: 'Paused', status: 'True' }] } };
    expect(syncedStatus(active, paused, NOW)).to.include({
      vmState: 'paused',
      powerState: 'paused',
      status: 'PAUSED',
    });
    const moved: Vmi = {
      status: { phase: 'Running', interfaces: [{ name: 'default', ipAddress: '10.244.1.9' }] },
    };
    expect(syncedStatus(active, moved, NOW)!.addresses).to.deep.equal([{ ...ADDR, addr: '10.244.1.9' }]);
  });

  it('leaves servers with a task or an action under way, unsettled states, and VMIs on their way up alone', () => {
    const gone = undefined;
    expect(syncedStatus({ ...active, taskState: 'powering-off' }, gone, NOW)).to.equal(undefined);
    expect(syncedStatus({ ...active, action: { name: 'x', action: 'stop' } } as Status, gone, NOW)).to.equal(
      undefined,
    );
    for (const vmState of ['building', 'error', 'resized', 'shelved_offloaded'] as const) {
      expect(syncedStatus({ ...active, vmState }, gone, NOW), vmState).to.equal(undefined);
    }
    expect(syncedStatus(active, { status: { phase: 'Scheduling' } }, NOW)).to.equal(undefined);
  });
});
