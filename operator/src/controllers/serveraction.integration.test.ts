// Nova's server actions from every vm_state, on the real apiserver with the operator and the fake
// driver: each row is accepted with Nova's end state, or refused with Nova's 409 message.
import { expect } from 'chai';
import { API_VERSION } from '../api/kind.ts';
import type { Image, Server, ServerAction, ServerActionName } from '../api/v1alpha1/index.ts';
import type { KubeClient } from '../kube/client.ts';
import { collectionPath, objectPath } from '../kube/resources.ts';
import {
  createFakeNode,
  createFlavor,
  createImage,
  createServer,
  eventually,
  getServer,
  pool,
  serverManifest,
} from '../../../e2e/harness/fixtures.ts';
import { type OperatorSuite, startOperatorSuite } from '../../../e2e/harness/suite.ts';
import { IMAGES } from './server.ts';
import { SERVER_ACTIONS } from './serveraction.ts';

const NS = 'actions';

type Start = 'active' | 'stopped' | 'paused' | 'suspended' | 'rescued' | 'error';
type Act = ServerActionName | 'reboot:SOFT' | 'reboot:HARD';
/** [vm_state, power_state, Nova status] after the action, or the attribute Nova refuses on. */
type Outcome = [string, string, string] | { refused: 'vm_state' };

// Sources: nova/compute/api.py (Zed) check_instance_state on each method named, and
// nova/compute/manager.py for the end states.
const ACCEPT = {
  ACTIVE: ['active', 'running', 'ACTIVE'],
  SHUTOFF: ['stopped', 'shutdown', 'SHUTOFF'],
  PAUSED: ['paused', 'paused', 'PAUSED'],
  SUSPENDED: ['suspended', 'suspended', 'SUSPENDED'],
  RESCUE: ['rescued', 'running', 'RESCUE'],
  ERROR: ['error', 'running', 'ERROR'],
} as const satisfies Record<string, Outcome>;
const NO: Outcome = { refused: 'vm_state' };
const { ACTIVE, SHUTOFF, PAUSED, SUSPENDED, RESCUE, ERROR } = ACCEPT;

const TABLE: Record<Start, Partial<Record<Act, Outcome>>> = {
  active: {
    stop: SHUTOFF, // API.stop: ACTIVE, ERROR
    start: NO, // API.start: STOPPED
    'reboot:SOFT': ACTIVE, // API._soft_reboot: ALLOW_SOFT_REBOOT = [ACTIVE]
    'reboot:HARD': ACTIVE, // API._hard_reboot: ALLOW_HARD_REBOOT = ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR
    pause: PAUSED, // API.pause: ACTIVE
    unpause: NO, // API.unpause: PAUSED
    suspend: SUSPENDED, // API.suspend: ACTIVE
    resume: NO, // API.resume: SUSPENDED
    rescue: RESCUE, // API.rescue: ACTIVE, STOPPED, ERROR
    unrescue: NO, // API.unrescue: RESCUED
    rebuild: ACTIVE, // API.rebuild: ACTIVE, STOPPED, ERROR; manager: stopped stays stopped
    createImage: ACTIVE, // API.snapshot: ACTIVE, STOPPED, PAUSED, SUSPENDED
    trigger_crash_dump: ACTIVE, // API.trigger_crash_dump: ALLOW_TRIGGER_CRASH_DUMP
  },
  stopped: {
    stop: NO,
    start: ACTIVE,
    'reboot:SOFT': NO,
    'reboot:HARD': ACTIVE,
    pause: NO,
    unpause: NO,
    suspend: NO,
    resume: NO,
    rescue: RESCUE,
    unrescue: NO,
    rebuild: SHUTOFF,
    createImage: SHUTOFF,
    trigger_crash_dump: NO,
  },
  paused: {
    stop: NO,
    start: NO,
    'reboot:SOFT': NO,
    'reboot:HARD': ACTIVE,
    pause: NO,
    unpause: ACTIVE,
    suspend: NO,
    resume: NO,
    rescue: NO,
    unrescue: NO,
    rebuild: NO,
    createImage: PAUSED,
    trigger_crash_dump: PAUSED,
  },
  suspended: {
    stop: NO,
    start: NO,
    'reboot:SOFT': NO,
    'reboot:HARD': ACTIVE,
    pause: NO,
    unpause: NO,
    suspend: NO,
    resume: ACTIVE,
    rescue: NO,
    unrescue: NO,
    rebuild: NO,
    createImage: SUSPENDED,
    trigger_crash_dump: NO,
  },
  rescued: {
    stop: NO,
    start: NO,
    'reboot:SOFT': NO,
    'reboot:HARD': NO,
    pause: NO,
    unpause: NO,
    suspend: NO,
    resume: NO,
    rescue: NO,
    unrescue: ACTIVE,
    rebuild: NO,
    createImage: NO,
    trigger_crash_dump: RESCUE,
  },
  error: {
    stop: SHUTOFF,
    start: NO,
    'reboot:SOFT': NO,
    'reboot:HARD': ACTIVE,
    pause: NO,
    unpause: NO,
    suspend: NO,
    resume: NO,
    rescue: RESCUE,
    unrescue: NO,
    rebuild: ACTIVE,
    createImage: NO,
    trigger_crash_dump: ERROR,
  },
};

