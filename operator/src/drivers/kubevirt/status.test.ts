import { expect } from 'chai';
import { addressesOf, faultOf, launchedAt, novaStates, powerStateOf, type Vmi } from './status.ts';

const vmi = (status: Vmi['status']): Vmi => ({ metadata: { name: 'web-1' }, status });

describe('KubeVirt VMI status in Nova terms', () => {
  it('maps each VMI phase to a power state and vm/task state', () => {
    const cases: [Vmi | undefined, ReturnType<typeof novaStates>][] = [
      [undefined, { powerState: 'shutdown', vmState: 'stopped' }],
      [vmi({}), { powerState: 'pending', vmState: 'building', taskState: 'spawning' }],
      [vmi({ phase: 'Pending' }), { powerState: 'pending', vmState: 'building', taskState: 'spawning' }],
      [vmi({ phase: 'Scheduling' }), { powerState: 'pending', vmState: 'building', taskState: 'spawning' }],
      [vmi({ phase: 'Scheduled' }), { powerState: 'pending', vmState: 'building', taskState: 'spawning' }],
      [vmi({ phase: 'Running' }), { powerState: 'running', vmState: 'active' }],
      [
        vmi({ phase: 'Running', conditions: [{ type: 'Paused', status: 'True' }] }),
        { powerState: 'paused', vmState: 'paused' },
      ],
      [
        vmi({ phase: 'Running', conditions: [{ type: 'Paused', status: 'False' }] }),
        { powerState: 'running', vmState: 'active' },
      ],
      [
        vmi({ phase: 'Running', migrationState: { completed: false, targetNode: 'b' } }),
        { powerState: 'running', vmState: 'active', taskState: 'migrating' },
      ],
      [vmi({ phase: 'Succeeded' }), { powerState: 'shutdown', vmState: 'stopped' }],
      [vmi({ phase: 'Failed' }), { powerState: 'crashed', vmState: 'error' }],
      [vmi({ phase: 'Unknown' }), { powerState: 'pending', vmState: 'building', taskState: 'spawning' }],
    ];
    for (const [v, want] of cases) expect(novaStates(v), JSON.stringify(v?.status)).to.deep.equal(want);
    expect(powerStateOf(undefined)).to.equal('shutdown');
  });

  it("makes a failed VMI's reason and failing condition the server's fault", () => {
    const failed = vmi({
      phase: 'Failed',
      reason: 'PodFailed',
      conditions: [{ type: 'Ready', status: 'False', message: 'virt-launcher crashed' }],
    });
    expect(faultOf(failed)).to.equal('VirtualMachineInstance failed: PodFailed: virt-launcher crashed');
    expect(faultOf(vmi({ phase: 'Failed' }))).to.equal('VirtualMachineInstance failed');
    expect(faultOf(vmi({ phase: 'Running' }))).to.equal(undefined);
  });

  it("reports every interface address as a fixed address with the interface's MAC", () => {
    const v = vmi({
      phase: 'Running',
      interfaces: [
        {
          name: 'default',
          ipAddress: '10.244.0.7',
          ipAddresses: ['10.244.0.7', 'fd00::7'],
          mac: '02:00:00:aa:bb:cc',
        },
        { name: 'legacy', ipAddress: '192.0.2.9' },
        { name: 'none' },
      ],
    });
    expect(addressesOf(v)).to.deep.equal([
      { network: 'private', version: 4, addr: '10.244.0.7', type: 'fixed', macAddr: '02:00:00:aa:bb:cc' },
      { network: 'private', version: 6, addr: 'fd00::7', type: 'fixed', macAddr: '02:00:00:aa:bb:cc' },
      { network: 'private', version: 4, addr: '192.0.2.9', type: 'fixed' },
    ]);
  });

  it('is launched when it last entered Running', () => {
    const v = vmi({
      phase: 'Running',
      phaseTransitionTimestamps: [
        { phase: 'Scheduled', phaseTransitionTimestamp: '2026-01-01T00:00:00Z' },
        { phase: 'Running', phaseTransitionTimestamp: '2026-01-01T00:00:05Z' },
      ],
    });
    expect(launchedAt(v)).to.equal('2026-01-01T00:00:05.000Z');
    expect(launchedAt(vmi({ phase: 'Pending' }))).to.equal(undefined);
  });
});
