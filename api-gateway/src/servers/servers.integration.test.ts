import { expect } from 'chai';
import { API_VERSION } from '../../../operator/src/api/kind.ts';
import type { Server, ServerAction } from '../../../operator/src/api/v1alpha1/index.ts';
import { KEYPAIRS } from '../../../operator/src/controllers/keypair.ts';
import { FLAVORS, IMAGES, SERVERS } from '../../../operator/src/controllers/server.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
import { SERVER_ACTIONS } from '../../../operator/src/controllers/serveraction.ts';
import { PROJECT_QUOTAS } from '../../../operator/src/controllers/projectquota.ts';
import { KubeClient } from '../../../operator/src/kube/client.ts';
import { ControlPlane } from '../../../e2e/harness/controlplane.ts';
import { createFlavor, createImage, createNamespace, eventually } from '../../../e2e/harness/fixtures.ts';
import { RBAC_MANIFESTS, ensureRbac, gatewayRbac } from '../identity/rbac.ts';
import { SYSTEM_NAMESPACE } from '../identity/store.ts';
import { type TestGateway, startGateway } from '../../../e2e/harness/gateway.ts';
import type { OperatorSuite } from '../../../e2e/harness/suite.ts';
import { type ServersSuite, startServersSuite } from './testsuite.ts';

const PUBLIC_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHd1ObXtdRKtrnR8TfIX1sQgr8ZtI5UpQ5mxXG8VGThp alice@example';

