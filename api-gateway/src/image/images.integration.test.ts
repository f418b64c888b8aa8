// Glance v2 writes on a real apiserver, over raw HTTP: the image state machine (queued → saving →
// active, importing, deactivated), the data's size and hashes, JSON patch, Glance's errors and
// policy, web-download from a local HTTP server, and what a crash or restart leaves behind.
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, createServer, type Server as HttpServer } from 'node:http';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Image } from '../../../operator/src/api/v1alpha1/image.ts';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { uploadImageData } from '../../../operator/src/compute/imagedata.ts';
import { createSnapshotImage } from '../../../operator/src/controllers/compute.ts';
import { IMAGES } from '../../../operator/src/controllers/server.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
import { replaceStatus } from '../../../operator/src/kube/writes.ts';
import { ControlPlane } from '../../../e2e/harness/controlplane.ts';
import { createFlavor, eventually } from '../../../e2e/harness/fixtures.ts';
import { type TestGateway, startGateway } from '../../../e2e/harness/gateway.ts';

const PATCH = 'application/openstack-images-v2.1-json-patch';
const MAX = 1 << 20;

describe('Glance v2 image writes on a real apiserver', function () {
  this.timeout(180_000);
  let cp: ControlPlane;
  let gw: TestGateway;
  let storeDir: string;
  let admin: string;
  let alice: string; // member of project-a
  let bob: string; // member of project-b
  let carol: string; // reader of project-a
  let projectA: string;
  let projectB: string;

  const boot = async () =>
    startGateway(cp, {
      bootstrap: { user: 'admin', password: 'secret', project: 'admin' },
      imageStore: { dir: storeDir, maxBytes: MAX, graceMs: 0 },
    });

  before(async () => {
    storeDir = await mkdtemp(join(tmpdir(), 'kova-store-test-'));
    cp = await ControlPlane.start();
    gw = await boot();
    projectA = (await gw.addUser('alice', 'pw-a', 'project-a', 'member')).projectId;
    projectB = (await gw.addUser('bob', 'pw-b', 'project-b', 'member')).projectId;
    await gw.addUser('carol', 'pw-c', 'project-a', 'reader');
    admin = await gw.token('admin', 'secret', 'admin');
    alice = await gw.token('alice', 'pw-a', 'project-a');
    bob = await gw.token('bob', 'pw-b', 'project-b');
    carol = await gw.token('carol', 'pw-c', 'project-a');
  });
  after(async () => {
    await gw?.close();
    await cp?.stop();
    if (storeDir) await rm(storeDir, { recursive: true, force: true });
  });

  const create = async (token: string, body: unknown) => gw.call('POST', '/image/v2/images', { token, body });
  const show = async (token: string, id: string) => gw.call('GET', `/image/v2/images/${id}`, { token });
  const upload = (token: string, id: string, data: Buffer, type = 'application/octet-stream') =>
    fetch(`${gw.url}/image/v2/images/${id}/file`, {
      method: 'PUT',
      headers: { 'X-Auth-Token': token, 'Content-Type': type },
      body: data,
    });
  const patch = (token: string, id: string, ops: unknown, type = PATCH) =>
    gw.call('PATCH', `/image/v2/images/${id}`, { token, body: ops, headers: { 'Content-Type': type } });
  const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
  const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');
  const imageObject = async (id: string) =>
    (await gw.gateway.ctx.kube.list<Image>(collectionPath(IMAGES))).items.find((i) => i.metadata.uid === id)!;
  const storeFiles = async () => (await readdir(storeDir)).filter((f) => !f.startsWith('.')).sort();

  it('creates a queued record owned by the project, uploads data (active, size, md5, sha512) and serves the same bytes back', async () => {
    const created = await create(alice, {
      name: 'img1',
      disk_format: 'qcow2',
      container_format: 'bare',
      tags: ['a'],
      hw_disk_bus: 'virtio',
    });
    expect(created.status).to.equal(201);
    expect(created.body).to.include({
      name: 'img1',
      status: 'queued',
      owner: projectA,
      visibility: 'shared',
      protected: false,
      size: null,
      checksum: null,
      hw_disk_bus: 'virtio',
    });
    expect(created.headers.get('location')).to.match(new RegExp(`/image/v2/images/${created.body.id}$`));
    const id = created.body.id as string;
    expect((await gw.call('GET', `/image/v2/images/${id}/file`, { token: alice })).status).to.equal(204);

    const data = randomBytes(300_000);
    const res = await upload(alice, id, data);
    expect(res.status, await res.text()).to.equal(204);
    const shown = (await show(alice, id)).body;
    expect(shown).to.include({
      status: 'active',
      size: data.length,
      checksum: md5(data),
      os_hash_algo: 'sha512',
      os_hash_value: sha512(data),
    });

    const down = await fetch(`${gw.url}/image/v2/images/${id}/file`, { headers: { 'X-Auth-Token': alice } });
    expect(down.status).to.equal(200);
    expect(down.headers.get('content-type')).to.equal('application/octet-stream');
    expect(down.headers.get('content-md5')).to.equal(md5(data));
    expect(Buffer.from(await down.arrayBuffer()).equals(data)).to.equal(true);

    // The agents' URL: the Image's source, served without a token; a wrong signature is a 404.
    const url = (await imageObject(id)).spec.source!.url!;
    expect(url).to.match(new RegExp(`^${gw.url}/image-data/${id}/[0-9a-f]{64}$`));
    const agent = await fetch(url);
    expect(Buffer.from(await agent.arrayBuffer()).equals(data)).to.equal(true);
    expect((await fetch(url.replace(/[0-9a-f]{8}$/, '00000000'))).status).to.equal(404);

    const again = await upload(alice, id, data);
    expect(again.status).to.equal(409);
    expect(await again.text()).to.include('Image status transition from active to saving is not allowed');
  });

  it("refuses a server create from an image that is not active yet (Nova's 400 'Image <id> is not active.')", async () => {
    await createFlavor(gw.gateway.ctx.kube, 'img-test-flavor', { vcpus: 1, ram: 64, disk: 1 });
    const created = await create(alice, { name: 'not-yet', disk_format: 'qcow2', container_format: 'bare' });
    expect(created.status).to.equal(201);
    const id = (created.body as { id: string }).id;
    await eventually('the gateway sees the queued image', async () => (await show(alice, id)).status === 200);
    const r = await gw.call('POST', '/v2.1/servers', {
      token: alice,
      body: { server: { name: 'early', imageRef: id, flavorRef: 'img-test-flavor', networks: 'none' } },
      headers: { 'OpenStack-API-Version': 'compute 2.37' },
    });
    expect(r.status).to.equal(400);
    expect(r.body).to.deep.equal({ badRequest: { code: 400, message: `Image ${id} is not active.` } });
  });

  it("answers bad creates with Glance's 400/403 and policy refusals", async () => {
    const cases: [string, unknown, number, string][] = [
      [alice, { name: 'x', status: 'active' }, 403, "Attribute 'status' is read-only."],
      [alice, { name: 'x', deleted: true }, 403, "Attribute 'deleted' is reserved."],
      [alice, { name: 'x', disk_format: 'floppy' }, 400, "'floppy' is not one of"],
      [alice, { name: 'x', min_ram: -1 }, 400, 'less than the minimum of 0'],
      [alice, { name: 'x', hw_foo: 1 }, 400, "1 is not of type 'string'"],
      [alice, { id: '11111111-2222-3333-4444-555555555555' }, 400, "'id' cannot be given"],
      [alice, { name: 'x', visibility: 'public' }, 403, 'publicize_image'],
      [alice, { name: 'x', owner: 'someone-else' }, 403, "create images owned by 'someone-else'"],
      [carol, { name: 'x' }, 403, 'You are not authorized to complete add_image action.'],
    ];
    for (const [token, body, code, message] of cases) {
      const r = await create(token, body);
      expect(r.status, JSON.stringify(body)).to.equal(code);
      expect(r.body, JSON.stringify(body)).to.include(message);
    }
    const pub = await create(admin, { name: 'pub', visibility: 'public' });
    expect(pub.status).to.equal(201);
    expect(pub.body.visibility).to.equal('public');
  });

  it('patches properties and core attributes with JSON patch, refusing read-only, reserved and core removals', async () => {
    const id = (await create(alice, { name: 'p1', os_distro: 'cirros' })).body.id as string;
    const ok = await patch(alice, id, [
      { op: 'replace', path: '/name', value: 'p2' },
      { op: 'add', path: '/hw_firmware_type', value: 'uefi' },
      { op: 'replace', path: '/os_distro', value: 'debian' },
      { op: 'add', path: '/min_disk', value: 2 },
      { op: 'replace', path: '/disk_format', value: 'raw' },
    ]);
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    expect(ok.body).to.include({
      name: 'p2',
      hw_firmware_type: 'uefi',
      os_distro: 'debian',
      min_disk: 2,
      disk_format: 'raw',
    });
    const removed = await patch(alice, id, [{ op: 'remove', path: '/os_distro' }]);
    expect(removed.status).to.equal(200);
    expect(removed.body).to.not.have.property('os_distro');

    const cases: [unknown, number, string][] = [
      [[{ op: 'remove', path: '/os_distro' }], 409, 'Property os_distro does not exist.'],
      [[{ op: 'replace', path: '/nope', value: 'x' }], 409, 'Property nope does not exist.'],
      [[{ op: 'remove', path: '/name' }], 403, 'Property name may not be removed.'],
      [[{ op: 'replace', path: '/size', value: 1 }], 403, "Attribute 'size' is read-only."],
      [[{ op: 'add', path: '/location', value: 'x' }], 403, "Attribute 'location' is reserved."],
      [[{ op: 'move', path: '/name' }], 400, 'Invalid operation'],
      [[{ op: 'add', path: '/a/b', value: 'x' }], 400, 'Nested paths are not allowed'],
      [{ op: 'add' }, 400, 'JSON array'],
      [[{ op: 'replace', path: '/visibility', value: 'public' }], 403, 'publicize_image'],
    ];
    for (const [ops, code, message] of cases) {
      const r = await patch(alice, id, ops);
      expect(r.status, JSON.stringify(ops)).to.equal(code);
      expect(r.body, JSON.stringify(ops)).to.include(message);
    }
    expect((await patch(alice, id, [], 'application/json')).status).to.equal(415);
    // Another project's member cannot see a shared image of project-a: 404.
    expect((await patch(bob, id, [{ op: 'replace', path: '/name', value: 'x' }])).status).to.equal(404);

    // Formats can only change while queued.
    await upload(alice, id, Buffer.from('raw disk'));
    const late = await patch(alice, id, [{ op: 'replace', path: '/disk_format', value: 'qcow2' }]);
    expect(late.status).to.equal(403);
    expect(late.body).to.include('can be only replaced for a queued image');
  });

  it('adds and removes tags; a public image of another owner is read-only to a member', async () => {
    const id = (await create(alice, { name: 't1' })).body.id as string;
    expect((await gw.call('PUT', `/image/v2/images/${id}/tags/blue`, { token: alice })).status).to.equal(204);
    expect((await show(alice, id)).body.tags).to.deep.equal(['blue']);
    expect((await gw.call('DELETE', `/image/v2/images/${id}/tags/blue`, { token: alice })).status).to.equal(
      204,
    );
    expect((await gw.call('DELETE', `/image/v2/images/${id}/tags/blue`, { token: alice })).status).to.equal(
      404,
    );
    const pub = (await create(admin, { name: 'admins', visibility: 'public' })).body.id as string;
    const r = await patch(alice, pub, [{ op: 'replace', path: '/name', value: 'mine' }]);
    expect(r.status).to.equal(403);
    expect((await gw.call('DELETE', `/image/v2/images/${pub}`, { token: alice })).status).to.equal(403);
  });

  it('shares an image with a member project: pending (readable, not listed), accepted (listed), removed', async () => {
    const id = (await create(alice, { name: 'shared-1', visibility: 'shared' })).body.id as string;
    const members = `/image/v2/images/${id}/members`;
    const listed = async (token: string, q = '') =>
      ((await gw.call('GET', `/image/v2/images${q}`, { token })).body.images as { id: string }[]).map(
        (i) => i.id,
      );
    expect((await show(bob, id)).status).to.equal(404);
    const added = await gw.call('POST', members, { token: alice, body: { member: projectB } });
    expect(added.status).to.equal(200);
    expect(added.body).to.include({ image_id: id, member_id: projectB, status: 'pending' });
    expect((await gw.call('POST', members, { token: alice, body: { member: projectB } })).status).to.equal(
      409,
    );
    expect((await show(bob, id)).status).to.equal(200);
    expect(await listed(bob)).to.not.include(id);
    expect(await listed(bob, '?member_status=pending')).to.include(id);
    // Only the member decides its status; only the owner adds members.
    const byOwner = await gw.call('PUT', `${members}/${projectB}`, {
      token: alice,
      body: { status: 'accepted' },
    });
    expect(byOwner.status).to.equal(403);
    expect((await gw.call('POST', members, { token: bob, body: { member: projectA } })).status).to.equal(403);
    const accepted = await gw.call('PUT', `${members}/${projectB}`, {
      token: bob,
      body: { status: 'accepted' },
    });
    expect(accepted.status).to.equal(200);
    expect(accepted.body.status).to.equal('accepted');
    expect(await listed(bob)).to.include(id);
    expect((await gw.call('GET', members, { token: alice })).body.members).to.have.length(1);
    expect((await gw.call('DELETE', `${members}/${projectB}`, { token: alice })).status).to.equal(204);
    expect((await show(bob, id)).status).to.equal(404);
    const priv = (await create(alice, { name: 'private-1', visibility: 'private' })).body.id as string;
    const refused = await gw.call('POST', `/image/v2/images/${priv}/members`, {
      token: alice,
      body: { member: projectB },
    });
    expect(refused.status).to.equal(403);
    expect(refused.body).to.include('Only shared images have members.');
  });

  it('deactivates (data download forbidden to non-admins) and reactivates an image', async () => {
    const id = (await create(alice, { name: 'd1' })).body.id as string;
    const queuedDeactivate = await gw.call('POST', `/image/v2/images/${id}/actions/deactivate`, {
      token: alice,
    });
    expect(queuedDeactivate.status).to.equal(403);
    await upload(alice, id, Buffer.from('data'));
    expect(
      (await gw.call('POST', `/image/v2/images/${id}/actions/deactivate`, { token: alice })).status,
    ).to.equal(204);
    expect((await show(alice, id)).body.status).to.equal('deactivated');
    const refused = await gw.call('GET', `/image/v2/images/${id}/file`, { token: alice });
    expect(refused.status).to.equal(403);
    expect((await gw.call('GET', `/image/v2/images/${id}/file`, { token: admin })).body).to.equal('data');
    expect(
      (await gw.call('POST', `/image/v2/images/${id}/actions/reactivate`, { token: alice })).status,
    ).to.equal(204);
    expect((await show(alice, id)).body.status).to.equal('active');
  });

  it('refuses to delete a protected image; deleting removes the record and its data', async () => {
    const id = (await create(alice, { name: 'del', protected: true })).body.id as string;
    await upload(alice, id, Buffer.from('bytes'));
    expect(await storeFiles()).to.include(id);
    const refused = await gw.call('DELETE', `/image/v2/images/${id}`, { token: alice });
    expect(refused.status).to.equal(403);
    expect(refused.body).to.include(`Image ${id} is protected and cannot be deleted.`);
    expect((await patch(alice, id, [{ op: 'replace', path: '/protected', value: false }])).status).to.equal(
      200,
    );
    expect((await gw.call('DELETE', `/image/v2/images/${id}`, { token: alice })).status).to.equal(204);
    expect((await show(alice, id)).status).to.equal(404);
    expect(await storeFiles()).to.not.include(id);
  });

  it('answers 413 over the size cap and puts the image back to queued with no file left', async () => {
    const id = (await create(alice, { name: 'big' })).body.id as string;
    const res = await upload(alice, id, randomBytes(MAX + 4096)).catch(() => undefined);
    if (res) expect(res.status).to.equal(413);
    await eventually('queued again', async () => (await show(alice, id)).body.status === 'queued');
    expect((await storeFiles()).filter((f) => f.startsWith(id))).to.deep.equal([]);
    // and it can be uploaded again
    expect((await upload(alice, id, Buffer.from('small'))).status).to.equal(204);
  });

  it('puts the image back to queued when the client goes away mid-upload, leaving no part file', async () => {
    const id = (await create(alice, { name: 'cut' })).body.id as string;
    const { hostname, port } = new URL(gw.url);
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: hostname,
        port,
        method: 'PUT',
        path: `/image/v2/images/${id}/file`,
        headers: {
          'X-Auth-Token': alice,
          'Content-Type': 'application/octet-stream',
          'Content-Length': '100000',
        },
      });
      req.on('error', () => resolve());
      req.write(randomBytes(50_000));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 500);
    });
    await eventually('queued again', async () => (await show(alice, id)).body.status === 'queued');
    expect((await storeFiles()).filter((f) => f.startsWith(id))).to.deep.equal([]);
  });

  describe('web-download import', () => {
    let web: HttpServer;
    let webUrl: string;
    const payload = randomBytes(200_000);
    before(async () => {
      web = createServer((req, res) => {
        if (req.url === '/disk.qcow2') res.writeHead(200).end(payload);
        else res.writeHead(404).end();
      });
      await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
      webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}`;
    });
    after(() => web?.close());

    it('lists web-download in /v2/info/import and imports from an HTTP URL: importing → active', async () => {
      const info = await gw.call('GET', '/image/v2/info/import', { token: alice });
      expect(info.body['import-methods'].value).to.deep.equal(['web-download']);
      const id = (await create(alice, { name: 'web' })).body.id as string;
      const r = await gw.call('POST', `/image/v2/images/${id}/import`, {
        token: alice,
        body: { method: { name: 'web-download', uri: `${webUrl}/disk.qcow2` } },
      });
      expect(r.status).to.equal(202);
      const active = await eventually('imported', async () => {
        const b = (await show(alice, id)).body;
        return b.status === 'active' && b;
      });
      expect(active).to.include({ size: payload.length, checksum: md5(payload) });
      const again = await gw.call('POST', `/image/v2/images/${id}/import`, {
        token: alice,
        body: { method: { name: 'web-download', uri: `${webUrl}/disk.qcow2` } },
      });
      expect(again.status).to.equal(409);
    });

    it('puts a failed import back to queued with the reason on the Image', async () => {
      const id = (await create(alice, { name: 'web-404' })).body.id as string;
      const r = await gw.call('POST', `/image/v2/images/${id}/import`, {
        token: alice,
        body: { method: { name: 'web-download', uri: `${webUrl}/missing` } },
      });
      expect(r.status).to.equal(202);
      const img = await eventually('failed', async () => {
        const i = await imageObject(id);
        return i.status?.conditions?.some((c) => c.type === 'ImportFailed') && i;
      });
      expect(img.status?.phase).to.equal('queued');
      expect(img.status?.conditions?.[0]?.message).to.include('404');
      const bad = await gw.call('POST', `/image/v2/images/${id}/import`, {
        token: alice,
        body: { method: { name: 'web-download', uri: 'ftp://x/y' } },
      });
      expect(bad.status).to.equal(400);
    });
  });

  it("a snapshot (createImage) reaches the store through the agent's signed upload; a refused upload deletes the Image", async () => {
    const secret = await readFile(join(storeDir, '.secret'));
    const kube = gw.gateway.ctx.kube;
    const server = {
      metadata: { name: 'vm', namespace: 'project-a', uid: '0f0e0d0c-0000-4000-8000-00000000abcd' },
      spec: { name: 'vm' },
      status: { flavor: { disk: 1 }, image: { id: 'base-id', name: 'base' } },
    } as unknown as Server;
    const data = randomBytes(50_000);
    const file = join(storeDir, '..', `snap-${Date.now()}.qcow2`);
    await writeFile(file, data);
    const upload = (access: { url: string; secret: Buffer }) => (img: Image, f: string) =>
      uploadImageData(access, img.metadata.uid!, f);
    await createSnapshotImage(
      kube,
      server,
      'snap1',
      { a: 'b' },
      data.length,
      md5(data),
      file,
      upload({ url: gw.url, secret }),
    );
    const snap = (await kube.list<Image>(collectionPath(IMAGES))).items.find((i) => i.spec.name === 'snap1')!;
    expect(snap.status).to.include({ phase: 'active', size: data.length, checksum: md5(data) });
    expect(snap.spec.properties).to.include({
      image_type: 'snapshot',
      instance_uuid: server.metadata.uid,
      a: 'b',
    });
    expect(snap.spec.source?.url).to.match(new RegExp(`/image-data/${snap.metadata.uid}/[0-9a-f]{64}$`));
    expect(await storeFiles()).to.include(snap.metadata.uid);
    // The project's members see and manage their snapshot (its owner is the server's namespace).
    const shown = await show(alice, snap.metadata.uid!);
    expect(shown.status).to.equal(200);
    expect(shown.body).to.include({ status: 'active', visibility: 'private', image_type: 'snapshot' });
    expect((await show(bob, snap.metadata.uid!)).status).to.equal(404);
    expect(await stat(file).catch(() => undefined), 'the node-local file is removed').to.equal(undefined);

    await writeFile(file, data);
    let err: unknown;
    await createSnapshotImage(
      kube,
      server,
      'snap2',
      {},
      data.length,
      md5(data),
      file,
      upload({ url: gw.url, secret: Buffer.alloc(32) }),
    ).catch((e: unknown) => (err = e));
    expect(String(err)).to.include('404');
    const left = (await kube.list<Image>(collectionPath(IMAGES))).items.filter(
      (i) => i.spec.name === 'snap2',
    );
    expect(left).to.deep.equal([]);
    expect(await stat(file).catch(() => undefined)).to.equal(undefined);
  });

  it('after a restart: data of active images survives, saving/importing images are queued again, part and orphan files are gone', async () => {
    const keep = (await create(alice, { name: 'survivor' })).body.id as string;
    const data = randomBytes(10_000);
    await upload(alice, keep, data);
    // A crash mid-upload: the Image says saving, a part file is on disk.
    const crashed = (await create(alice, { name: 'crashed' })).body.id as string;
    const obj = await imageObject(crashed);
    await replaceStatus(gw.gateway.ctx.kube, IMAGES, obj, { phase: 'saving' });
    await writeFile(join(storeDir, `${crashed}.part`), 'half');
    // A crash between the rename and the status write, and data whose Image was deleted.
    await writeFile(join(storeDir, crashed), 'whole but never active');
    const orphan = '99999999-8888-7777-6666-555555555555';
    await writeFile(join(storeDir, orphan), 'orphan');

    await gw.close();
    gw = await boot();
    alice = await gw.token('alice', 'pw-a', 'project-a');
    expect((await show(alice, crashed)).body.status).to.equal('queued');
    const files = await storeFiles();
    expect(files).to.include(keep);
    expect(files.filter((f) => f.startsWith(crashed) || f === orphan)).to.deep.equal([]);
    const down = await fetch(`${gw.url}/image/v2/images/${keep}/file`, {
      headers: { 'X-Auth-Token': alice },
    });
    expect(Buffer.from(await down.arrayBuffer()).equals(data)).to.equal(true);
    // The old data URL still works (the signing secret is kept in the store).
    const url = (await imageObject(keep)).spec.source!.url!;
    const path = new URL(url).pathname;
    expect((await fetch(gw.url + path)).status).to.equal(200);
    await gw.gateway.ctx.kube.delete(objectPath(IMAGES, (await imageObject(keep)).metadata.name!));
  });
});
