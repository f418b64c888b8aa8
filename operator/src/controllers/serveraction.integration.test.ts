// Nova's server actions from every vm_state, on the real apiserver with the operator and the fake
// driver: each row is accepted with Nova's end state, or refused with Nova's 409 message.
import { expect } from 'chai';
import type { Image, Server, ServerAction, ServerActionName } from '../api/v1alpha1/index.ts';
import type { KubeClient } from '../kube/client.ts';
import { collectionPath } from '../kube/resources.ts';
import {
  createFakeNode,
  createFlavor,
  createImage,
  createServer,
  eventually,
  getServer,
  pool,
  runAction,
  serverManifest,
} from '../../../e2e/harness/fixtures.ts';
import { type OperatorSuite, startOperatorSuite } from '../../../e2e/harness/suite.ts';
import { IMAGES } from './server.ts';
import { SERVER_ACTIONS } from './serveraction.ts';

const NS = 'actions';

type Start =
  | 'active'
  | 'stopped'
  | 'paused'
  | 'suspended'
  | 'rescued'
  | 'error'
  | 'resized'
  | 'shelved'
  | 'shelved_offloaded'
  | 'soft-delete';
type Act = ServerActionName | 'reboot:SOFT' | 'reboot:HARD';
/** [vm_state, power_state, Nova status] after the action; or refused on vm_state; or refused with a message. */
type Outcome = readonly [string, string, string] | { refused: 'vm_state' } | { refusedWith: string };

// Sources: nova/compute/api.py (Zed), the check_instance_state of each method named below, and
// nova/compute/manager.py for the end states. Every action runs as an admin here, so admin-only
// actions are allowed and locks do not apply (both are tested below).
const ACTIVE = ['active', 'running', 'ACTIVE'] as const;
const SHUTOFF = ['stopped', 'shutdown', 'SHUTOFF'] as const;
const PAUSED = ['paused', 'paused', 'PAUSED'] as const;
const SUSPENDED = ['suspended', 'suspended', 'SUSPENDED'] as const;
const RESCUE = ['rescued', 'running', 'RESCUE'] as const;
const ERROR = ['error', 'running', 'ERROR'] as const;
const VERIFY = ['resized', 'running', 'VERIFY_RESIZE'] as const;
const VERIFY_OFF = ['resized', 'shutdown', 'VERIFY_RESIZE'] as const;
const SHELVED = ['shelved', 'shutdown', 'SHELVED'] as const;
const OFFLOADED = ['shelved_offloaded', 'shutdown', 'SHELVED_OFFLOADED'] as const;
const SOFT_DELETED = ['soft-delete', 'shutdown', 'SOFT_DELETED'] as const;
const NO: Outcome = { refused: 'vm_state' };
const IN_USE: Outcome = { refusedWith: 'is still in use' }; // evacuate needs the source host down

const ACTIONS: Act[] = [
  'stop', // API.stop: ACTIVE, ERROR
  'start', // API.start: STOPPED
  'reboot:SOFT', // API._soft_reboot: ALLOW_SOFT_REBOOT = [ACTIVE]
  'reboot:HARD', // API._hard_reboot: ALLOW_HARD_REBOOT = ACTIVE, STOPPED, PAUSED, SUSPENDED, ERROR
  'pause', // API.pause: ACTIVE
  'unpause', // API.unpause: PAUSED
  'suspend', // API.suspend: ACTIVE
  'resume', // API.resume: SUSPENDED
  'rescue', // API.rescue: ACTIVE, STOPPED, ERROR
  'unrescue', // API.unrescue: RESCUED
  'rebuild', // API.rebuild: ACTIVE, STOPPED, ERROR (manager: stopped stays stopped, else ACTIVE)
  'createImage', // API.snapshot: ACTIVE, STOPPED, PAUSED, SUSPENDED
  'trigger_crash_dump', // API.trigger_crash_dump: ALLOW_TRIGGER_CRASH_DUMP = ACTIVE, PAUSED, RESCUED, RESIZED, ERROR
  'resize', // API.resize: ACTIVE, STOPPED
  'migrate', // API.resize without a flavor: ACTIVE, STOPPED
  'confirmResize', // API.confirm_resize: RESIZED
  'revertResize', // API.revert_resize: RESIZED
  'live-migration', // API.live_migrate: ACTIVE, PAUSED
  'evacuate', // API.evacuate: ACTIVE, STOPPED, ERROR, and the source host down
  'shelve', // API.shelve: ACTIVE, STOPPED, PAUSED, SUSPENDED (shelved_offload_time -1: stays SHELVED)
  'shelveOffload', // API.shelve_offload: SHELVED
  'unshelve', // API.unshelve: SHELVED, SHELVED_OFFLOADED
  'delete', // API.soft_delete (reclaim_instance_interval > 0): any state
  'restore', // API.restore: SOFT_DELETED
];