/** The actions that take an ACTIVE server to each starting state. */
const PREPARE: Record<Start, Act[]> = {
  active: [],
  stopped: ['stop'],
  paused: ['pause'],
  suspended: ['suspend'],
  rescued: ['rescue'],
  error: ['resetState'],
};

let counter = 0;

async function act(client: KubeClient, server: string, a: Act, admin = false): Promise<ServerAction> {
  const [action, type] = a.split(':') as [ServerActionName, 'SOFT' | 'HARD' | undefined];
  const name = `${server}-${action.replace(/_/g, '-').toLowerCase()}-${++counter}`;
  const parameters =
    action === 'reboot'
      ? { type }
      : action === 'rebuild'
        ? { imageRef: 'tiny' }
        : action === 'createImage'
          ? { name: `${server}-snap` }
          : action === 'resetState'
            ? { state: 'error' }
            : undefined;
  await client.create(collectionPath(SERVER_ACTIONS, NS), {
    apiVersion: API_VERSION,
    kind: 'ServerAction',
    metadata: { name },
    spec: { server, action, admin, ...(parameters ? { parameters } : {}) },
  });
  return eventually(`${name} finished`, async () => {
    const x = await client.get<ServerAction>(objectPath(SERVER_ACTIONS, name, NS));
    return (x.status?.phase === 'Succeeded' || x.status?.phase === 'Failed') && x;
  });
}

/** The server once idle (no task, no action in progress). */
async function idle(client: KubeClient, name: string): Promise<Server> {
  return eventually(`${name} idle`, async () => {
    const s = await getServer(client, NS, name);
    return s.status?.vmState !== 'building' && !s.status?.taskState && !s.status?.action && s;
  });
}

