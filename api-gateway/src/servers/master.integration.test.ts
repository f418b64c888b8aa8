// Nova master's microversions 2.94–2.101 through the gateway on a real apiserver with the operator
// and the fake driver: FQDN hostnames (2.94), evacuate to a stopped server (2.95),
// pinned_availability_zone (2.96), server shares without Manila (2.97), image properties embedded
// in the server (2.98), the spice-direct console type (2.99), scheduler hints in the server (2.100).
import { expect } from 'chai';
import type { Image, Server, ServerAction } from '../../../operator/src/api/v1alpha1/index.ts';
import { COMPUTE_HOSTS } from '../../../operator/src/controllers/computehost.ts';
import { IMAGES, SERVERS } from '../../../operator/src/controllers/server.ts';
import { SERVER_ACTIONS } from '../../../operator/src/controllers/serveraction.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
import { createFakeNode, eventually, waitForHostsUp } from '../../../e2e/harness/fixtures.ts';
import type { TestGateway } from '../../../e2e/harness/gateway.ts';
import type { OperatorSuite } from '../../../e2e/harness/suite.ts';
import { SHARES_NOT_CONFIGURED } from './shares.ts';
import { type ServersSuite, startServersSuite } from './testsuite.ts';

const v = (version: string) => ({ 'OpenStack-API-Version': `compute ${version}` });

