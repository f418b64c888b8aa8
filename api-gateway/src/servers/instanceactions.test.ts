import { expect } from 'chai';
import type { Server, ServerAction } from '../../../operator/src/api/v1alpha1/index.ts';
import { hostId } from '../../../operator/src/compute/server.ts';
import { actionLog, actionView, eventsView } from './instanceactions.ts';

const server = {
  metadata: { name: 'web-abc', namespace: 'p', uid: 'u-1', creationTimestamp: '2026-01-01T00:00:00Z' },
  spec: {},
} as unknown as Server;

function record(
  name: string,
  action: string,
  created: string,
  status: ServerAction['status'] = {},
  serverName = 'web-abc',
): ServerAction {
  return {
    metadata: { name, namespace: 'p', uid: `uid-${name}`, creationTimestamp: created },
    spec: { server: serverName, action, requestId: `req-${name}`, user: 'alice', admin: false },
    status,
  } as unknown as ServerAction;
}

describe('os-instance-actions views', () => {
  it("lists a server's actions newest first by time (not by string), without reads, refusals, other servers or an older namesake's", () => {
    const log = actionLog(server, [
      record('create', 'create', '2026-01-01T00:00:00Z', {
        phase: 'Succeeded',
        startTime: '2026-01-01T00:00:00Z',
      }),
      record('stop', 'stop', '2026-01-01T00:00:00Z', {
        phase: 'Succeeded',
        startTime: '2026-01-01T00:00:00.500Z',
        events: [
          { event: 'compute_stop_instance', startTime: '2026-01-01T00:00:00.500Z', result: 'Success' },
        ],
      }),
      record('console', 'consoleOutput', '2026-01-01T00:00:01Z', { phase: 'Succeeded' }),
      record('refused', 'unpause', '2026-01-01T00:00:02Z', { phase: 'Failed', message: 'Cannot' }),
      record('other', 'stop', '2026-01-01T00:00:03Z', {}, 'db-xyz'),
      record('old', 'stop', '2025-12-31T00:00:00Z', {}),
    ]);
    expect(log.map((a) => a.metadata.name)).to.deep.equal(['stop', 'create']);
  });

  it('an action has ACTION_KEYS, updated_at from 2.58, naive microsecond times, message Error on a failed event', () => {
    const a = record('rb', 'reboot', '2026-01-01T00:00:00Z', {
      phase: 'Failed',
      startTime: '2026-01-01T00:00:01.250Z',
      finishTime: '2026-01-01T00:00:02Z',
      events: [{ event: 'compute_reboot_instance', startTime: '2026-01-01T00:00:01.250Z', result: 'Error' }],
    });
    expect(actionView(a, server, 'proj', false)).to.deep.equal({
      action: 'reboot',
      instance_uuid: 'u-1',
      request_id: 'req-rb',
      user_id: 'alice',
      project_id: 'proj',
      start_time: '2026-01-01T00:00:01.250000',
      message: 'Error',
    });
    expect(actionView(a, server, 'proj', true).updated_at).to.equal('2026-01-01T00:00:02.000000');
  });

  it('events: traceback, host, hostId and details only as asked', () => {
    const a = record('st', 'stop', '2026-01-01T00:00:00Z', {
      events: [
        {
          event: 'compute_stop_instance',
          startTime: '2026-01-01T00:00:00Z',
          finishTime: '2026-01-01T00:00:01Z',
          result: 'Success',
          host: 'node-1',
        },
      ],
    });
    const none = { traceback: false, host: false, hostId: false, details: false };
    expect(eventsView(a, 'proj', none)).to.deep.equal([
      {
        event: 'compute_stop_instance',
        start_time: '2026-01-01T00:00:00.000000',
        finish_time: '2026-01-01T00:00:01.000000',
        result: 'Success',
      },
    ]);
    const all = eventsView(a, 'proj', { traceback: true, host: true, hostId: true, details: true })[0]!;
    expect(all).to.include({
      traceback: null,
      host: 'node-1',
      hostId: hostId('proj', 'node-1'),
      details: null,
    });
  });
});
