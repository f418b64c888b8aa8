// Nova's removed APIs, deprecated proxies and small routes, through the gateway on a real
// apiserver: 410 bodies, images and image metadata from Image objects, what Kova answers without
// Neutron/Cinder/Ironic, /extensions, console-auth tokens, assisted volume snapshots and the
// aggregate image cache request.
import { expect } from 'chai';
import type { Image } from '../../../operator/src/api/v1alpha1/index.ts';
import { IMAGES } from '../../../operator/src/controllers/server.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
import { KubeError } from '../../../operator/src/kube/client.ts';
import { createImage, eventually } from '../../../e2e/harness/fixtures.ts';
import type { TestGateway } from '../../../e2e/harness/gateway.ts';
import type { OperatorSuite } from '../../../e2e/harness/suite.ts';
import { type ServersSuite, startServersSuite } from '../servers/testsuite.ts';
import { EXTENSIONS } from './extensionlist.ts';
import { GONE_MESSAGE } from './removed.ts';

const v = (version: string) => ({ 'OpenStack-API-Version': `compute ${version}` });

describe('Removed APIs, deprecated proxies and small compute routes (gateway on a real apiserver)', function () {
  this.timeout(240_000);
  let world: ServersSuite;
  let suite: OperatorSuite;
  let gw: TestGateway;
  let admin: string;
  let member: string;
  let imageId: string;

  before(async () => {
    world = await startServersSuite();
    ({ suite, gw } = world);
    admin = await gw.token('admin', 'secret', 'admin');
    await gw.addUser('mia', 'mia-pw', 'project-m', 'member');
    member = await gw.token('mia', 'mia-pw', 'project-m');
    const images = await suite.client.list<Image>(collectionPath(IMAGES));
    imageId = images.items[0]!.metadata.uid!;
  });
  after(async () => {
    await world?.stop();
  });

  const call = (method: string, path: string, body?: unknown, version = '2.1', token = admin) =>
    gw.call(method, `/v2.1${path}`, { token, body, headers: v(version) });
  const kubeImage = async (uid: string) =>
    (await suite.client.list<Image>(collectionPath(IMAGES))).items.find((i) => i.metadata.uid === uid);

  describe('removed APIs', () => {
    it("answer 410 computeFault with webob's explanation at any microversion, for anyone, whatever the body", async () => {
      for (const [method, path, token] of [
        ['GET', '/os-agents', admin],
        ['POST', '/os-cells/sync_instances', member],
        ['GET', '/os-floating-ip-dns/example.org/entries/host1', member],
        ['POST', '/os-networks/net-1/action', admin],
        ['DELETE', '/os-tenant-networks/net-1', member],
        ['GET', `/servers/${imageId}/consoles`, member],
      ] as const) {
        for (const version of ['2.1', '2.93']) {
          const res = await call(method, path, method === 'POST' ? { any: 1 } : undefined, version, token);
          expect(res.status, `${method} ${path}`).to.equal(410);
          expect(res.body).to.deep.equal({ computeFault: { code: 410, message: GONE_MESSAGE } });
          expect(res.headers.get('content-type')).to.equal('application/json; charset=UTF-8');
          expect(res.headers.get('openstack-api-version')).to.equal(`compute ${version}`);
        }
      }
    });

    it('answer the resetNetwork action 410 before looking the server up', async () => {
      const res = await call('POST', '/servers/no-such-server/action', { resetNetwork: null });
      expect(res.status).to.equal(410);
      expect(res.body.computeFault.message).to.equal(GONE_MESSAGE);
    });
  });

  describe('images proxy (≤2.35) from Image objects', () => {
    it("lists id, name and links (self, bookmark, Glance's alternate) and shows Nova's image detail", async () => {
      const list = await call('GET', '/images');
      expect(list.status).to.equal(200);
      const entry = list.body.images.find((i: { id: string }) => i.id === imageId);
      expect(entry).to.have.all.keys('id', 'name', 'links');
      expect(entry.name).to.equal('cirros');
      expect(entry.links.map((l: { rel: string }) => l.rel)).to.deep.equal(['self', 'bookmark', 'alternate']);
      expect(entry.links[2]).to.deep.equal({
        rel: 'alternate',
        type: 'application/vnd.openstack.image',
        href: `${gw.url}/image/images/${imageId}`,
      });
      const show = await call('GET', `/images/${imageId}`, undefined, '2.35');
      expect(show.status).to.equal(200);
      expect(show.body.image).to.have.all.keys(
        'id',
        'name',
        'minRam',
        'minDisk',
        'metadata',
        'created',
        'updated',
        'status',
        'progress',
        'OS-EXT-IMG-SIZE:size',
        'links',
      );
      expect(show.body.image.created).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const detail = await call('GET', '/images/detail?limit=1');
      expect(detail.body.images).to.have.length(1);
      expect(detail.body.images_links[0].href).to.match(/\/v2\.1\/images\/detail\?limit=1&marker=/);
    });

    it('is gone from 2.36 (404), and an unknown image is "Image not found."', async () => {
      expect((await call('GET', '/images', undefined, '2.36')).status).to.equal(404);
      const missing = await call('GET', '/images/00000000-0000-4000-8000-000000000000');
      expect(missing.status).to.equal(404);
      expect(missing.body.itemNotFound.message).to.equal('Image not found.');
    });

    it("metadata (≤2.38) reads and writes the Image's properties", async () => {
      const created = await call(
        'POST',
        `/images/${imageId}/metadata`,
        { metadata: { os_distro: 'cirros' } },
        '2.38',
      );
      expect(created.status).to.equal(200);
      expect(created.body.metadata).to.include({ os_distro: 'cirros' });
      expect((await kubeImage(imageId))?.spec.properties).to.include({ os_distro: 'cirros' });
      const one = await call('PUT', `/images/${imageId}/metadata/hw_disk_bus`, {
        meta: { hw_disk_bus: 'virtio' },
      });
      expect(one.body).to.deep.equal({ meta: { hw_disk_bus: 'virtio' } });
      const show = await call('GET', `/images/${imageId}/metadata/hw_disk_bus`);
      expect(show.body).to.deep.equal({ meta: { hw_disk_bus: 'virtio' } });
      const mismatch = await call('PUT', `/images/${imageId}/metadata/a`, { meta: { b: '1' } });
      expect(mismatch.body.badRequest.message).to.equal('Request body and URI mismatch');
      expect((await call('DELETE', `/images/${imageId}/metadata/hw_disk_bus`)).status).to.equal(204);
      const gone = await call('DELETE', `/images/${imageId}/metadata/hw_disk_bus`);
      expect(gone.body.itemNotFound.message).to.equal('Invalid metadata key');
      const all = await call('PUT', `/images/${imageId}/metadata`, { metadata: { os_distro: 'linux' } });
      expect(all.body).to.deep.equal({ metadata: { os_distro: 'linux' } });
      expect((await kubeImage(imageId))?.spec.properties).to.deep.equal({ os_distro: 'linux' });
      expect((await call('GET', `/images/${imageId}/metadata`)).body).to.deep.equal({
        metadata: { os_distro: 'linux' },
      });
      expect((await call('GET', `/images/${imageId}/metadata`, undefined, '2.39')).status).to.equal(404);
    });

    it("a member may not change a public image (Glance's 403), the Image unchanged", async () => {
      const res = await call('POST', `/images/${imageId}/metadata`, { metadata: { x: 'y' } }, '2.1', member);
      expect(res.status).to.equal(403);
      expect((await kubeImage(imageId))?.spec.properties).to.not.have.property('x');
    });

    it('delete removes the Image object (204)', async () => {
      await createImage(suite.client, 'scratch');
      const img = await eventually('scratch image', async () =>
        (await suite.client.list<Image>(collectionPath(IMAGES))).items.find(
          (i) => i.metadata.name === 'scratch',
        ),
      );
      const res = await call('DELETE', `/images/${img.metadata.uid}`);
      expect(res.status).to.equal(204);
      const err = await suite.client.get(objectPath(IMAGES, 'scratch')).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(KubeError);
      expect((err as KubeError).code).to.equal(404);
    });
  });

  describe('proxies without Neutron, Cinder or Ironic', () => {
    it('answer empty collections, 404 for any id and Nova’s messages for creates', async () => {
      expect((await call('GET', '/os-networks', undefined, '2.35', member)).body).to.deep.equal({
        networks: [],
      });
      expect((await call('GET', '/os-tenant-networks/net')).body.itemNotFound.message).to.equal(
        'Network not found',
      );
      expect((await call('GET', '/os-floating-ip-pools', undefined, '2.1', member)).body).to.deep.equal({
        floating_ip_pools: [],
      });
      const fip = await call('POST', '/os-floating-ips', { pool: 'public' }, '2.1', member);
      expect(fip.status).to.equal(404);
      expect(fip.body.itemNotFound.message).to.equal('No more floating IPs in pool public.');
      expect((await call('GET', '/os-volumes/detail')).body).to.deep.equal({ volumes: [] });
      expect((await call('GET', '/os-snapshots/s1')).body.itemNotFound.message).to.equal(
        'Snapshot s1 could not be found.',
      );
      const sg = await call('POST', '/os-security-groups', {}, '2.1', member);
      expect(sg.body.badRequest.message).to.equal("The request body can't be empty");
      const node = await call('POST', '/os-baremetal-nodes', { node: {} }, '2.1', member);
      expect(node.body.badRequest.message).to.equal(
        'Command Not supported. Please use Ironic command node-create to perform this action.',
      );
      expect((await call('GET', '/os-volumes', undefined, '2.36')).status).to.equal(404);
    });

    it('keeps Nova’s policies: baremetal reads are admin-only', async () => {
      const res = await call('GET', '/os-baremetal-nodes', undefined, '2.1', member);
      expect(res.status).to.equal(403);
      expect(res.body.forbidden.message).to.equal(
        "Policy doesn't allow os_compute_api:os-baremetal-nodes:list to be performed.",
      );
      expect((await call('GET', '/os-baremetal-nodes')).body).to.deep.equal({ nodes: [] });
    });
  });

  describe('extensions, console tokens, assisted volume snapshots, aggregate images', () => {
    it("lists Nova's extensions and shows one by alias", async () => {
      const list = await call('GET', '/extensions', undefined, '2.1', member);
      expect(list.body.extensions).to.have.length(EXTENSIONS.length);
      const show = await call('GET', '/extensions/os-keypairs', undefined, '2.1', member);
      expect(show.body).to.deep.equal({
        extension: {
          alias: 'os-keypairs',
          description: 'Keypair Support.',
          links: [],
          name: 'Keypairs',
          namespace: 'http://docs.openstack.org/compute/ext/fake_xml',
          updated: '2014-12-03T00:00:00Z',
        },
      });
      expect((await call('GET', '/extensions/nope')).status).to.equal(404);
    });

    it('console auth tokens are admin-only and unknown to Kova', async () => {
      const res = await call('GET', '/os-console-auth-tokens/abc');
      expect(res.status).to.equal(404);
      expect(res.body.itemNotFound.message).to.equal('Token not found');
      expect((await call('GET', '/os-console-auth-tokens/abc', undefined, '2.1', member)).status).to.equal(
        403,
      );
    });

    it('assisted volume snapshots: the schema, then no block device mapping for the volume', async () => {
      const bad = await call('POST', '/os-assisted-volume-snapshots', { snapshot: {} });
      expect(bad.status).to.equal(400);
      const res = await call('POST', '/os-assisted-volume-snapshots', {
        snapshot: { volume_id: 'vol-1', create_info: { snapshot_id: 's', type: 'qcow2', new_file: 'f' } },
      });
      expect(res.body.badRequest.message).to.equal('No volume Block Device Mapping with id vol-1.');
      expect((await call('DELETE', '/os-assisted-volume-snapshots/s')).body.badRequest.message).to.equal(
        "'delete_info'",
      );
      const del = await call(
        'DELETE',
        `/os-assisted-volume-snapshots/s?delete_info=${encodeURIComponent('{"volume_id": "vol-2"}')}`,
      );
      expect(del.body.badRequest.message).to.equal('No volume Block Device Mapping with id vol-2.');
      expect(
        (await call('DELETE', '/os-assisted-volume-snapshots/s?x=1', undefined, '2.75')).status,
      ).to.equal(400);
    });

    it('aggregate image cache requests (2.81): accepted for an aggregate, Nova’s 400s and 404s', async () => {
      const agg = await call('POST', '/os-aggregates', { aggregate: { name: 'cache-agg' } });
      const id = agg.body.aggregate.id;
      const body = { cache: [{ id: imageId }] };
      expect((await call('POST', `/os-aggregates/${id}/images`, body, '2.80')).status).to.equal(404);
      const ok = await call('POST', `/os-aggregates/${id}/images`, body, '2.81');
      expect(ok.status).to.equal(202);
      expect(ok.body).to.equal(undefined);
      const dup = await call(
        'POST',
        `/os-aggregates/${id}/images`,
        { cache: [{ id: imageId }, { id: imageId }] },
        '2.81',
      );
      expect(dup.body.badRequest.message).to.equal('Duplicate images in request');
      const missing = await call('POST', '/os-aggregates/424242/images', body, '2.81');
      expect(missing.body.itemNotFound.message).to.equal('Aggregate 424242 could not be found.');
      expect(
        (await call('POST', '/os-aggregates/abc/images', body, '2.81')).body.badRequest.message,
      ).to.equal('Invalid input received: id must be an integer');
      expect((await call('POST', `/os-aggregates/${id}/images`, body, '2.81', member)).status).to.equal(403);
    });
  });
});
