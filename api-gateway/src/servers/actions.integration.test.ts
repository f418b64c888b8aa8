// POST /servers/{id}/action and os-instance-actions through the gateway, on a real apiserver with
// the operator and the fake driver (the servers suite's world plus a second host and flavor).
// Each action's answer is Nova's, and the Server object ends in Nova's state.
import { expect } from 'chai';
import type { Image, Server, ServerAction } from '../../../operator/src/api/v1alpha1/index.ts';
import { ComputeHostKind } from '../../../operator/src/api/v1alpha1/index.ts';
import { IMAGES, SERVERS } from '../../../operator/src/controllers/server.ts';
import { SERVER_ACTIONS } from '../../../operator/src/controllers/serveraction.ts';
import { collectionPath, kovaResource, objectPath } from '../../../operator/src/kube/resources.ts';
import { createFakeNode, createFlavor, eventually, waitForHostsUp } from '../../../e2e/harness/fixtures.ts';
import type { TestGateway } from '../../../e2e/harness/gateway.ts';
import type { OperatorSuite } from '../../../e2e/harness/suite.ts';
import { type ServersSuite, startServersSuite } from './testsuite.ts';

const COMPUTE_HOSTS = kovaResource(ComputeHostKind);
const v = (version: string) => ({ 'OpenStack-API-Version': `compute ${version}` });

async function kubeServerOf(suite: OperatorSuite, id: string): Promise<Server> {
  const all = await suite.client.list<Server>(collectionPath(SERVERS, 'project-a'));
  return all.items.find((s) => s.metadata.uid === id)!;
}

/** Waits until the Server object is idle in vm_state. */
function settledOf(suite: OperatorSuite, id: string, vmState: string): Promise<Server> {
  return eventually(`server ${vmState}`, async () => {
    const s = await kubeServerOf(suite, id);
    return s?.status?.vmState === vmState && !s.status.taskState && !s.status.action && s;
  });
}

function actOn(gw: TestGateway, id: string, body: unknown, token: string, version = '2.1') {
  return gw.call('POST', `/v2.1/servers/${id}/action`, { token, body, headers: v(version) });
}

/** Creates alice's server and waits until it is active; returns its id. */
async function activeServer(
  suite: OperatorSuite,
  gw: TestGateway,
  token: string,
  name: string,
): Promise<string> {
  const imageId = (await suite.client.list<Image>(collectionPath(IMAGES))).items[0]!.metadata.uid!;
  const res = await gw.call('POST', '/v2.1/servers', {
    token,
    body: { server: { name, flavorRef: '2', imageRef: imageId } },
  });
  expect(res.status, JSON.stringify(res.body)).to.equal(202);
  await settledOf(suite, res.body.server.id, 'active');
  return res.body.server.id;
}