describe('Servers API (gateway on a real apiserver, fake driver)', function () {
  this.timeout(180_000);
  let world: ServersSuite;
  let suite: OperatorSuite;
  let gw: TestGateway;
  let admin: string;
  let alice: string;
  let bob: string;
  let aliceId: string;
  let projectA: string;
  let imageId: string;
  const v = (version: string) => ({ 'OpenStack-API-Version': `compute ${version}` });

  before(async () => {
    world = await startServersSuite();
    ({ suite, gw } = world);
    ({ userId: aliceId, projectId: projectA } = await gw.addUser('alice', 'alice-pw', 'project-a', 'member'));
    await gw.addUser('bob', 'bob-pw', 'project-b', 'member');
    admin = await gw.token('admin', 'secret', 'admin');
    alice = await gw.token('alice', 'alice-pw', 'project-a');
    bob = await gw.token('bob', 'bob-pw', 'project-b');
    const images = await suite.client.list<{ metadata: { uid: string } }>(collectionPath(IMAGES));
    imageId = images.items[0]!.metadata.uid;
    await suite.client.create(collectionPath(KEYPAIRS), {
      apiVersion: API_VERSION,
      kind: 'Keypair',
      metadata: { name: 'alice-key' },
      spec: { name: 'key1', user: aliceId, publicKey: PUBLIC_KEY, type: 'ssh' },
    });
    expect((await suite.client.list(collectionPath(FLAVORS))).items).to.have.length(1);
  });
  after(async () => {
    await world?.stop();
  });

  async function create(token: string, server: Record<string, unknown>, version = '2.1') {
    return gw.call('POST', '/v2.1/servers', {
      token,
      headers: v(version),
      body: { server: { flavorRef: '2', imageRef: imageId, ...server } },
    });
  }

  async function active(token: string, id: string) {
    return eventually(`server ${id} ACTIVE`, async () => {
      const res = await gw.call('GET', `/v2.1/servers/${id}`, { token });
      return res.body.server?.status === 'ACTIVE' && res.body.server;
    });
  }

  async function kubeServer(id: string): Promise<Server> {
    const all = await suite.client.list<Server>(collectionPath(SERVERS));
    return all.items.find((s) => s.metadata.uid === id)!;
  }

  it('creates a server (202, Location, adminPass) that reaches ACTIVE, shown as the Server object says', async () => {
    const res = await create(alice, { name: 'web', key_name: 'key1', metadata: { role: 'web' } });
    expect(res.status, JSON.stringify(res.body)).to.equal(202);
    const { id, adminPass, links } = res.body.server;
    expect(res.headers.get('location')).to.equal(links[0].href);
    expect(adminPass).to.match(/^\S{12}$/);
    const shown = await active(alice, id);
    const k = await kubeServer(id);
    expect(k.metadata.namespace).to.equal('project-a');
    expect(shown).to.include({
      id: k.metadata.uid,
      name: 'web',
      tenant_id: projectA,
      user_id: aliceId,
      key_name: 'key1',
      'OS-EXT-STS:vm_state': k.status!.vmState,
    });
    expect(shown.metadata).to.deep.equal({ role: 'web' });
    expect(shown.flavor).to.deep.equal({
      id: '2',
      links: [{ rel: 'bookmark', href: `${gw.url}/flavors/2` }],
    });
    expect(shown).not.to.have.property('OS-EXT-SRV-ATTR:host');
    // The /v2.1/{project_id}/... form of the URL: links keep the project id, as Nova's do.
    const withProject = await gw.call('GET', `/v2.1/${projectA}/servers/${id}`, { token: alice });
    expect(withProject.status).to.equal(200);
    expect(withProject.body.server.links).to.deep.equal([
      { rel: 'self', href: `${gw.url}/v2.1/${projectA}/servers/${id}` },
      { rel: 'bookmark', href: `${gw.url}/${projectA}/servers/${id}` },
    ]);
    const asAdmin = await gw.call('GET', `/v2.1/servers/${id}`, { token: admin, headers: v('2.93') });
    expect(asAdmin.body.server['OS-EXT-SRV-ATTR:host']).to.equal(k.status!.host);
    expect(asAdmin.body.server.host_status).to.equal('UP');
    expect(asAdmin.body.server.flavor).to.include({ original_name: 'm1.small', vcpus: 1, ram: 512 });
  });

  it('multi-creates with min_count/max_count and answers return_reservation_id with the reservation', async () => {
    const res = await create(alice, {
      name: 'batch',
      min_count: 2,
      max_count: 2,
      return_reservation_id: true,
    });
    expect(res.status).to.equal(202);
    expect(res.body).to.have.all.keys('reservation_id');

    const listed = await gw.call('GET', `/v2.1/servers?reservation_id=${res.body.reservation_id}`, {
      token: alice,
    });
    expect(listed.body.servers.map((s: { name: string }) => s.name).sort()).to.deep.equal([
      'batch-1',
      'batch-2',
    ]);
  });

  it('lists with limit/marker and servers_links, filters by name, and all_tenants for admins only', async () => {
    await create(bob, { name: 'bobs' });
    const page1 = await gw.call('GET', '/v2.1/servers/detail?limit=2&sort_key=display_name&sort_dir=asc', {
      token: alice,
    });
    expect(page1.status).to.equal(200);
    expect(page1.body.servers.map((s: { name: string }) => s.name)).to.deep.equal(['batch-1', 'batch-2']);
    const next = new URL(page1.body.servers_links[0].href);
    expect(next.searchParams.get('marker')).to.equal(page1.body.servers[1].id);
    const page2 = await gw.call('GET', next.pathname + next.search, { token: alice });
    expect(page2.body.servers.map((s: { name: string }) => s.name)).to.deep.equal(['web']);
    expect(page2.body).not.to.have.property('servers_links');

    const named = await gw.call('GET', '/v2.1/servers?name=^we', { token: alice });
    expect(named.body.servers.map((s: { name: string }) => s.name)).to.deep.equal(['web']);
    const mine = await gw.call('GET', '/v2.1/servers', { token: bob });
    expect(mine.body.servers.map((s: { name: string }) => s.name)).to.deep.equal(['bobs']);
    const everyone = await gw.call('GET', '/v2.1/servers?all_tenants=1', { token: admin });
    expect(everyone.body.servers).to.have.length(4);
    const refused = await gw.call('GET', '/v2.1/servers?all_tenants=1', { token: alice });
    expect(refused.status).to.equal(403);
  });

  it("refuses a create over the project's quota with Nova's 403 and creates nothing", async () => {
    await suite.client.create(collectionPath(PROJECT_QUOTAS, 'project-b'), {
      apiVersion: API_VERSION,
      kind: 'ProjectQuota',
      metadata: { name: 'default' },
      spec: { instances: 1 },
    });
    const res = await eventually('quota in the cache', async () => {
      const r = await create(bob, { name: 'over' });
      return r.status === 403 && r;
    });
    expect(res.body.forbidden.message).to.equal(
      'Quota exceeded for instances: Requested 1, but already used 1 of 1 instances',
    );
    const bobs = await suite.client.list<Server>(collectionPath(SERVERS, 'project-b'));
    expect(bobs.items.map((s) => s.spec.name)).to.deep.equal(['bobs']);
  });

  it('gives a member of another project 404 for the server and its sub-resources', async () => {
    const list = await gw.call('GET', '/v2.1/servers?name=^web$', { token: alice });
    const id = list.body.servers[0].id;
    for (const [method, path, body] of [
      ['GET', `/v2.1/servers/${id}`],
      ['PUT', `/v2.1/servers/${id}`, { server: { name: 'x' } }],
      ['DELETE', `/v2.1/servers/${id}`],
      ['GET', `/v2.1/servers/${id}/metadata`],
      ['PUT', `/v2.1/servers/${id}/metadata/role`, { meta: { role: 'x' } }],
      ['GET', `/v2.1/servers/${id}/ips`],
    ] as const) {
      const res = await gw.call(method, path, { token: bob, body });
      expect(res.status, `${method} ${path}`).to.equal(404);
      expect(res.body.itemNotFound.message).to.equal(`Instance ${id} could not be found.`);
    }
    expect((await kubeServer(id)).spec.name).to.equal('web');
  });

  it('updates name, description (2.19) and hostname (2.90), and keeps metadata with its CRUD', async () => {
    const list = await gw.call('GET', '/v2.1/servers?name=^web$', { token: alice });
    const id = list.body.servers[0].id;
    const put = await gw.call('PUT', `/v2.1/servers/${id}`, {
      token: alice,
      headers: v('2.90'),
      body: { server: { name: 'web2', description: 'front', hostname: 'web-two' } },
    });
    expect(put.status, JSON.stringify(put.body)).to.equal(200);
    expect(put.body.server).to.include({
      name: 'web2',
      description: 'front',
      'OS-EXT-SRV-ATTR:hostname': 'web-two',
    });
    expect((await kubeServer(id)).spec).to.include({
      name: 'web2',
      description: 'front',
      hostname: 'web-two',
    });

    const set = await gw.call('POST', `/v2.1/servers/${id}/metadata`, {
      token: alice,
      body: { metadata: { a: '1' } },
    });
    expect(set.body).to.deep.equal({ metadata: { role: 'web', a: '1' } });
    const one = await gw.call('PUT', `/v2.1/servers/${id}/metadata/b`, {
      token: alice,
      body: { meta: { b: '2' } },
    });
    expect(one.body).to.deep.equal({ meta: { b: '2' } });
    expect((await gw.call('GET', `/v2.1/servers/${id}/metadata/b`, { token: alice })).body).to.deep.equal({
      meta: { b: '2' },
    });
    const del = await gw.call('DELETE', `/v2.1/servers/${id}/metadata/role`, { token: alice });
    expect(del.status).to.equal(204);
    expect((await gw.call('GET', `/v2.1/servers/${id}/metadata`, { token: alice })).body).to.deep.equal({
      metadata: { a: '1', b: '2' },
    });
    const all = await gw.call('PUT', `/v2.1/servers/${id}/metadata`, {
      token: alice,
      body: { metadata: { z: '9' } },
    });
    expect(all.body).to.deep.equal({ metadata: { z: '9' } });
    expect((await kubeServer(id)).spec.metadata).to.deep.equal({ z: '9' });
    for (const key of ['nope', 'constructor', '__proto__']) {
      const missing = await gw.call('GET', `/v2.1/servers/${id}/metadata/${key}`, { token: alice });
      expect(missing.status, key).to.equal(404);
      expect(missing.body.itemNotFound.message).to.equal('Metadata item was not found');
    }
  });

  it('shows the addresses by network (ips) as the Server status has them', async () => {
    const list = await gw.call('GET', '/v2.1/servers?name=^web2$', { token: alice });
    const id = list.body.servers[0].id;
    const k = await kubeServer(id);
    const ips = await gw.call('GET', `/v2.1/servers/${id}/ips`, { token: alice });
    expect(ips.status).to.equal(200);
    const expected: Record<string, { version: number; addr: string }[]> = {};
    for (const a of k.status?.addresses ?? [])
      (expected[a.network] ??= []).push({ version: a.version, addr: a.addr });
    expect(ips.body).to.deep.equal({ addresses: expected });
    for (const network of ['nonet', '__proto__']) {
      const nope = await gw.call('GET', `/v2.1/servers/${id}/ips/${network}`, { token: alice });
      expect(nope.status, network).to.equal(404);
    }
  });

  it("answers malformed bodies and bad query values on every server route with Nova's 400", async () => {
    const list = await gw.call('GET', '/v2.1/servers?name=^web2$', { token: alice });
    const id = list.body.servers[0].id;
    const cases: [string, string, unknown?, string?][] = [
      ['POST', '/v2.1/servers', '{not json'],
      ['POST', '/v2.1/servers', { server: { flavorRef: '2', imageRef: imageId } }],
      ['POST', '/v2.1/servers', { server: { name: 'x', flavorRef: '2', imageRef: 'not-a-uuid' } }],
      [
        'POST',
        '/v2.1/servers',
        { server: { name: 'x', flavorRef: '2', imageRef: imageId, min_count: 'two' } },
      ],
      ['POST', '/v2.1/servers', { server: { name: 'x', flavorRef: '2', imageRef: imageId, bogus: 1 } }],
      ['POST', '/v2.1/servers', { server: { name: 'x', flavorRef: '2', imageRef: imageId } }, '2.37'],
      ['POST', '/v2.1/servers', { server: { name: 'x', flavorRef: '99', imageRef: imageId } }],
      [
        'POST',
        '/v2.1/servers',
        { server: { name: 'x', flavorRef: '2', imageRef: imageId, key_name: 'nokey' } },
      ],
      ['POST', '/v2.1/servers', { server: { name: 'x', flavorRef: '2', imageRef: imageId, user_data: 'a' } }],
      ['POST', '/v2.1/servers', []],
      [
        'POST',
        '/v2.1/servers',
        { server: { name: 'x', flavorRef: '2', imageRef: imageId, max_count: '100000000' } },
      ],
      [
        'POST',
        '/v2.1/servers',
        { server: { name: 'x', flavorRef: '2', imageRef: imageId, networks: [{ port: 'x' }] } },
      ],
      ['PUT', `/v2.1/servers/${id}`, { server: { name: '' } }],
      ['PUT', `/v2.1/servers/${id}`, { server: { hostname: 'x' } }, '2.90'],
      ['PUT', `/v2.1/servers/${id}`, { server: { description: 'd' } }, '2.18'],
      ['PUT', `/v2.1/servers/${id}`, 'null'],
      ['POST', `/v2.1/servers/${id}/metadata`, { metadata: { a: 1 } }],
      ['POST', `/v2.1/servers/${id}/metadata`, { meta: {} }],
      ['PUT', `/v2.1/servers/${id}/metadata`, { metadata: 'x' }],
      ['PUT', `/v2.1/servers/${id}/metadata/a`, { meta: { b: '1' } }],
      ['PUT', `/v2.1/servers/${id}/metadata/a`, { meta: { a: '1', b: '2' } }],
      ['GET', '/v2.1/servers?limit=-1'],
      ['GET', '/v2.1/servers?limit=x'],
      ['GET', '/v2.1/servers/detail?marker=nope'],
      ['GET', '/v2.1/servers/detail?changes-since=nope'],
      ['GET', '/v2.1/servers/detail?sort_dir=up'],
      ['GET', '/v2.1/servers/detail?sort_key=nokey'],
      ['GET', '/v2.1/servers/detail?name=('],
      ['GET', '/v2.1/servers/detail?status=nope', undefined, '2.38'],
      ['GET', '/v2.1/servers/detail?locked=maybe', undefined, '2.73'],
      ['GET', '/v2.1/servers/detail?bogus=1', undefined, '2.75'],
      ['GET', '/v2.1/servers?metadata=x', undefined],
    ];
    for (const [method, path, body, version] of cases) {
      const res = await gw.call(method, path, {
        token: path.includes('metadata=x') ? admin : alice,
        body,
        headers: {
          ...v(version ?? '2.1'),
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
      });
      const what = `${method} ${path} ${JSON.stringify(body)} @${version ?? '2.1'}`;
      expect(res.status, `${what}: ${JSON.stringify(res.body)}`).to.equal(400);
      expect(res.body.badRequest.code, what).to.equal(400);
      expect(res.body.badRequest.message, what).to.be.a('string').with.length.above(0);
    }
  });

  it('deletes through the delete action: 409 while locked, then 204 and gone from Kubernetes and the API', async () => {
    const list = await gw.call('GET', '/v2.1/servers?name=^batch-1$', { token: alice });
    const id = list.body.servers[0].id;
    await eventually('batch-1 ACTIVE', async () => (await kubeServer(id)).status?.vmState === 'active');
    const k = await kubeServer(id);
    const path = objectPath(SERVERS, k.metadata.name!, 'project-a');
    await suite.client.patch(path, { spec: { locked: true } });
    const locked = await gw.call('DELETE', `/v2.1/servers/${id}`, { token: alice });
    expect(locked.status).to.equal(409);
    expect(locked.body.conflictingRequest.message).to.equal(`Instance ${id} is locked`);
    await suite.client.patch(path, { spec: { locked: false } });

    const res = await gw.call('DELETE', `/v2.1/servers/${id}`, { token: alice });
    expect(res.status).to.equal(204);
    await eventually('server gone', async () => (await kubeServer(id)) === undefined);
    await eventually(
      '404',
      async () => (await gw.call('GET', `/v2.1/servers/${id}`, { token: alice })).status === 404,
    );
    const actions = await suite.client.list<ServerAction>(collectionPath(SERVER_ACTIONS, 'project-a'));
    const deletes = actions.items.filter(
      (a) => a.spec.server === k.metadata.name && a.spec.action === 'delete',
    );
    expect(deletes.map((a) => [a.spec.user, a.status?.phase]).sort()).to.deep.equal([
      [aliceId, 'Failed'],
      [aliceId, 'Succeeded'],
    ]);
  });
});

describe('Servers API with reclaim_instance_interval (soft delete)', function () {
  this.timeout(180_000);
  let world: ServersSuite;
  let suite: OperatorSuite;
  let gw: TestGateway;
  let token: string;

  before(async () => {
    world = await startServersSuite({ compute: { reclaim_instance_interval: 3600 } });
    ({ suite, gw } = world);
    await gw.addUser('carol', 'carol-pw', 'project-c', 'member');
    token = await gw.token('carol', 'carol-pw', 'project-c');
  });
  after(async () => {
    await world?.stop();
  });

  it('soft-deletes: 204, then SOFT_DELETED and still listed, the Server object kept for reclaim', async () => {
    const images = await suite.client.list<{ metadata: { uid: string } }>(collectionPath(IMAGES));
    const res = await gw.call('POST', '/v2.1/servers', {
      token,
      body: { server: { name: 'keep', flavorRef: '2', imageRef: images.items[0]!.metadata.uid } },
    });
    expect(res.status).to.equal(202);
    const id = res.body.server.id;
    await eventually('ACTIVE', async () => {
      const r = await gw.call('GET', `/v2.1/servers/${id}`, { token });
      return r.body.server.status === 'ACTIVE';
    });
    expect((await gw.call('DELETE', `/v2.1/servers/${id}`, { token })).status).to.equal(204);
    const soft = await eventually('SOFT_DELETED', async () => {
      const r = await gw.call('GET', '/v2.1/servers/detail', { token });
      const s = r.body.servers.find((x: { id: string }) => x.id === id);
      return s?.status === 'SOFT_DELETED' && s;
    });
    expect(soft['OS-EXT-STS:vm_state']).to.equal('soft-delete');
    const objects = await suite.client.list<Server>(collectionPath(SERVERS, 'project-c'));
    expect(objects.items.map((s) => [s.metadata.uid, s.status?.vmState])).to.deep.equal([
      [id, 'soft-delete'],
    ]);
  });
});

describe('Servers API served by a gateway with only its own rights (kova:gateway)', function () {
  this.timeout(120_000);
  let cp: ControlPlane;
  let admin: KubeClient;
  let gw: TestGateway;
  let daveId: string;

  before(async () => {
    cp = await ControlPlane.start({ users: [{ name: 'kova-gateway' }] });
    admin = await KubeClient.create(cp.kubeConfig);
    await createNamespace(admin, SYSTEM_NAMESPACE);
    await ensureRbac(admin, [...RBAC_MANIFESTS, ...gatewayRbac({ kind: 'User', name: 'kova-gateway' })]);
    await createFlavor(admin, 'm1.small', { vcpus: 1, ram: 512, disk: 1, id: '2' });
    await createImage(admin, 'cirros');
    gw = await startGateway(cp, {
      kubeConfig: cp.kubeConfigFor('kova-gateway'),
      applyRbac: false,
      bootstrap: { user: 'admin', password: 'secret', project: 'admin' },
    });
    ({ userId: daveId } = await gw.addUser('dave', 'dave-pw', 'project-d', 'member'));
  });
  after(async () => {
    await gw?.close();
    await admin?.close();
    await cp?.stop();
  });

  it('creates, lists, shows, renames and reads the metadata and ips of a server through impersonated writes and cached reads', async () => {
    const token = await gw.token('dave', 'dave-pw', 'project-d');
    const images = await admin.list<{ metadata: { uid: string } }>(collectionPath(IMAGES));
    const created = await gw.call('POST', '/v2.1/servers', {
      token,
      body: {
        server: { name: 'r', flavorRef: '2', imageRef: images.items[0]!.metadata.uid, metadata: { a: 'b' } },
      },
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(202);
    const id = created.body.server.id;
    const listed = await gw.call('GET', '/v2.1/servers/detail', { token });
    expect(listed.body.servers.map((s: { id: string; status: string }) => [s.id, s.status])).to.deep.equal([
      [id, 'BUILD'],
    ]);
    const renamed = await gw.call('PUT', `/v2.1/servers/${id}`, { token, body: { server: { name: 'r2' } } });
    expect(renamed.body.server.name).to.equal('r2');
    expect((await gw.call('GET', `/v2.1/servers/${id}/metadata`, { token })).body).to.deep.equal({
      metadata: { a: 'b' },
    });
    expect((await gw.call('GET', `/v2.1/servers/${id}/ips`, { token })).body).to.deep.equal({
      addresses: {},
    });
    const shown = await gw.call('GET', `/v2.1/servers/${id}`, { token });
    expect(shown.body.server).to.include({ id, name: 'r2', user_id: daveId, status: 'BUILD' });
    const objects = await admin.list<Server>(collectionPath(SERVERS, 'project-d'));
    expect(
      objects.items.map((s) => [
        s.metadata.uid,
        s.spec.name,
        s.metadata.annotations?.['compute.kova.io/user-id'],
      ]),
    ).to.deep.equal([[id, 'r2', daveId]]);
  });
});