const row = (outcomes: Partial<Record<Act, Outcome>>): Partial<Record<Act, Outcome>> =>
  Object.fromEntries(ACTIONS.map((a) => [a, outcomes[a] ?? NO]));

const TABLE: Record<Start, Partial<Record<Act, Outcome>>> = {
  active: row({
    stop: SHUTOFF,
    'reboot:SOFT': ACTIVE,
    'reboot:HARD': ACTIVE,
    pause: PAUSED,
    suspend: SUSPENDED,
    rescue: RESCUE,
    rebuild: ACTIVE,
    createImage: ACTIVE,
    trigger_crash_dump: ACTIVE,
    resize: VERIFY,
    migrate: VERIFY,
    'live-migration': ACTIVE,
    evacuate: IN_USE,
    shelve: SHELVED,
    delete: SOFT_DELETED,
  }),
  stopped: row({
    start: ACTIVE,
    'reboot:HARD': ACTIVE,
    rescue: RESCUE,
    rebuild: SHUTOFF,
    createImage: SHUTOFF,
    resize: VERIFY_OFF,
    migrate: VERIFY_OFF,
    evacuate: IN_USE,
    shelve: SHELVED,
    delete: SOFT_DELETED,
  }),
  paused: row({
    'reboot:HARD': ACTIVE,
    unpause: ACTIVE,
    createImage: PAUSED,
    trigger_crash_dump: PAUSED,
    'live-migration': PAUSED,
    shelve: SHELVED,
    delete: SOFT_DELETED,
  }),
  suspended: row({
    'reboot:HARD': ACTIVE,
    resume: ACTIVE,
    createImage: SUSPENDED,
    shelve: SHELVED,
    delete: SOFT_DELETED,
  }),
  rescued: row({ unrescue: ACTIVE, trigger_crash_dump: RESCUE, delete: SOFT_DELETED }),
  error: row({
    stop: SHUTOFF,
    'reboot:HARD': ACTIVE,
    rescue: RESCUE,
    rebuild: ACTIVE,
    trigger_crash_dump: ERROR,
    evacuate: IN_USE,
    delete: SOFT_DELETED,
  }),
  resized: row({
    trigger_crash_dump: VERIFY,
    confirmResize: ACTIVE,
    revertResize: ACTIVE,
    delete: SOFT_DELETED,
  }),
  shelved: row({ shelveOffload: OFFLOADED, unshelve: ACTIVE, delete: SOFT_DELETED }),
  // Deleting an offloaded server, and deleting again, are left to forceDelete (no row).
  shelved_offloaded: { ...row({ unshelve: ACTIVE }), delete: undefined },
  'soft-delete': { ...row({ restore: ACTIVE }), delete: undefined },
};