describe('Server actions API (gateway on a real apiserver, fake driver)', function () {
  this.timeout(240_000);
  let world: ServersSuite;
  let suite: OperatorSuite;
  let gw: TestGateway;
  let admin: string;
  let alice: string;
  let reader: string;
  let imageId: string;
  let id: string;

  before(async () => {
    world = await startServersSuite();
    ({ suite, gw } = world);
    await createFakeNode(suite.client, 'node-2', { cpu: 16, memoryMb: 32768, diskGb: 400 });
    await createFlavor(suite.client, 'm1.medium', { vcpus: 2, ram: 1024, disk: 1, id: '3' });
    await waitForHostsUp(suite.client, 2);
    await gw.addUser('alice', 'alice-pw', 'project-a', 'member');
    await gw.addUser('rita', 'rita-pw', 'project-a', 'reader');
    admin = await gw.token('admin', 'secret', 'admin');
    alice = await gw.token('alice', 'alice-pw', 'project-a');
    reader = await gw.token('rita', 'rita-pw', 'project-a');
    imageId = (await suite.client.list<Image>(collectionPath(IMAGES))).items[0]!.metadata.uid!;
    id = await activeServer(suite, gw, alice, 'act');
  });
  after(async () => {
    await world?.stop();
  });

  const kubeServer = () => kubeServerOf(suite, id);
  const settled = (vmState: string) => settledOf(suite, id, vmState);
  const act = (body: unknown, token = alice, version = '2.1') => actOn(gw, id, body, token, version);

  const steps: [string, unknown, number, string][] = [
    ['os-stop', { 'os-stop': null }, 202, 'stopped'],
    ['os-start', { 'os-start': null }, 202, 'active'],
    ['reboot SOFT', { reboot: { type: 'SOFT' } }, 202, 'active'],
    ['reboot hard', { reboot: { type: 'hard' } }, 202, 'active'],
    ['pause', { pause: null }, 202, 'paused'],
    ['unpause', { unpause: null }, 202, 'active'],
    ['suspend', { suspend: null }, 202, 'suspended'],
    ['resume', { resume: null }, 202, 'active'],
    ['rescue', { rescue: null }, 200, 'rescued'],
    ['unrescue', { unrescue: null }, 202, 'active'],
    ['resize', { resize: { flavorRef: '3' } }, 202, 'resized'],
    ['revertResize', { revertResize: null }, 202, 'active'],
    ['resize again', { resize: { flavorRef: '3' } }, 202, 'resized'],
    ['confirmResize', { confirmResize: null }, 204, 'active'],
    ['rebuild', { rebuild: { imageRef: '' } }, 202, 'active'],
    ['shelve', { shelve: null }, 202, 'shelved_offloaded'],
    ['unshelve', { unshelve: null }, 202, 'active'],
  ];
  for (const [name, body, code, end] of steps) {
    it(`${name} answers ${code} and the server ends ${end}`, async () => {
      const b = name === 'rebuild' ? { rebuild: { imageRef: imageId, name: 'act2' } } : body;
      const res = await act(b);
      expect(res.status, JSON.stringify(res.body)).to.equal(code);
      if (name === 'rescue') expect(res.body.adminPass).to.match(/^\S{12}$/);
      if (name === 'rebuild') {
        expect(res.body.server).to.include({ id, name: 'act2' });
        expect(res.body.server.adminPass).to.be.a('string');
      }
      const s = await settled(end);
      if (name === 'confirmResize') expect(s.status!.flavor!.vcpus).to.equal(2);
    });
  }

  it('os-getConsoleOutput answers 200 with the console log, its last lines with length', async () => {
    const all = await act({ 'os-getConsoleOutput': {} });
    expect(all.status, JSON.stringify(all.body)).to.equal(200);
    expect(all.body.output).to.be.a('string').and.not.equal('');
    const one = await act({ 'os-getConsoleOutput': { length: 1 } });
    expect(one.body.output.split('\n')).to.have.length(1);
    expect(all.body.output.endsWith(one.body.output)).to.equal(true);
    // A read is no instance action: its record goes once it has carried the answer back.
    const records = await suite.client.list<ServerAction>(collectionPath(SERVER_ACTIONS));
    expect(records.items.filter((a) => a.spec.action === 'consoleOutput')).to.deep.equal([]);
  });

  it('createImage answers a Location before 2.45 and {image_id} from 2.45, naming the snapshot Image', async () => {
    const old = await act({ createImage: { name: 'snap-1', metadata: { k: 'v' } } });
    expect(old.status, JSON.stringify(old.body)).to.equal(202);
    const images = (await suite.client.list<Image>(collectionPath(IMAGES))).items;
    const snap = images.find((i) => i.spec.name === 'snap-1')!;
    expect(old.headers.get('location')).to.equal(`${gw.url}/image/images/${snap.metadata.uid}`);
    expect(snap.spec.properties).to.include({ k: 'v', instance_uuid: id, image_type: 'snapshot' });
    await settled('active');
    const res = await act({ createImage: { name: 'snap-2' } }, alice, '2.45');
    expect(res.status).to.equal(202);
    const snap2 = (await suite.client.list<Image>(collectionPath(IMAGES))).items.find(
      (i) => i.spec.name === 'snap-2',
    )!;
    expect(res.body).to.deep.equal({ image_id: snap2.metadata.uid });
    await settled('active');
  });

  it('trigger_crash_dump is 2.17+: 404 before, 202 from it', async () => {
    expect((await act({ trigger_crash_dump: null }, alice, '2.16')).status).to.equal(404);
    expect((await act({ trigger_crash_dump: null }, alice, '2.17')).status).to.equal(202);
    await settled('active');
  });

  it('a refused action is a 409 with Nova message, and changes nothing', async () => {
    const res = await act({ unpause: null });
    expect(res.status).to.equal(409);
    expect(res.body).to.deep.equal({
      conflictingRequest: {
        code: 409,
        message: `Cannot 'unpause' instance ${id} while it is in vm_state active`,
      },
    });
    expect((await kubeServer()).status!.vmState).to.equal('active');
  });

  it('lock (2.73 locked_reason) refuses the owner other actions with 409 "is locked"; unlock lifts it', async () => {
    expect((await act({ lock: { locked_reason: 'maintenance' } }, alice, '2.73')).status).to.equal(202);
    const locked = await eventually('locked', async () => {
      const s = await kubeServer();
      return s.spec.locked && s;
    });
    expect(locked.spec.lockedReason).to.equal('maintenance');
    const shown = await gw.call('GET', `/v2.1/servers/${id}`, { token: alice, headers: v('2.73') });
    expect(shown.body.server).to.include({ locked: true, locked_reason: 'maintenance' });
    const refused = await act({ 'os-stop': null });
    expect(refused.status).to.equal(409);
    expect(refused.body.conflictingRequest.message).to.equal(`Instance ${id} is locked`);
    expect((await act({ unlock: null })).status).to.equal(202);
    await eventually('unlocked', async () => !(await kubeServer()).spec.locked);
    // An admin's lock is the admin's to lift: the owner's unlock is the unlock_override 403.
    expect((await act({ lock: null }, admin)).status).to.equal(202);
    await eventually('locked by admin', async () => (await kubeServer()).status?.lockedBy === 'admin');
    const override = await act({ unlock: null });
    expect(override.status).to.equal(403);
    expect(override.body.forbidden.message).to.equal(
      "Policy doesn't allow os_compute_api:os-lock-server:unlock:unlock_override to be performed.",
    );
    expect((await act({ unlock: null }, admin)).status).to.equal(202);
    await eventually('unlocked by admin', async () => !(await kubeServer()).spec.locked);
  });

  it("admin-only actions are Nova's policy 403 for a member; a reader may not act at all", async () => {
    for (const [body, policy] of [
      [{ migrate: null }, 'os_compute_api:os-migrate-server:migrate'],
      [
        { 'os-migrateLive': { host: null, block_migration: 'auto' } },
        'os_compute_api:os-migrate-server:migrate_live',
      ],
      [{ evacuate: {} }, 'os_compute_api:os-evacuate'],
      [{ 'os-resetState': { state: 'error' } }, 'os_compute_api:os-admin-actions:reset_state'],
      [{ shelveOffload: null }, 'os_compute_api:os-shelve:shelve_offload'],
    ] as const) {
      const res = await act(body, alice, '2.30');
      expect(res.status, JSON.stringify(body)).to.equal(403);
      expect(res.body.forbidden.message).to.equal(`Policy doesn't allow ${policy} to be performed.`);
    }
    // The instance comes first: another project's or a missing server is 404, not 403.
    const missing = await gw.call('POST', '/v2.1/servers/00000000-0000-4000-8000-000000000000/action', {
      token: alice,
      body: { migrate: null },
    });
    expect(missing.status).to.equal(404);
    expect(missing.body.itemNotFound.message).to.equal(
      'Instance 00000000-0000-4000-8000-000000000000 could not be found.',
    );
    const asReader = await act({ 'os-stop': null }, reader);
    expect(asReader.status).to.equal(403);
    expect(asReader.body.forbidden.message).to.equal(
      "Policy doesn't allow os_compute_api:servers:stop to be performed.",
    );
  });

  it('malformed bodies are Nova 400s', async () => {
    const cases: [unknown, string, string?][] = [
      [{ nonsense: null }, 'There is no such action: nonsense'],
      [{ 'os-stop': null, 'os-start': null }, 'Malformed request body'],
      [{ reboot: { type: 'WARM' } }, 'Invalid input for field/attribute type.'],
      [{ reboot: {} }, "'type' is a required property"],
      [{ resize: {} }, "'flavorRef' is a required property"],
      [{ resize: { flavorRef: '99' } }, 'Unable to locate requested flavor.'],
      [{ rebuild: { imageRef: 'not-a-uuid' } }, 'Invalid input for field/attribute imageRef.'],
      [{ 'os-resetState': { state: 'paused' } }, 'Invalid input for field/attribute state.'],
      [{ lock: { locked_reason: '' } }, 'Invalid input for field/attribute locked_reason.', '2.73'],
      [{ trigger_crash_dump: {} }, 'Invalid input for field/attribute trigger_crash_dump.', '2.17'],
      [{ 'os-getConsoleOutput': { length: 'x' } }, 'Invalid input for field/attribute length.'],
      [{ migrate: { host: 'a/b' } }, 'Invalid input for field/attribute host.', '2.56'],
      [{ migrate: { host: 'nowhere' } }, 'Compute host nowhere could not be found.', '2.56'],
      [
        { 'os-migrateLive': { host: 'nowhere', block_migration: 'auto' } },
        'Compute host nowhere could not be found.',
        '2.30',
      ],
    ];
    for (const [body, message, version] of cases) {
      const res = await act(body, version === undefined ? alice : admin, version ?? '2.1');
      expect(res.status, JSON.stringify(body)).to.equal(400);
      expect(res.body.badRequest.message, JSON.stringify(body)).to.contain(message);
    }
  });

  it('admins migrate, live-migrate, reset state and evacuate', async () => {
    const from = (await kubeServer()).status!.host!;
    expect((await act({ migrate: null }, admin)).status).to.equal(202);
    let s = await settled('resized');
    expect(s.status!.host).to.not.equal(from);
    expect((await act({ confirmResize: null })).status).to.equal(204);
    s = await settled('active');
    const other = s.status!.host === 'node-1' ? 'node-2' : 'node-1';
    const live = await act({ 'os-migrateLive': { host: other, block_migration: 'auto' } }, admin, '2.30');
    expect(live.status, JSON.stringify(live.body)).to.equal(202);
    await eventually('live migrated', async () => {
      const x = await settled('active');
      return x.status!.host === other && x;
    });
    expect((await act({ 'os-resetState': { state: 'error' } }, admin)).status).to.equal(202);
    await settled('error');
    expect((await act({ 'os-resetState': { state: 'active' } }, admin)).status).to.equal(202);
    await settled('active');
    const nowhere = await act({ evacuate: { host: 'nowhere' } }, admin, '2.14');
    expect(nowhere.status).to.equal(404);
    expect(nowhere.body.itemNotFound.message).to.equal('Compute host nowhere not found.');
    // Evacuate only from a host whose compute service is down.
    const refused = await act({ evacuate: {} }, admin, '2.14');
    expect(refused.status).to.equal(409);
    expect(refused.body.conflictingRequest.message).to.equal(`Compute service of ${other} is still in use.`);
    await suite.client.patch(objectPath(COMPUTE_HOSTS, other), { spec: { forcedDown: true } });
    try {
      await eventually(
        'forced down',
        async () => suite.operator.informers.computeHosts.get(other)?.spec.forcedDown,
      );
      const res = await act({ evacuate: {} }, admin, '2.14');
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      await eventually('evacuated', async () => {
        const x = await settled('active');
        return x.status!.host !== other && x;
      });
    } finally {
      await suite.client.patch(objectPath(COMPUTE_HOSTS, other), { spec: { forcedDown: false } });
    }
  });

  it('os-instance-actions lists the log newest first and shows events (admins: host, details)', async () => {
    const list = await gw.call('GET', `/v2.1/servers/${id}/os-instance-actions`, { token: alice });
    expect(list.status).to.equal(200);
    const actions = list.body.instanceActions as Record<string, unknown>[];
    expect(actions.map((a) => a.action)).to.include.members(['create', 'stop', 'start', 'reboot', 'lock']);
    expect(actions.at(-1)!.action).to.equal('create');
    // Refused requests and reads are not recorded, as in Nova.
    expect(actions.map((a) => a.action)).not.to.include('consoleOutput');
    expect(actions.filter((a) => a.action === 'unpause')).to.have.length(1);
    expect(actions[0]).to.have.all.keys(
      'action',
      'instance_uuid',
      'request_id',
      'user_id',
      'project_id',
      'start_time',
      'message',
    );
    const stop = actions.find((a) => a.action === 'stop')!;
    const old = await gw.call('GET', `/v2.1/servers/${id}/os-instance-actions/${stop.request_id}`, {
      token: alice,
    });
    expect(old.body.instanceAction).not.to.have.property('events');
    const user = await gw.call('GET', `/v2.1/servers/${id}/os-instance-actions/${stop.request_id}`, {
      token: alice,
      headers: v('2.84'),
    });
    expect(user.body.instanceAction.events[0]).to.have.all.keys(
      'event',
      'start_time',
      'finish_time',
      'result',
      'hostId',
    );
    expect(user.body.instanceAction.events[0]).to.include({
      event: 'compute_stop_instance',
      result: 'Success',
    });
    const asAdmin = await gw.call('GET', `/v2.1/servers/${id}/os-instance-actions/${stop.request_id}`, {
      token: admin,
      headers: v('2.84'),
    });
    expect(asAdmin.body.instanceAction.events[0]).to.include.keys('host', 'traceback', 'details');
    const paged = await gw.call('GET', `/v2.1/servers/${id}/os-instance-actions?limit=2`, {
      token: alice,
      headers: v('2.58'),
    });
    expect(paged.body.instanceActions).to.have.length(2);
    expect(paged.body.instanceActions[0]).to.have.property('updated_at');
    expect(paged.body.links[0].href).to.contain(`marker=${paged.body.instanceActions[1].request_id}`);
    const bad = await gw.call('GET', `/v2.1/servers/${id}/os-instance-actions?marker=req-nope`, {
      token: alice,
      headers: v('2.58'),
    });
    expect(bad.status).to.equal(400);
    expect(bad.body.badRequest.message).to.equal('Marker req-nope could not be found.');
    const missing = await gw.call('GET', `/v2.1/servers/${id}/os-instance-actions/req-nope`, {
      token: alice,
    });
    expect(missing.status).to.equal(404);
  });

  it('forceDelete removes the server (202)', async () => {
    expect((await act({ forceDelete: null })).status).to.equal(202);
    await eventually('deleted', async () => (await kubeServer()) === undefined);
  });
});

