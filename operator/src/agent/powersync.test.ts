import { expect } from 'chai';
import type { Server } from '../api/v1alpha1/index.ts';
import { powerSync } from './powersync.ts';

function server(status: Partial<NonNullable<Server['status']>>, powerState = 'running'): Server {
  return {
    metadata: { name: 'web', namespace: 'demo', uid: 'u1' },
    spec: { powerState },
    status: { vmState: 'active', powerState: 'running', status: 'ACTIVE', ...status },
  } as Server;
}

describe("power-state sync (Nova's _sync_power_states, handle_lifecycle_event)", () => {
  it('an ACTIVE server whose guest shut itself down is stopped (spec.powerState stopped) and shows shutdown', () => {
    const d = powerSync(server({}), 'shutdown');
    expect(d.stop).to.equal(true);
    expect(d.status!.powerState).to.equal('shutdown');
  });

  it('a STOPPED server whose guest runs is powered off', () => {
    expect(
      powerSync(server({ vmState: 'stopped', powerState: 'shutdown' }, 'stopped'), 'running'),
    ).to.deep.equal({
      powerOff: true,
    });
  });

  it('a paused guest of an ACTIVE server only updates the recorded power state', () => {
    const d = powerSync(server({}), 'paused');
    expect(d).to.not.have.property('stop');
    expect(d.status!.powerState).to.equal('paused');
  });

  it('leaves a server alone while a task or an action is in progress, or when it has no domain', () => {
    expect(powerSync(server({ taskState: 'powering-off' }), 'shutdown')).to.deep.equal({});
    expect(powerSync(server({ action: { name: 'a', action: 'stop' } } as never), 'shutdown')).to.deep.equal(
      {},
    );
    expect(powerSync(server({}), undefined)).to.deep.equal({});
    expect(powerSync(server({}), 'running')).to.deep.equal({});
  });
});