describe('Nova master microversions 2.94–2.101 (gateway on a real apiserver, fake driver)', function () {
  this.timeout(240_000);
  let world: ServersSuite;
  let suite: OperatorSuite;
  let gw: TestGateway;
  let admin: string;
  let other: string;
  let image: Image;
  let id: string;

  before(async () => {
    world = await startServersSuite();
    ({ suite, gw } = world);
    await createFakeNode(suite.client, 'node-2', { cpu: 16, memoryMb: 32768, diskGb: 400 });
    await waitForHostsUp(suite.client, 2);
    admin = await gw.token('admin', 'secret', 'admin');
    await gw.addUser('olga', 'olga-pw', 'project-o', 'member');
    other = await gw.token('olga', 'olga-pw', 'project-o');
    image = (await suite.client.list<Image>(collectionPath(IMAGES))).items[0]!;
    await suite.client.patch(objectPath(IMAGES, image.metadata.name!), {
      spec: { properties: { hw_disk_bus: 'virtio', os_distro: 'cirros', my_own: 'x' } },
    });
  });
  after(async () => {
    await world?.stop();
  });

  const call = (method: string, path: string, body?: unknown, version = '2.98', token = admin) =>
    gw.call(method, `/v2.1${path}`, { token, body, headers: v(version) });
  const status = (want: string) =>
    eventually(`server ${want}`, async () => {
      const s = (await call('GET', `/servers/${id}`)).body.server;
      return s?.status === want && s;
    });
  const kubeServer = async () =>
    (await suite.client.list<Server>(collectionPath(SERVERS))).items.find((s) => s.metadata.uid === id)!;

  it('2.94: the hostname may be an FQDN on create and update (before 2.94: 400)', async () => {
    const server = { name: 'fq', flavorRef: '2', imageRef: image.metadata.uid, networks: 'auto' };
    const old = await call(
      'POST',
      '/servers',
      { server: { ...server, hostname: 'web-1.example.com' } },
      '2.93',
    );
    expect(old.status).to.equal(400);
    const res = await call(
      'POST',
      '/servers',
      { server: { ...server, hostname: 'web-1.example.com' } },
      '2.94',
    );
    expect(res.status, JSON.stringify(res.body)).to.equal(202);
    id = res.body.server.id;
    const s = await status('ACTIVE');
    expect(s['OS-EXT-SRV-ATTR:hostname']).to.equal('web-1.example.com');
    const put = await call('PUT', `/servers/${id}`, { server: { hostname: 'web-2.example.com' } }, '2.94');
    expect(put.status).to.equal(200);
    expect(put.body.server['OS-EXT-SRV-ATTR:hostname']).to.equal('web-2.example.com');
    expect((await kubeServer()).spec.hostname).to.equal('web-2.example.com');
    // Nova's fqdn allows '_' (and the Server kind takes what Nova's schema takes).
    const underscore = await call('PUT', `/servers/${id}`, { server: { hostname: 'db_1.internal' } }, '2.94');
    expect(underscore.status, JSON.stringify(underscore.body)).to.equal(200);
    expect((await kubeServer()).spec.hostname).to.equal('db_1.internal');
  });

  it('2.96: pinned_availability_zone is shown (null: no zone asked for); 2.98: the image carries its standard properties', async () => {
    const s95 = (await call('GET', `/servers/${id}`, undefined, '2.95')).body.server;
    expect(s95).to.not.have.property('pinned_availability_zone');
    expect(s95.image).to.not.have.property('properties');
    const s = (await call('GET', `/servers/${id}`)).body.server;
    expect(s.pinned_availability_zone).to.equal(null);
    expect(s.image.properties).to.deep.equal({ hw_disk_bus: 'virtio', os_distro: 'cirros' });
    const detail = (await call('GET', '/servers/detail')).body.servers.find(
      (x: { id: string }) => x.id === id,
    );
    expect(detail).to.include({ pinned_availability_zone: null });
    expect(detail.image.properties).to.deep.equal({ hw_disk_bus: 'virtio', os_distro: 'cirros' });
    expect((await call('GET', `/servers/${id}`, undefined, '2.97')).body.server.image).to.not.have.property(
      'properties',
    );
  });

  it('2.97: a server has no shares; attaching one is refused as Nova refuses hosts without virtiofs', async () => {
    expect((await call('GET', `/servers/${id}/shares`, undefined, '2.96')).status).to.equal(404);
    const list = await call('GET', `/servers/${id}/shares`, undefined, '2.97');
    expect(list.status).to.equal(200);
    expect(list.body).to.deep.equal({ shares: [] });
    expect((await call('GET', `/servers/${id}/shares?x=1`, undefined, '2.97')).status).to.equal(400);
    const share = '11111111-2222-4333-8444-555555555555';
    const missing = await call('GET', `/servers/${id}/shares/${share}`, undefined, '2.97');
    expect(missing.body.itemNotFound.message).to.equal(`Share ${share} could not be found.`);
    const bad = await call('POST', `/servers/${id}/shares`, { share: { share_id: 'nope' } }, '2.97');
    expect(bad.status).to.equal(400);
    const active = await call('POST', `/servers/${id}/shares`, { share: { share_id: share } }, '2.97');
    expect(active.status).to.equal(409);
    expect(active.body.conflictingRequest.message).to.equal(
      `Cannot 'create share' instance ${id} while it is in vm_state active`,
    );
    const foreign = await call('GET', `/servers/${id}/shares`, undefined, '2.97', other);
    expect(foreign.body.itemNotFound.message).to.equal(`Instance ${id} has no mapping to a cell.`);
    expect((await call('POST', `/servers/${id}/action`, { 'os-stop': null })).status).to.equal(202);
    await status('SHUTOFF');
    const stopped = await call(
      'POST',
      `/servers/${id}/shares`,
      { share: { share_id: share, tag: 'data' } },
      '2.97',
    );
    expect(stopped.status).to.equal(409);
    expect(stopped.body.conflictingRequest.message).to.equal(SHARES_NOT_CONFIGURED);
    const del = await call('DELETE', `/servers/${id}/shares/${share}`, undefined, '2.97');
    expect(del.body.itemNotFound.message).to.equal(`Share ${share} could not be found.`);
    expect((await call('POST', `/servers/${id}/action`, { 'os-start': null })).status).to.equal(202);
    await status('ACTIVE');
  });

  it('2.99: spice-direct is a console type (unavailable: no SPICE on Kova), and console tokens take no query', async () => {
    const body = { remote_console: { protocol: 'spice', type: 'spice-direct' } };
    const before = await call('POST', `/servers/${id}/remote-consoles`, body, '2.98');
    expect(before.status).to.equal(400);
    expect(before.body.badRequest.message).to.match(/^Invalid input for field\/attribute type/);
    const res = await call('POST', `/servers/${id}/remote-consoles`, body, '2.99');
    expect(res.status).to.equal(400);
    expect(res.body.badRequest.message).to.equal('Unavailable console type spice-direct.');
    expect((await call('GET', '/os-console-auth-tokens/t?x=1', undefined, '2.98')).status).to.equal(404);
    expect((await call('GET', '/os-console-auth-tokens/t?x=1', undefined, '2.99')).status).to.equal(400);
  });

  it('2.100: the server shows its scheduler hints, each a list of strings, its group as "group"', async () => {
    const group = (
      await call('POST', '/os-server-groups', { server_group: { name: 'g', policies: ['affinity'] } }, '2.1')
    ).body.server_group.id;
    const res = await gw.call('POST', '/v2.1/servers', {
      token: admin,
      headers: v('2.100'),
      body: {
        server: { name: 'hinted', flavorRef: '2', imageRef: image.metadata.uid, networks: 'none' },
        'os:scheduler_hints': { group, different_host: [id] },
      },
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(202);
    const hinted = res.body.server.id;
    const show = (await call('GET', `/servers/${hinted}`, undefined, '2.100')).body.server;
    expect(show.scheduler_hints).to.deep.equal({ different_host: [id], group: [group] });
    expect(
      (await call('GET', `/servers/${id}`, undefined, '2.100')).body.server.scheduler_hints,
    ).to.deep.equal({});
    expect((await call('GET', `/servers/${hinted}`, undefined, '2.99')).body.server).to.not.have.property(
      'scheduler_hints',
    );
    expect((await call('DELETE', `/servers/${hinted}`)).status).to.equal(204);
  });

  it('2.101: a volume attach still finds no volume (the body-less 202 is for attaches that succeed)', async () => {
    const volume = '22222222-3333-4444-8555-666666666666';
    for (const version of ['2.100', '2.101']) {
      const res = await call(
        'POST',
        `/servers/${id}/os-volume_attachments`,
        { volumeAttachment: { volumeId: volume } },
        version,
      );
      expect(res.status).to.equal(404);
      expect(res.body.itemNotFound.message).to.equal(`Volume ${volume} could not be found.`);
    }
  });

  it('2.95: evacuate leaves the server stopped at the destination (up to 2.94 it keeps running)', async () => {
    const source = (await kubeServer()).status!.host!;
    await suite.client.patch(objectPath(COMPUTE_HOSTS, source), { spec: { forcedDown: true } });
    try {
      await eventually(
        'forced down',
        async () => suite.operator.informers.computeHosts.get(source)?.spec.forcedDown,
      );
      const res = await call('POST', `/servers/${id}/action`, { evacuate: {} }, '2.95');
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const s = await status('SHUTOFF');
      expect(s['OS-EXT-SRV-ATTR:host']).to.not.equal(source);
      const actions = await suite.client.list<ServerAction>(collectionPath(SERVER_ACTIONS));
      const evacuate = actions.items.find((a) => a.spec.action === 'evacuate');
      expect(evacuate?.spec.parameters).to.deep.equal({ targetState: 'stopped' });
      expect((await kubeServer()).spec.powerState).to.equal('stopped');
    } finally {
      await suite.client.patch(objectPath(COMPUTE_HOSTS, source), { spec: { forcedDown: false } });
    }
  });
});