describe('Server actions with soft delete and shelving kept on the host (reclaim_instance_interval, shelved_offload_time -1)', function () {
  this.timeout(180_000);
  let world: ServersSuite;
  let suite: OperatorSuite;
  let gw: TestGateway;
  let admin: string;
  let alice: string;
  let id: string;

  before(async () => {
    world = await startServersSuite({
      compute: { reclaim_instance_interval: 3600, shelved_offload_time: -1 },
    });
    ({ suite, gw } = world);
    await gw.addUser('alice', 'alice-pw', 'project-a', 'member');
    admin = await gw.token('admin', 'secret', 'admin');
    alice = await gw.token('alice', 'alice-pw', 'project-a');
    id = await activeServer(suite, gw, alice, 'soft');
  });
  after(async () => {
    await world?.stop();
  });

  it('shelve keeps the server on its host (SHELVED); an admin shelveOffload offloads it; unshelve brings it back', async () => {
    expect((await actOn(gw, id, { shelve: null }, alice)).status).to.equal(202);
    await settledOf(suite, id, 'shelved');
    expect((await actOn(gw, id, { shelveOffload: null }, admin)).status).to.equal(202);
    const offloaded = await settledOf(suite, id, 'shelved_offloaded');
    expect(offloaded.status!.host ?? undefined).to.equal(undefined);
    expect((await actOn(gw, id, { unshelve: null }, alice, '2.77')).status).to.equal(202);
    await settledOf(suite, id, 'active');
  });

  it('DELETE soft-deletes; restore (202) brings the server back; forceDelete (202) removes a soft-deleted one', async () => {
    expect((await gw.call('DELETE', `/v2.1/servers/${id}`, { token: alice })).status).to.equal(204);
    await settledOf(suite, id, 'soft-delete');
    expect((await actOn(gw, id, { restore: null }, alice)).status).to.equal(202);
    await settledOf(suite, id, 'active');
    const refused = await actOn(gw, id, { restore: null }, alice);
    expect(refused.status).to.equal(409);
    expect(refused.body.conflictingRequest.message).to.equal(
      `Cannot 'restore' instance ${id} while it is in vm_state active`,
    );
    expect((await gw.call('DELETE', `/v2.1/servers/${id}`, { token: alice })).status).to.equal(204);
    await settledOf(suite, id, 'soft-delete');
    expect((await actOn(gw, id, { forceDelete: null }, alice)).status).to.equal(202);
    await eventually('deleted', async () => (await kubeServerOf(suite, id)) === undefined);
  });
});
