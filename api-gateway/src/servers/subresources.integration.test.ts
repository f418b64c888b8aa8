// The server sub-resources through the gateway on a real apiserver with the operator and the fake
// driver: tags, topology, os-server-password and changePassword, diagnostics, remote consoles,
// os-server-external-events, migrations (os-migrations, servers/{id}/migrations) and
// os-simple-tenant-usage; Nova's answers, errors and default policies (admin, member, reader).
import { expect } from 'chai';
import type { Image, Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { API_VERSION } from '../../../operator/src/api/kind.ts';
import { FLAVORS, IMAGES, SERVERS } from '../../../operator/src/controllers/server.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
import { createFakeNode, eventually, waitForHostsUp } from '../../../e2e/harness/fixtures.ts';
import type { TestGateway } from '../../../e2e/harness/gateway.ts';
import type { OperatorSuite } from '../../../e2e/harness/suite.ts';
import { type ServersSuite, startServersSuite } from './testsuite.ts';
import { PASSWORD_ANNOTATION } from './password.ts';

const v = (version: string) => ({ 'OpenStack-API-Version': `compute ${version}` });

describe('Server sub-resources (gateway on a real apiserver, fake driver)', function () {
  this.timeout(300_000);
  let world: ServersSuite;
  let suite: OperatorSuite;
  let gw: TestGateway;
  let admin: string;
  let alice: string;
  let reader: string;
  let bob: string;
  let projectA: string;
  let imageId: string;
  let id: string;
  let errored: string;

  const kubeServer = async (uid: string): Promise<Server> =>
    (await suite.client.list<Server>(collectionPath(SERVERS, 'project-a'))).items.find(
      (s) => s.metadata.uid === uid,
    )!;
  const settled = (uid: string, vmState: string) =>
    eventually(`server ${vmState}`, async () => {
      const s = await kubeServer(uid);
      return s?.status?.vmState === vmState && !s.status.taskState && !s.status.action && s;
    });
  const create = async (name: string, flavorRef: string, end: string): Promise<string> => {
    const res = await gw.call('POST', '/v2.1/servers', {
      token: alice,
      body: { server: { name, flavorRef, imageRef: imageId, networks: 'none' } },
      headers: v('2.37'),
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(202);
    await settled(res.body.server.id, end);
    return res.body.server.id;
  };
  const call = (method: string, path: string, token: string, version = '2.1', body?: unknown) =>
    gw.call(method, `/v2.1${path}`, { token, headers: v(version), ...(body !== undefined ? { body } : {}) });
  const act = (uid: string, body: unknown, token = alice, version = '2.1') =>
    call('POST', `/servers/${uid}/action`, token, version, body);

  before(async () => {
    world = await startServersSuite();
    ({ suite, gw } = world);
    await createFakeNode(suite.client, 'node-2', { cpu: 16, memoryMb: 32768, diskGb: 400 });
    await waitForHostsUp(suite.client, 2);
    await suite.client.create(collectionPath(FLAVORS), {
      apiVersion: API_VERSION,
      kind: 'Flavor',
      metadata: { name: 'numa' },
      spec: {
        name: 'numa',
        id: '7',
        vcpus: 4,
        ram: 2048,
        disk: 1,
        extraSpecs: { 'hw:numa_nodes': '2', 'hw:mem_page_size': 'large' },
      },
    });
    await suite.client.create(collectionPath(FLAVORS), {
      apiVersion: API_VERSION,
      kind: 'Flavor',
      metadata: { name: 'huge' },
      spec: { name: 'huge', id: '9', vcpus: 1, ram: 512, disk: 1000 },
    });
    ({ projectId: projectA } = await gw.addUser('alice', 'alice-pw', 'project-a', 'member'));
    await gw.addUser('rita', 'rita-pw', 'project-a', 'reader');
    await gw.addUser('bob', 'bob-pw', 'project-b', 'member');
    admin = await gw.token('admin', 'secret', 'admin');
    alice = await gw.token('alice', 'alice-pw', 'project-a');
    reader = await gw.token('rita', 'rita-pw', 'project-a');
    bob = await gw.token('bob', 'bob-pw', 'project-b');
    imageId = (await suite.client.list<Image>(collectionPath(IMAGES))).items[0]!.metadata.uid!;
    id = await create('sub', '7', 'active');
    errored = await create('no-room', '9', 'error');
  });
  after(async () => {
    await world?.stop();
  });

  describe('tags (2.26)', () => {
    it('PUT one → 201 with Location, again → 204; GET one 204/404; list; reader reads but may not write', async () => {
      const put = await call('PUT', `/servers/${id}/tags/web`, alice, '2.26');
      expect(put.status, JSON.stringify(put.body)).to.equal(201);
      expect(put.headers.get('location')).to.match(new RegExp(`/v2.1/servers/${id}/tags/web$`));
      expect((await call('PUT', `/servers/${id}/tags/web`, alice, '2.26')).status).to.equal(204);
      expect((await call('GET', `/servers/${id}/tags/web`, reader, '2.26')).status).to.equal(204);
      const missing = await call('GET', `/servers/${id}/tags/db`, reader, '2.26');
      expect(missing.status).to.equal(404);
      expect(missing.body.itemNotFound.message).to.equal(`Server ${id} has no tag 'db'`);
      expect((await call('GET', `/servers/${id}/tags`, reader, '2.26')).body).to.deep.equal({
        tags: ['web'],
      });
      const denied = await call('PUT', `/servers/${id}/tags/x`, reader, '2.26');
      expect(denied.status).to.equal(403);
      expect(denied.body.forbidden.message).to.equal(
        "Policy doesn't allow os_compute_api:os-server-tags:update to be performed.",
      );
      const server = await call('GET', `/servers/${id}`, alice, '2.26');
      expect(server.body.server.tags).to.deep.equal(['web']);
    });

    it('PUT all replaces (duplicates folded), 51 tags is 400, a bad tag is 400, DELETE one and all; 2.25 is 404', async () => {
      const all = await call('PUT', `/servers/${id}/tags`, alice, '2.26', { tags: ['a', 'b', 'a'] });
      expect(all.status, JSON.stringify(all.body)).to.equal(200);
      expect(all.body).to.deep.equal({ tags: ['a', 'b'] });
      const many = Array.from({ length: 51 }, (_, i) => `t${i}`);
      expect((await call('PUT', `/servers/${id}/tags`, alice, '2.26', { tags: many })).status).to.equal(400);
      const bad = await call('PUT', `/servers/${id}/tags/a,b`, alice, '2.26');
      expect(bad.status).to.equal(400);
      expect(bad.body.badRequest.message).to.match(/^Tag 'a,b' is invalid. It must be a non empty string/);
      expect((await call('DELETE', `/servers/${id}/tags/a`, alice, '2.26')).status).to.equal(204);
      const gone = await call('DELETE', `/servers/${id}/tags/a`, alice, '2.26');
      expect(gone.status).to.equal(404);
      expect(gone.body.itemNotFound.message).to.equal(`Instance ${id} has no tag 'a'`);
      expect((await call('DELETE', `/servers/${id}/tags`, alice, '2.26')).status).to.equal(204);
      expect((await kubeServer(id)).spec.tags ?? []).to.deep.equal([]);
      expect((await call('GET', `/servers/${id}/tags`, alice, '2.25')).status).to.equal(404);
    });

    it("a server in vm_state error refuses tag writes with Nova's 409", async () => {
      const res = await call('PUT', `/servers/${errored}/tags/x`, alice, '2.26');
      expect(res.status).to.equal(409);
      expect(res.body.conflictingRequest.message).to.equal(
        `Cannot 'update tag' instance ${errored} while it is in vm_state error`,
      );
    });
  });

  it('topology (2.78): cells from hw:numa_nodes, pagesize from hw:mem_page_size; host_node for admins only; 2.77 is 404', async () => {
    const mine = await call('GET', `/servers/${id}/topology`, reader, '2.78');
    expect(mine.status, JSON.stringify(mine.body)).to.equal(200);
    expect(mine.body).to.deep.equal({
      nodes: [
        { vcpu_set: [0, 1], siblings: [], memory_mb: 1024 },
        { vcpu_set: [2, 3], siblings: [], memory_mb: 1024 },
      ],
      pagesize_kb: 2048,
    });
    const adminView = await call('GET', `/servers/${id}/topology`, admin, '2.78');
    expect(adminView.body.nodes[1]).to.deep.equal({
      vcpu_set: [2, 3],
      siblings: [],
      memory_mb: 1024,
      host_node: 1,
      cpu_pinning: {},
    });
    expect((await call('GET', `/servers/${id}/topology`, reader, '2.77')).status).to.equal(404);
  });

  it('os-server-password: "" until a password is posted, then it; DELETE (member) clears it; changePassword is 501, 409 on an errored server', async () => {
    expect((await call('GET', `/servers/${id}/os-server-password`, reader)).body).to.deep.equal({
      password: '',
    });
    const s = await kubeServer(id);
    await suite.client.patch(objectPath(SERVERS, s.metadata.name!, 'project-a'), {
      metadata: { annotations: { [PASSWORD_ANNOTATION]: 'ZW5jcnlwdGVk' } },
    });
    await eventually('password shown', async () => {
      const r = await call('GET', `/servers/${id}/os-server-password`, reader);
      return r.body.password === 'ZW5jcnlwdGVk';
    });
    expect((await call('DELETE', `/servers/${id}/os-server-password`, reader)).status).to.equal(403);
    expect((await call('DELETE', `/servers/${id}/os-server-password`, alice)).status).to.equal(204);
    expect((await kubeServer(id)).metadata.annotations?.[PASSWORD_ANNOTATION]).to.equal(undefined);

    const change = await act(id, { changePassword: { adminPass: 'n3w' } });
    expect(change.status).to.equal(501);
    expect(change.body.notImplemented.message).to.equal('Unable to set password on instance');
    const invalid = await act(id, { changePassword: {} });
    expect(invalid.status).to.equal(400);
    const conflict = await act(errored, { changePassword: { adminPass: 'n3w' } });
    expect(conflict.status).to.equal(409);
    expect(conflict.body.conflictingRequest.message).to.equal(
      `Cannot 'changePassword' instance ${errored} while it is in vm_state error`,
    );
  });

  it("diagnostics (admin): 2.48's shape from the fake driver, the flat dict before; a member's is 403; no host is 409", async () => {
    const d = await call('GET', `/servers/${id}/diagnostics`, admin, '2.48');
    expect(d.status, JSON.stringify(d.body)).to.equal(200);
    expect(d.body).to.include({ state: 'running', driver: 'fake', num_cpus: 4, config_drive: false });
    expect(d.body.cpu_details).to.have.length(4);
    expect(d.body.memory_details).to.deep.equal({ maximum: 2048, used: 2048 });
    const old = await call('GET', `/servers/${id}/diagnostics`, admin, '2.47');
    expect(old.body).to.include.keys('cpu0_time', 'cpu3_time', 'memory', 'vda_read');
    expect(old.body.memory).to.equal(2048 * 1024);
    const denied = await call('GET', `/servers/${id}/diagnostics`, alice, '2.48');
    expect(denied.status).to.equal(403);
    const notReady = await call('GET', `/servers/${errored}/diagnostics`, admin, '2.48');
    expect(notReady.status).to.equal(409);
    expect(notReady.body.conflictingRequest.message).to.equal(`Instance ${errored} is not ready`);
  });

  it('remote consoles: no console proxy, so 400 Unavailable console type (2.6 and the 2.1 actions); the old actions are 404 from 2.6', async () => {
    const vnc = await call('POST', `/servers/${id}/remote-consoles`, alice, '2.6', {
      remote_console: { protocol: 'vnc', type: 'novnc' },
    });
    expect(vnc.status).to.equal(400);
    expect(vnc.body.badRequest.message).to.equal('Unavailable console type novnc.');
    const mks = await call('POST', `/servers/${id}/remote-consoles`, alice, '2.6', {
      remote_console: { protocol: 'mks', type: 'webmks' },
    });
    expect(mks.status).to.equal(400);
    expect(mks.body.badRequest.message).to.match(/^Invalid input for field\/attribute protocol/);
    const serial = await act(id, { 'os-getSerialConsole': { type: 'serial' } });
    expect(serial.status).to.equal(400);
    expect(serial.body.badRequest.message).to.equal('Unavailable console type serial.');
    expect((await act(id, { 'os-getVNCConsole': { type: 'novnc' } }, reader)).status).to.equal(403);
    expect((await act(id, { 'os-getVNCConsole': { type: 'novnc' } }, alice, '2.6')).status).to.equal(404);
    const notReady = await call('POST', `/servers/${errored}/remote-consoles`, alice, '2.6', {
      remote_console: { protocol: 'serial', type: 'serial' },
    });
    expect(notReady.status).to.equal(409);
  });

  it('os-server-external-events (admin): 200 when all apply, 207 with 404/422/400 codes per event; members 403', async () => {
    const ok = await call('POST', '/os-server-external-events', admin, '2.1', {
      events: [{ server_uuid: id, name: 'network-vif-plugged', tag: 'port-1' }],
    });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    expect(ok.body.events).to.deep.equal([
      { server_uuid: id, name: 'network-vif-plugged', tag: 'port-1', status: 'completed', code: 200 },
    ]);
    const mixed = await call('POST', '/os-server-external-events', admin, '2.76', {
      events: [
        { server_uuid: id, name: 'network-changed' },
        { server_uuid: '00000000-0000-4000-8000-000000000000', name: 'network-changed' },
        { server_uuid: errored, name: 'network-changed' },
        { server_uuid: id, name: 'power-update' },
      ],
    });
    expect(mixed.status).to.equal(207);
    expect(mixed.body.events.map((e: { code: number }) => e.code)).to.deep.equal([200, 404, 422, 400]);
    const old = await call('POST', '/os-server-external-events', admin, '2.75', {
      events: [{ server_uuid: id, name: 'power-update', tag: 'POWER_ON' }],
    });
    expect(old.status).to.equal(400);
    expect((await call('POST', '/os-server-external-events', alice, '2.1', { events: [] })).status).to.equal(
      400,
    );
    const denied = await call('POST', '/os-server-external-events', alice, '2.1', {
      events: [{ server_uuid: id, name: 'network-changed' }],
    });
    expect(denied.status).to.equal(403);
  });

  it('createBackup: image_type backup with its backup_type; rotation keeps the newest N of the type; 2.45 answers image_id; reader 403', async () => {
    const backup = (name: string, rotation: number, version = '2.45', token = alice) =>
      act(id, { createBackup: { name, backup_type: 'daily', rotation } }, token, version);
    const ids: string[] = [];
    for (const name of ['b1', 'b2', 'b3']) {
      const res = await backup(name, 2);
      expect(res.status, JSON.stringify(res.body)).to.equal(202);
      ids.push(res.body.image_id);
    }
    const backups = async () =>
      (await suite.client.list<Image>(collectionPath(IMAGES))).items.filter(
        (i) => i.spec.properties?.instance_uuid === id && i.spec.properties?.image_type === 'backup',
      );
    const kept = await eventually('rotated', async () => {
      const b = await backups();
      return b.length === 2 && b;
    });
    expect(kept.map((i) => i.metadata.uid).sort()).to.deep.equal(ids.slice(1).sort());
    expect(kept[0]!.spec.properties).to.include({ backup_type: 'daily' });
    const old = await backup('b4', 1, '2.44');
    expect(old.status).to.equal(202);
    expect(old.headers.get('location')).to.match(/\/v2\.1\/images\/[0-9a-f-]{36}$/);
    const none = await backup('b5', 0);
    expect(none.status).to.equal(202);
    expect(await eventually('all rotated away', async () => (await backups()).length === 0)).to.equal(true);
    expect((await backup('b6', 1, '2.45', reader)).status).to.equal(403);
    const invalid = await act(id, { createBackup: { name: 'x', backup_type: 'daily' } });
    expect(invalid.status).to.equal(400);
  });

  describe('interfaces, security groups and volume attachments (no Neutron, no Cinder)', () => {
    let net: string;
    before(async () => {
      const res = await gw.call('POST', '/v2.1/servers', {
        token: alice,
        body: {
          server: { name: 'net', flavorRef: '2', imageRef: imageId, security_groups: [{ name: 'web' }] },
        },
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(202);
      net = res.body.server.id;
      await settled(net, 'active');
    });

    it('os-interface lists one port per MAC with its fixed IPs, shows it by id; attach is 400 (driver without hot-plug), detach 501/404', async () => {
      const list = await call('GET', `/servers/${net}/os-interface`, reader, '2.70');
      expect(list.status, JSON.stringify(list.body)).to.equal(200);
      const ports = list.body.interfaceAttachments;
      const s = await kubeServer(net);
      expect(ports).to.have.length(new Set(s.status!.addresses!.map((a) => a.macAddr)).size);
      expect(ports[0]).to.include({
        port_state: 'ACTIVE',
        tag: null,
      });
      expect(ports[0].mac_addr).to.match(/^fa:16:3e(:[0-9a-f]{2}){3}$/);
      expect(ports[0].fixed_ips[0].ip_address).to.equal(s.status!.addresses![0]!.addr);
      const shown = await call('GET', `/servers/${net}/os-interface/${ports[0].port_id}`, reader);
      const { tag: _tag, ...untagged } = ports[0]; // the tag is shown from 2.70
      expect(shown.body.interfaceAttachment).to.deep.equal(untagged);
      const none = await call(
        'GET',
        `/servers/${net}/os-interface/00000000-0000-4000-8000-000000000000`,
        reader,
      );
      expect(none.status).to.equal(404);
      const attach = await call('POST', `/servers/${net}/os-interface`, alice, '2.1', {
        interfaceAttachment: {},
      });
      expect(attach.status).to.equal(400);
      expect(attach.body.badRequest.message).to.equal(
        `Attaching interfaces is not supported for instance ${net}.`,
      );
      expect(
        (await call('POST', `/servers/${net}/os-interface`, reader, '2.1', { interfaceAttachment: {} }))
          .status,
      ).to.equal(403);
      expect(
        (await call('DELETE', `/servers/${net}/os-interface/${ports[0].port_id}`, alice)).status,
      ).to.equal(501);
      expect(
        (await call('DELETE', `/servers/${net}/os-interface/00000000-0000-4000-8000-000000000000`, alice))
          .status,
      ).to.equal(404);
    });

    it('security groups: created with web; addSecurityGroup/removeSecurityGroup change the list (400 when already/not there); networks none is 404', async () => {
      const groups = async () =>
        (await call('GET', `/servers/${net}/os-security-groups`, reader)).body.security_groups.map(
          (g: { name: string }) => g.name,
        );
      expect(await groups()).to.deep.equal(['web']);
      expect((await act(net, { addSecurityGroup: { name: 'db' } })).status).to.equal(202);
      expect(await groups()).to.deep.equal(['db', 'web']);
      const again = await act(net, { addSecurityGroup: { name: 'db' } });
      expect(again.status).to.equal(400);
      expect(again.body.badRequest.message).to.equal(
        `Security group db is already associated with the instance ${net}`,
      );
      expect((await act(net, { removeSecurityGroup: { name: 'web' } })).status).to.equal(202);
      const shown = await call('GET', `/servers/${net}`, alice);
      expect(shown.body.server.security_groups).to.deep.equal([{ name: 'db' }]);
      const gone = await act(net, { removeSecurityGroup: { name: 'web' } });
      expect(gone.body.badRequest.message).to.equal(
        `Security group web not associated with the instance ${net}`,
      );
      expect((await act(net, { addSecurityGroup: { name: ' ' } })).body.badRequest.message).to.equal(
        'Security group name cannot be empty',
      );
      const denied = await act(net, { addSecurityGroup: { name: 'x' } }, reader);
      expect(denied.status).to.equal(403);
      expect(denied.body.forbidden.message).to.equal(
        "Policy doesn't allow os_compute_api:os-security-groups:add to be performed.",
      );
      expect((await act(id, { addSecurityGroup: { name: 'x' } })).status).to.equal(404);
    });

    it('volume attachments: none listed; show 404; attach 404 volume not found; swap before 2.85 is admin-only', async () => {
      expect((await call('GET', `/servers/${net}/os-volume_attachments`, reader)).body).to.deep.equal({
        volumeAttachments: [],
      });
      const vol = '11111111-2222-4333-8444-555555555555';
      const show = await call('GET', `/servers/${net}/os-volume_attachments/${vol}`, reader);
      expect(show.status).to.equal(404);
      expect(show.body.itemNotFound.message).to.equal(`Instance ${net} is not attached to volume ${vol}`);
      const attach = await call('POST', `/servers/${net}/os-volume_attachments`, alice, '2.1', {
        volumeAttachment: { volumeId: vol },
      });
      expect(attach.status).to.equal(404);
      expect(attach.body.itemNotFound.message).to.equal(`Volume ${vol} could not be found.`);
      const bad = await call('POST', `/servers/${net}/os-volume_attachments`, alice, '2.1', {
        volumeAttachment: { volumeId: 'nope' },
      });
      expect(bad.status).to.equal(400);
      const swap = await call('PUT', `/servers/${net}/os-volume_attachments/${vol}`, alice, '2.1', {
        volumeAttachment: { volumeId: vol },
      });
      expect(swap.status).to.equal(403);
      expect((await call('DELETE', `/servers/${net}/os-volume_attachments/${vol}`, alice)).status).to.equal(
        404,
      );
    });
  });

  describe('migrations', () => {
    it('a cold migration is listed by os-migrations (admin): finished, then confirmed with the hosts; member 403', async () => {
      const before = (await kubeServer(id)).status!.host!;
      const m = await act(id, { migrate: null }, admin);
      expect(m.status, JSON.stringify(m.body)).to.equal(202);
      await settled(id, 'resized');
      const listed = await call('GET', '/os-migrations', admin, '2.23');
      expect(listed.status, JSON.stringify(listed.body)).to.equal(200);
      const mine = listed.body.migrations.find((x: { instance_uuid: string }) => x.instance_uuid === id);
      expect(mine).to.include({
        status: 'finished',
        migration_type: 'migration',
        source_compute: before,
      });
      expect(mine.dest_compute).to.be.oneOf(['node-1', 'node-2']).and.not.equal(before);
      expect(mine).to.not.have.property('uuid');
      expect((await act(id, { confirmResize: null })).status).to.equal(204);
      await settled(id, 'active');
      const after = await call('GET', '/os-migrations', admin, '2.80');
      const done = after.body.migrations.find((x: { instance_uuid: string }) => x.instance_uuid === id);
      expect(done).to.include({ status: 'confirmed', project_id: projectA });
      expect(done.uuid).to.be.a('string');
      const old = await call('GET', '/os-migrations', admin, '2.1');
      expect(old.body.migrations[0]).to.not.have.property('migration_type');
      const paged = await call('GET', '/os-migrations?limit=1', admin, '2.59');
      expect(paged.body.migrations).to.have.length(1);
      expect(paged.body.migrations_links[0].href).to.contain(`marker=${done.uuid}`);
      expect((await call('GET', '/os-migrations?foo=1', admin, '2.59')).status).to.equal(400);
      expect((await call('GET', '/os-migrations', alice, '2.1')).status).to.equal(403);
    });

    it('live migration: completed in os-migrations; servers/{id}/migrations lists only ones in progress; show 404; force_complete and abort check the task state', async () => {
      const m = await act(id, { 'os-migrateLive': { host: null, block_migration: 'auto' } }, admin, '2.30');
      expect(m.status, JSON.stringify(m.body)).to.equal(202);
      await settled(id, 'active');
      const all = await call(
        'GET',
        `/os-migrations?instance_uuid=${id}&migration_type=live-migration`,
        admin,
        '2.23',
      );
      expect(all.body.migrations).to.have.length(1);
      expect(all.body.migrations[0]).to.include({ status: 'completed' });
      expect(all.body.migrations[0]).to.not.have.property('links');
      const inProgress = await call('GET', `/servers/${id}/migrations`, admin, '2.23');
      expect(inProgress.body).to.deep.equal({ migrations: [] });
      const mid = all.body.migrations[0].id;
      const show = await call('GET', `/servers/${id}/migrations/${mid}`, admin, '2.23');
      expect(show.status).to.equal(404);
      expect(show.body.itemNotFound.message).to.equal(
        `Live migration ${mid} for server ${id} is not in progress.`,
      );
      const force = await call('POST', `/servers/${id}/migrations/${mid}/action`, admin, '2.22', {
        force_complete: null,
      });
      expect(force.status).to.equal(409);
      expect(force.body.conflictingRequest.message).to.equal(
        `Cannot 'force_complete' instance ${id} while it is in task_state None`,
      );
      expect((await call('DELETE', `/servers/${id}/migrations/${mid}`, admin, '2.24')).status).to.equal(409);
      expect((await call('GET', `/servers/${id}/migrations`, alice, '2.23')).status).to.equal(403);
      expect((await call('GET', `/servers/${id}/migrations`, admin, '2.22')).status).to.equal(404);
    });
  });

  it('os-volumes_boot answers as /servers: list, detail, show, an action', async () => {
    const list = await call('GET', '/os-volumes_boot', alice);
    expect(list.status, JSON.stringify(list.body)).to.equal(200);
    const viaServers = await call('GET', '/servers', alice);
    expect(list.body.servers.map((x: { id: string }) => x.id).sort()).to.deep.equal(
      viaServers.body.servers.map((x: { id: string }) => x.id).sort(),
    );
    expect((await call('GET', '/os-volumes_boot/detail', alice)).body.servers[0]).to.have.property('status');
    const shown = await call('GET', `/os-volumes_boot/${id}`, alice);
    expect(shown.body.server.id).to.equal(id);
    expect(shown.body.server.links[0].href).to.match(new RegExp(`/v2.1/servers/${id}$`));
    const out = await call('POST', `/os-volumes_boot/${id}/action`, alice, '2.1', {
      'os-getConsoleOutput': {},
    });
    expect(out.status).to.equal(200);
  });

  it('os-instance_usage_audit_log (admin): no audit task ran, so every compute host is not run; a bad date is 400', async () => {
    const index = await call('GET', '/os-instance_usage_audit_log', admin);
    expect(index.status, JSON.stringify(index.body)).to.equal(200);
    expect(index.body.instance_usage_audit_logs).to.deep.include({
      num_hosts: 2,
      num_hosts_done: 0,
      hosts_not_run: ['node-1', 'node-2'],
      overall_status: '0 of 2 hosts done. 0 errors.',
    });
    const show = await call(
      'GET',
      `/os-instance_usage_audit_log/${encodeURIComponent('2026-07-05 10:00:00')}`,
      admin,
    );
    expect(show.body.instance_usage_audit_log).to.include({
      period_beginning: '2026-06-01 00:00:00',
      period_ending: '2026-07-01 00:00:00',
    });
    const bad = await call('GET', '/os-instance_usage_audit_log/yesterday', admin);
    expect(bad.status).to.equal(400);
    expect(bad.body.badRequest.message).to.equal('Invalid timestamp for date yesterday');
    expect((await call('GET', '/os-instance_usage_audit_log', alice)).status).to.equal(403);
  });

  it('os-simple-tenant-usage through the API: 2.40 links when a page is full, bad times 400, 2.75 strict query, another project 403', async () => {
    const show = await call('GET', `/os-simple-tenant-usage/${projectA}?limit=1`, alice, '2.40');
    expect(show.status, JSON.stringify(show.body)).to.equal(200);
    expect(show.body.tenant_usage.server_usages).to.have.length(1);
    expect(show.body.tenant_usage_links[0].href).to.contain(
      `os-simple-tenant-usage/${projectA}?limit=1&marker=`,
    );
    const reversed = await call(
      'GET',
      '/os-simple-tenant-usage?start=2026-01-02T00:00:00&end=2026-01-01T00:00:00',
      admin,
    );
    expect(reversed.status).to.equal(400);
    expect(reversed.body.badRequest.message).to.equal(
      'Invalid start time. The start time cannot occur after the end time.',
    );
    const bad = await call('GET', '/os-simple-tenant-usage?start=yesterday', admin);
    expect(bad.body.badRequest.message).to.equal('Invalid datetime string: Datetime is in invalid format');
    expect((await call('GET', '/os-simple-tenant-usage?foo=1', admin, '2.74')).status).to.equal(200);
    expect((await call('GET', '/os-simple-tenant-usage?foo=1', admin, '2.75')).status).to.equal(400);
    expect((await call('GET', `/os-simple-tenant-usage/${projectA}`, bob)).status).to.equal(403);
    const empty = await call('GET', '/os-simple-tenant-usage/0123456789abcdef0123456789abcdef', admin);
    expect(empty.body).to.deep.equal({ tenant_usage: {} });
  });
});