/** The actions that take an ACTIVE server to each starting state. */
const PREPARE: Record<Start, Act[]> = {
  active: [],
  stopped: ['stop'],
  paused: ['pause'],
  suspended: ['suspend'],
  rescued: ['rescue'],
  error: ['resetState'],
  resized: ['resize'],
  shelved: ['shelve'],
  shelved_offloaded: ['shelve', 'shelveOffload'],
  'soft-delete': ['delete'],
};

/** Runs one table action (with the parameters it needs) to its end. */
function act(client: KubeClient, server: string, a: Act, admin = false): Promise<ServerAction> {
  const [action, type] = a.split(':') as [ServerActionName, 'SOFT' | 'HARD' | undefined];
  const parameters: Partial<Record<ServerActionName, ServerAction['spec']['parameters']>> = {
    reboot: { type },
    rebuild: { imageRef: 'tiny' },
    createImage: { name: `${server}-snap` },
    resize: { flavorRef: 'm1.small' },
    resetState: { state: 'error' },
  };
  return runAction(client, NS, server, action, { admin, parameters: parameters[action] });
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
        await createFlavor(c, 'm1.small', { vcpus: 2, ram: 1024, disk: 2 });
        await createImage(c, 'tiny');
      },
      // Deletes are soft (restorable for an hour); shelved servers stay on their host.
      config: { compute: { reclaim_instance_interval: 3600, shelved_offload_time: -1 } },
      hostsUp: 4,
    });
    client = suite.client;
  });

  after(async () => {
    await suite?.stop();
  });

  const rows = Object.entries(TABLE).flatMap(([start, row]) =>
    Object.entries(row)
      .filter(([, outcome]) => outcome)
      .map(([a, outcome]) => ({ start: start as Start, a: a as Act, outcome: outcome! })),
  );

  it(`walks ${rows.length} (vm_state, action) pairs: Nova's end state, or its 409 refusal with nothing changed`, async () => {
    const failures: string[] = [];
    await pool(rows, 8, async ({ start, a, outcome }) => {
      const name = `s-${start.replace(/_/g, '-')}-${a.replace(/[:_]/g, '-').toLowerCase()}`;
      await createServer(client, NS, serverManifest(name, 'm1.tiny', 'tiny'));
      await eventually(
        `${name} ACTIVE`,
        async () => (await getServer(client, NS, name)).status?.status === 'ACTIVE',
      );
      for (const step of PREPARE[start]) {
        const prepared = await act(client, name, step, true);
        if (prepared.status!.phase !== 'Succeeded')
          failures.push(`${name}: preparing ${step} failed: ${prepared.status!.message}`);
      }
      const before = await idle(client, name);
      expect(before.status!.vmState, `${name} prepared; ${failures.join('; ')}`).to.equal(start);
      const done = await act(client, name, a, true);
      const after = await idle(client, name);
      const got = [after.status!.vmState, after.status!.powerState, after.status!.status];
      if ('refusedWith' in outcome) {
        if (done.status!.phase !== 'Failed' || !done.status!.message?.includes(outcome.refusedWith)) {
          failures.push(
            `${start} ${a}: expected refusal "${outcome.refusedWith}", got ${done.status!.phase} ${done.status!.message ?? ''}`,
          );
        }
      } else if ('refused' in outcome) {
        const apiName = a.startsWith('reboot') ? 'reboot' : a === 'live-migration' ? 'os-migrateLive' : a;
        const expected = `Cannot '${apiName}' instance ${before.metadata.uid} while it is in vm_state ${start}`;
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
    // Nova's event list for the server: one record per step, in order, from its creation.
    const log = (await client.list<ServerAction>(collectionPath(SERVER_ACTIONS, NS))).items
      .filter((a) => a.spec.server === 'desired')
      .sort((x, y) => Date.parse(x.status!.startTime ?? '') - Date.parse(y.status!.startTime ?? ''))
      .map((a) => [a.spec.action, a.status!.phase, a.status!.events?.[0]?.event]);
    expect(log).to.deep.equal([
      ['create', 'Succeeded', 'compute__do_build_and_run_instance'],
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