describe('Server actions from every vm_state (operator + fake driver, real apiserver)', function () {
  this.timeout(300_000);
  let suite: OperatorSuite;
  let client: KubeClient;

  before(async () => {
    suite = await startOperatorSuite({
      namespaces: [NS],
      setup: async (c) => {
        for (let i = 0; i < 4; i++)
          await createFakeNode(c, `n-${i}`, { cpu: 64, memoryMb: 262144, diskGb: 4000 });
        await createFlavor(c, 'm1.tiny', { vcpus: 1, ram: 512, disk: 1 });
        await createImage(c, 'tiny');
      },
      hostsUp: 4,
    });
    client = suite.client;
  });

  after(async () => {
    await suite?.stop();
  });

  const rows = Object.entries(TABLE).flatMap(([start, row]) =>
    Object.entries(row).map(([a, outcome]) => ({ start: start as Start, a: a as Act, outcome: outcome! })),
  );

  it(`walks ${rows.length} (vm_state, action) pairs: Nova's end state, or its 409 refusal with nothing changed`, async () => {
    const failures: string[] = [];
    await pool(rows, 8, async ({ start, a, outcome }) => {
      const name = `s-${start}-${a.replace(/[:_]/g, '-').toLowerCase()}`;
      await createServer(client, NS, serverManifest(name, 'm1.tiny', 'tiny'));
      await eventually(
        `${name} ACTIVE`,
        async () => (await getServer(client, NS, name)).status?.status === 'ACTIVE',
      );
      for (const step of PREPARE[start]) {
        const prepared = await act(client, name, step, step === 'resetState');
        if (prepared.status!.phase !== 'Succeeded')
          failures.push(`${name}: preparing ${step} failed: ${prepared.status!.message}`);
      }
      const before = await idle(client, name);
      expect(before.status!.vmState, `${name} prepared`).to.equal(start);
      const done = await act(client, name, a);
      const after = await idle(client, name);
      const got = [after.status!.vmState, after.status!.powerState, after.status!.status];
      if ('refused' in outcome) {
        const expected = `Cannot '${a.startsWith('reboot') ? 'reboot' : a}' instance ${before.metadata.uid} while it is in vm_state ${start}`;
        if (done.status!.phase !== 'Failed' || done.status!.message !== expected) {
          failures.push(
            `${start} ${a}: expected refusal "${expected}", got ${done.status!.phase} ${done.status!.message ?? ''}`,
          );
        }
        const unchanged = [before.status!.vmState, before.status!.powerState, before.status!.status];
        if (JSON.stringify(got) !== JSON.stringify(unchanged))
          failures.push(`${start} ${a}: refused but changed to ${got}`);
      } else {
        if (done.status!.phase !== 'Succeeded')
          failures.push(`${start} ${a}: ${done.status!.phase} ${done.status!.message}`);
        if (JSON.stringify(got) !== JSON.stringify(outcome))
          failures.push(`${start} ${a}: expected ${outcome}, got ${got}`);
        const events = done.status!.events ?? [];
        if (events.length !== 1 || events[0]!.result !== 'Success' || !events[0]!.finishTime) {
          failures.push(`${start} ${a}: events ${JSON.stringify(events)}`);
        }
      }
    });
    expect(failures).to.deep.equal([]);
  });

  it('a locked server refuses a member\'s action with "is locked", takes an admin\'s, and only an admin undoes an admin lock', async () => {
    await createServer(client, NS, serverManifest('locky', 'm1.tiny', 'tiny'));
    const s = await eventually('locky ACTIVE', async () => {
      const x = await getServer(client, NS, 'locky');
      return x.status?.status === 'ACTIVE' && x;
    });
    expect((await act(client, 'locky', 'lock', true)).status!.phase).to.equal('Succeeded');
    const locked = await eventually('locked', async () => {
      const x = await getServer(client, NS, 'locky');
      return x.spec.locked && x.status?.lockedBy === 'admin' && x;
    });
    expect(locked.status!.lockedBy).to.equal('admin');
    const refused = await act(client, 'locky', 'stop');
    expect(refused.status!.message).to.equal(`Instance ${s.metadata.uid} is locked`);
    expect((await act(client, 'locky', 'unlock')).status!.message).to.contain('unlock_override');
    expect((await act(client, 'locky', 'stop', true)).status!.phase).to.equal('Succeeded');
    expect((await act(client, 'locky', 'unlock', true)).status!.phase).to.equal('Succeeded');
    expect((await act(client, 'locky', 'start')).status!.phase).to.equal('Succeeded');
  });

  it('the desired power state in spec is reached through recorded actions (kubectl patch powerState)', async () => {
    await createServer(client, NS, serverManifest('desired', 'm1.tiny', 'tiny'));
    await eventually(
      'desired ACTIVE',
      async () => (await getServer(client, NS, 'desired')).status?.status === 'ACTIVE',
    );
    const patched = await suite.cp.kubectl([
      'patch',
      '-n',
      NS,
      'server',
      'desired',
      '--type=merge',
      '-p',
      '{"spec":{"powerState":"paused"}}',
    ]);
    expect(patched.code).to.equal(0);
    await eventually(
      'paused',
      async () => (await getServer(client, NS, 'desired')).status?.status === 'PAUSED',
    );
    await suite.cp.kubectl([
      'patch',
      '-n',
      NS,
      'server',
      'desired',
      '--type=merge',
      '-p',
      '{"spec":{"powerState":"stopped"}}',
    ]);
    await eventually(
      'stopped',
      async () => (await getServer(client, NS, 'desired')).status?.status === 'SHUTOFF',
    );
    // Nova's event list for the server: one record per step, in order.
    const log = (await client.list<ServerAction>(collectionPath(SERVER_ACTIONS, NS))).items
      .filter((a) => a.spec.server === 'desired')
      .sort((x, y) => (x.status!.startTime ?? '').localeCompare(y.status!.startTime ?? ''))
      .map((a) => [a.spec.action, a.status!.phase, a.status!.events?.[0]?.event]);
    expect(log).to.deep.equal([
      ['pause', 'Succeeded', 'compute_pause_instance'],
      ['unpause', 'Succeeded', 'compute_unpause_instance'],
      ['stop', 'Succeeded', 'compute_stop_instance'],
    ]);
  });

  it('createImage makes a private snapshot Image of the server, active, pointing back at it', async () => {
    const images = (await client.list<Image>(collectionPath(IMAGES))).items.filter(
      (i) => i.spec.properties?.image_type === 'snapshot',
    );
    expect(images.length).to.be.above(0);
    const snap = images[0]!;
    expect(snap.spec.visibility).to.equal('private');
    expect(snap.spec.owner).to.equal(NS);
    expect(snap.status?.phase).to.equal('active');
    expect(snap.spec.properties?.instance_uuid).to.match(/^[0-9a-f-]{36}$/);
  });
});
