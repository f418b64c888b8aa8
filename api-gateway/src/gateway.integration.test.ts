// The gateway on a real apiserver: tenancy (Kubernetes RBAC is the last word), read-your-writes,
// and Nova's 400 for every broken input a route can get.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { API_VERSION } from '../../operator/src/api/kind.ts';
import { FLAVORS, IMAGES, SERVERS } from '../../operator/src/controllers/server.ts';
import { KEYPAIRS } from '../../operator/src/controllers/keypair.ts';
import { PROJECT_QUOTAS } from '../../operator/src/controllers/projectquota.ts';
import { KubeError, type KubeObject } from '../../operator/src/kube/client.ts';
import { collectionPath } from '../../operator/src/kube/resources.ts';
import { ControlPlane } from '../../e2e/harness/controlplane.ts';
import { eventually } from '../../e2e/harness/fixtures.ts';
import { type TestGateway, startGateway } from '../../e2e/harness/gateway.ts';
import type { Principal } from './context.ts';
import { validateToken } from './identity/auth.ts';

const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGXhFQ9S6FXRzBLf0Vgvw3jDvqfKOxI6eHO+/W2iVDAY test@kova';

describe('Nova API gateway on a real apiserver', function () {
  this.timeout(120_000);
  let cp: ControlPlane;
  let gw: TestGateway;
  let adminToken: string;
  let alice: string; // member of project-a
  let bob: string; // member of project-b
  let carol: string; // reader of project-a
  let bobIds: { userId: string; projectId: string };
  let aliceIds: { userId: string; projectId: string };
  const mv = (v: string) => ({ 'OpenStack-API-Version': `compute ${v}` });
  const principalOf = (token: string): Principal =>
    validateToken(gw.gateway.ctx.identity, token, Date.now())!.principal!;

  before(async () => {
    cp = await ControlPlane.start();
    gw = await startGateway(cp, { bootstrap: { user: 'admin', password: 'secret', project: 'admin' } });
    aliceIds = await gw.addUser('alice', 'pw-a', 'project-a', 'member');
    bobIds = await gw.addUser('bob', 'pw-b', 'project-b', 'member');
    await gw.addUser('carol', 'pw-c', 'project-a', 'reader');
    adminToken = await gw.token('admin', 'secret', 'admin');
    alice = await gw.token('alice', 'pw-a', 'project-a');
    bob = await gw.token('bob', 'pw-b', 'project-b');
    carol = await gw.token('carol', 'pw-c', 'project-a');
  });
  after(async () => {
    await gw?.close();
    await cp?.stop();
  });

  describe('tenancy', () => {
    it("answers a member's admin-only calls with Nova's policy 403", async () => {
      const calls: [string, string, unknown, string][] = [
        [
          'POST',
          '/v2.1/flavors',
          { flavor: { name: 'x', ram: 1, vcpus: 1, disk: 0 } },
          'os-flavor-manage:create',
        ],
        ['DELETE', '/v2.1/flavors/anything', undefined, 'os-flavor-manage:delete'],
        ['GET', '/v2.1/flavors/anything/os-flavor-access', undefined, 'os-flavor-access'],
        [
          'POST',
          '/v2.1/flavors/anything/os-extra_specs',
          { extra_specs: { a: 'b' } },
          'os-flavor-extra-specs:create',
        ],
      ];
      for (const [method, path, body, action] of calls) {
        const res = await gw.call(method, path, { token: alice, body });
        expect(res.status, `${method} ${path}`).to.equal(403);
        expect(res.body).to.deep.equal({
          forbidden: { code: 403, message: `Policy doesn't allow os_compute_api:${action} to be performed.` },
        });
      }
      const other = await gw.call('GET', `/v2.1/os-keypairs?user_id=${bobIds.userId}`, {
        token: alice,
        headers: mv('2.10'),
      });
      expect(other.status).to.equal(403);
    });

    it("gives 404 for project B's private flavor and image, and B's user's keypair, to a member of project A", async () => {
      const created = await gw.call('POST', '/v2.1/flavors', {
        token: adminToken,
        body: {
          flavor: {
            name: 'b-only',
            id: 'b-only',
            ram: 64,
            vcpus: 1,
            disk: 0,
            'os-flavor-access:is_public': false,
          },
        },
      });
      expect(created.status).to.equal(200);
      const access = await gw.call('POST', '/v2.1/flavors/b-only/action', {
        token: adminToken,
        body: { addTenantAccess: { tenant: bobIds.projectId } },
      });
      expect(access.body).to.deep.equal({
        flavor_access: [{ flavor_id: 'b-only', tenant_id: bobIds.projectId }],
      });
      expect((await gw.call('GET', '/v2.1/flavors/b-only', { token: bob })).status).to.equal(200);
      const hidden = await gw.call('GET', '/v2.1/flavors/b-only', { token: alice });
      expect(hidden.status).to.equal(404);
      expect(hidden.body.itemNotFound.message).to.equal('Flavor b-only could not be found.');
      const listed = await gw.call('GET', '/v2.1/flavors', { token: alice });
      expect(listed.body.flavors.map((f: { id: string }) => f.id)).not.to.include('b-only');

      // Written past the gateway (as kubectl would): wait for the gateway's cache to see it.
      const image = await gw.gateway.ctx.kube.create(collectionPath(IMAGES), {
        apiVersion: API_VERSION,
        kind: 'Image',
        metadata: { name: 'b-private' },
        spec: {
          name: 'b-private',
          visibility: 'private',
          owner: bobIds.projectId,
          source: { nodePath: '/x.qcow2' },
        },
      });
      await (await gw.gateway.ctx.caches.get(IMAGES)).observe(image as KubeObject);
      const images = await gw.call('GET', '/image/v2/images?name=b-private', { token: bob });
      const id = images.body.images[0].id as string;
      expect((await gw.call('GET', `/image/v2/images/${id}`, { token: bob })).status).to.equal(200);
      expect((await gw.call('GET', `/image/v2/images/${id}`, { token: alice })).status).to.equal(404);
      const aliceSees = (await gw.call('GET', '/image/v2/images', { token: alice })).body.images;
      expect(aliceSees.map((i: { name: string }) => i.name)).not.to.include('b-private');

      const kp = await gw.call('POST', '/v2.1/os-keypairs', {
        token: bob,
        body: { keypair: { name: 'bobkey', public_key: SSH_KEY } },
      });
      expect(kp.status).to.equal(200);
      expect((await gw.call('GET', '/v2.1/os-keypairs/bobkey', { token: alice })).status).to.equal(404);
      const admin = await gw.call('GET', `/v2.1/os-keypairs/bobkey?user_id=${bobIds.userId}`, {
        token: adminToken,
        headers: mv('2.10'),
      });
      expect(admin.body.keypair).to.include({ name: 'bobkey', user_id: bobIds.userId });
    });

    it("has the apiserver itself refuse the impersonated user's calls outside their rights", async () => {
      const refused = async (call: Promise<unknown>) => {
        const err = await call.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(KubeError);
        expect((err as KubeError).code).to.equal(403);
      };
      const asAlice = gw.gateway.ctx.clientFor(principalOf(alice));
      const asCarol = gw.gateway.ctx.clientFor(principalOf(carol));
      // A flavor is admin-only: RBAC refuses the member, whatever the gateway checked before.
      await refused(
        asAlice.create(collectionPath(FLAVORS), {
          apiVersion: API_VERSION,
          kind: 'Flavor',
          metadata: { name: 'sneaky' },
          spec: { name: 'sneaky', ram: 1, vcpus: 1, disk: 0 },
        }),
      );
      // Project B's namespace is not project A's member's.
      await refused(asAlice.list(collectionPath(SERVERS, 'project-b')));
      await asAlice.list(collectionPath(SERVERS, 'project-a'));
      // A reader may read but not write the project's servers.
      await asCarol.list(collectionPath(SERVERS, 'project-a'));
      await refused(
        asCarol.create(collectionPath(SERVERS, 'project-a'), {
          apiVersion: API_VERSION,
          kind: 'Server',
          metadata: { name: 'nope' },
          spec: {},
        }),
      );
      // A keypair can only be written for oneself (the admission policy, not the gateway, says so).
      await refused(
        asAlice.create(collectionPath(KEYPAIRS), {
          apiVersion: API_VERSION,
          kind: 'Keypair',
          metadata: { name: 'forged' },
          spec: { name: 'forged', user: bobIds.userId, type: 'ssh', publicKey: SSH_KEY },
        }),
      );
      await asAlice.create(collectionPath(KEYPAIRS), {
        apiVersion: API_VERSION,
        kind: 'Keypair',
        metadata: { name: 'own' },
        spec: { name: 'own', user: aliceIds.userId, type: 'ssh', publicKey: SSH_KEY },
      });
    });

    it('checks cached reads with SubjectAccessReviews, asked once per user, verb and namespace for a while', async () => {
      const authz = gw.gateway.ctx.authorizer;
      const p = principalOf(alice);
      expect(await authz.allowed(p.kube, 'list', SERVERS, 'project-a')).to.equal(true);
      expect(await authz.allowed(p.kube, 'list', SERVERS, 'project-b')).to.equal(false);
      const before = authz.reviews;
      for (let i = 0; i < 5; i++) await gw.call('GET', '/v2.1/flavors/detail', { token: alice });
      expect(authz.reviews - before).to.be.at.most(1);
    });
  });

  it("serves compute routes under /v2.1/{project_id} too, refusing another project's id with Nova's 400", async () => {
    await gw.call('POST', '/v2.1/flavors', {
      token: adminToken,
      body: { flavor: { name: 'public-one', id: 'public-one', ram: 64, vcpus: 1, disk: 0 } },
    });
    const res = await gw.call('GET', `/v2.1/${aliceIds.projectId}/flavors/detail`, { token: alice });
    expect(res.status).to.equal(200);
    const self = res.body.flavors[0].links[0].href as string;
    expect(self).to.equal(`${gw.url}/v2.1/${aliceIds.projectId}/flavors/${res.body.flavors[0].id}`);
    const other = await gw.call('GET', `/v2.1/${bobIds.projectId}/flavors`, { token: alice });
    expect(other.status).to.equal(400);
    expect(other.body.badRequest.message).to.equal(
      `Malformed request URL: URL's project_id '${bobIds.projectId}' doesn't match Context's project_id '${aliceIds.projectId}'`,
    );
    const unauthenticated = await gw.call('GET', '/v2.1/flavors');
    expect(unauthenticated.status).to.equal(401);
    expect(unauthenticated.headers.get('www-authenticate')).to.equal(`Keystone uri="${gw.url}/identity"`);
  });

  it('reads its own writes: a created flavor is shown at once, a deleted one is gone at once', async () => {
    for (let i = 0; i < 5; i++) {
      const id = `ryw-${i}`;
      const created = await gw.call('POST', '/v2.1/flavors', {
        token: adminToken,
        body: { flavor: { name: id, id, ram: 64, vcpus: 1, disk: 0 } },
      });
      expect(created.status).to.equal(200);
      expect((await gw.call('GET', `/v2.1/flavors/${id}`, { token: adminToken })).status).to.equal(200);
      const set = await gw.call('POST', `/v2.1/flavors/${id}/os-extra_specs`, {
        token: adminToken,
        body: { extra_specs: { k: 'v' } },
      });
      expect(set.status).to.equal(200);
      const specs = await gw.call('GET', `/v2.1/flavors/${id}/os-extra_specs`, { token: adminToken });
      expect(specs.body).to.deep.equal({ extra_specs: { k: 'v' } });
      const unset = await gw.call('DELETE', `/v2.1/flavors/${id}/os-extra_specs/k`, { token: adminToken });
      expect([unset.status, unset.body]).to.deep.equal([200, undefined]);
      expect(
        (await gw.call('GET', `/v2.1/flavors/${id}/os-extra_specs/k`, { token: adminToken })).status,
      ).to.equal(404);
      expect((await gw.call('DELETE', `/v2.1/flavors/${id}`, { token: adminToken })).status).to.equal(202);
      expect((await gw.call('GET', `/v2.1/flavors/${id}`, { token: adminToken })).status).to.equal(404);
    }
  });

  it('applies concurrent extra spec writes to one flavor without losing any', async () => {
    await gw.call('POST', '/v2.1/flavors', {
      token: adminToken,
      body: { flavor: { name: 'busy', id: 'busy', ram: 64, vcpus: 1, disk: 0 } },
    });
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    const results = await Promise.all(
      keys.map((k) =>
        gw.call('POST', '/v2.1/flavors/busy/os-extra_specs', {
          token: adminToken,
          body: { extra_specs: { [k]: k } },
        }),
      ),
    );
    expect(results.map((r) => r.status)).to.deep.equal(keys.map(() => 200));
    const specs = await gw.call('GET', '/v2.1/flavors/busy/os-extra_specs', { token: adminToken });
    expect(specs.body.extra_specs).to.deep.equal(Object.fromEntries(keys.map((k) => [k, k])));
  });

  it('pages flavors by flavor id with limit and marker, linking the next page', async () => {
    for (const id of ['page-a', 'page-b', 'page-c']) {
      await gw.call('POST', '/v2.1/flavors', {
        token: adminToken,
        body: { flavor: { name: id, id, ram: 64, vcpus: 1, disk: 0 } },
      });
    }
    const page = await gw.call('GET', '/v2.1/flavors?limit=2&marker=page-a', { token: adminToken });
    expect(page.body.flavors.map((f: { id: string }) => f.id)).to.deep.equal(['page-b', 'page-c']);
    expect(page.body.flavors_links).to.deep.equal([
      { rel: 'next', href: `${gw.url}/v2.1/flavors?limit=2&marker=page-c` },
    ]);
    const desc = await gw.call('GET', '/v2.1/flavors?sort_dir=desc&limit=1&marker=page-c', {
      token: adminToken,
    });
    expect(desc.body.flavors.map((f: { id: string }) => f.id)).to.deep.equal(['page-b']);
    const missing = await gw.call('GET', '/v2.1/flavors?marker=page-z', { token: adminToken });
    expect(missing.body).to.deep.equal({ badRequest: { code: 400, message: 'marker [page-z] not found' } });
  });

  it('lists Glance images with filters, sorting and marker pagination', async () => {
    const images = await gw.gateway.ctx.caches.get(IMAGES);
    for (const [name, visibility] of [
      ['img-b', 'public'],
      ['img-a', 'public'],
      ['img-c', 'public'],
      ['img-community', 'community'],
    ] as const) {
      const created = await gw.gateway.ctx.kube.create(collectionPath(IMAGES), {
        apiVersion: API_VERSION,
        kind: 'Image',
        metadata: { name },
        spec: { name, visibility, source: { nodePath: `/${name}.qcow2` } },
      });
      await images.observe(created as KubeObject);
    }
    const first = await gw.call('GET', '/image/v2/images?sort=name:asc&limit=2', { token: alice });
    expect(first.body.images.map((i: { name: string }) => i.name)).to.deep.equal(['img-a', 'img-b']);
    expect(first.body.images[0]).to.include({ status: 'queued', visibility: 'public', disk_format: 'qcow2' });
    expect(first.body.next).to.match(/^\/v2\/images\?sort=name%3Aasc&limit=2&marker=[0-9a-f-]{36}$/);
    const second = await gw.call('GET', `/image${first.body.next}`, { token: alice });
    expect(second.body.images.map((i: { name: string }) => i.name)).to.deep.equal(['img-c']);
    expect(second.body.next).to.equal(undefined);
    const community = await gw.call('GET', '/image/v2/images?visibility=community', { token: alice });
    expect(community.body.images.map((i: { name: string }) => i.name)).to.deep.equal(['img-community']);
    const byName = await gw.call('GET', '/image/v2/images?name=img-c', { token: alice });
    const shown = await gw.call('GET', `/image/v2/images/${byName.body.images[0].id}`, { token: alice });
    expect(shown.body).to.include({ name: 'img-c', self: `/v2/images/${byName.body.images[0].id}` });
  });

  it("imports an x509 certificate with Nova's fingerprint (SHA-1 of the DER, as openssl prints it)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kova-x509-test-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=test',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
      const openssl = execFileSync('openssl', [
        'x509',
        '-noout',
        '-fingerprint',
        '-sha1',
        '-in',
        join(dir, 'cert.pem'),
      ])
        .toString()
        .trim()
        .split('=')[1]!
        .toLowerCase();
      const res = await gw.call('POST', '/v2.1/os-keypairs', {
        token: alice,
        headers: mv('2.2'),
        body: { keypair: { name: 'cert', type: 'x509', public_key: cert } },
      });
      expect(res.status).to.equal(201);
      expect(res.body.keypair).to.include({ type: 'x509', fingerprint: openssl });
      const shown = await gw.call('GET', '/v2.1/os-keypairs/cert', { token: alice, headers: mv('2.2') });
      expect(Object.keys(shown.body.keypair)).to.deep.equal([
        'name',
        'public_key',
        'fingerprint',
        'user_id',
        'created_at',
        'deleted',
        'deleted_at',
        'id',
        'updated_at',
        'type',
      ]);
      const deleted = await gw.call('DELETE', '/v2.1/os-keypairs/cert', { token: alice, headers: mv('2.2') });
      expect(deleted.status).to.equal(204);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("limits a user's keypairs to the project's key_pairs quota with Nova's 403", async () => {
    await gw.addUser('quinn', 'pw-q', 'project-q', 'member');
    const quinn = await gw.token('quinn', 'pw-q', 'project-q');
    const quota = await gw.gateway.ctx.kube.create(collectionPath(PROJECT_QUOTAS, 'project-q'), {
      apiVersion: API_VERSION,
      kind: 'ProjectQuota',
      metadata: { name: 'default', namespace: 'project-q' },
      spec: { keyPairs: 2 },
    });
    await (await gw.gateway.ctx.caches.get(PROJECT_QUOTAS)).observe(quota as KubeObject);
    const create = (name: string) =>
      gw.call('POST', '/v2.1/os-keypairs', {
        token: quinn,
        body: { keypair: { name, public_key: SSH_KEY } },
      });
    expect((await create('q1')).status).to.equal(200);
    expect((await create('q2')).status).to.equal(200);
    const refused = await create('q3');
    expect(refused.status).to.equal(403);
    expect(refused.body).to.deep.equal({
      forbidden: { code: 403, message: 'Quota exceeded, too many key pairs.' },
    });

    // Concurrent creates fill the quota exactly (the recheck as of each create's revision).
    expect((await gw.call('DELETE', '/v2.1/os-keypairs/q1', { token: quinn })).status).to.equal(202);
    expect((await gw.call('DELETE', '/v2.1/os-keypairs/q2', { token: quinn })).status).to.equal(202);
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => create(`burst-${i}`)));
    expect(burst.filter((r) => r.status === 200)).to.have.length(2);
    for (const r of burst.filter((x) => x.status !== 200)) {
      expect(r.body).to.deep.equal({
        forbidden: { code: 403, message: 'Quota exceeded, too many key pairs.' },
      });
    }
    await eventually('the undone keypairs gone', async () => {
      const listed = await gw.call('GET', '/v2.1/os-keypairs', { token: quinn });
      return listed.body.keypairs.length === 2;
    });
  });

  it('generates keypairs up to 2.91 (ssh and x509) and requires public_key from 2.92', async () => {
    const ssh = await gw.call('POST', '/v2.1/os-keypairs', {
      token: alice,
      headers: mv('2.91'),
      body: { keypair: { name: 'gen-ssh' } },
    });
    expect(ssh.status).to.equal(201);
    expect(ssh.body.keypair.private_key).to.match(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(ssh.body.keypair.public_key).to.match(/^ssh-rsa /);
    expect(ssh.body.keypair.fingerprint).to.match(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    const x509 = await gw.call('POST', '/v2.1/os-keypairs', {
      token: alice,
      headers: mv('2.91'),
      body: { keypair: { name: 'gen-x509', type: 'x509' } },
    });
    expect(x509.status).to.equal(201);
    expect(x509.body.keypair.public_key).to.match(/^-----BEGIN CERTIFICATE-----/);
    expect(x509.body.keypair.fingerprint).to.match(/^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    const refused = await gw.call('POST', '/v2.1/os-keypairs', {
      token: alice,
      headers: mv('2.92'),
      body: { keypair: { name: 'gen-new' } },
    });
    expect(refused.status).to.equal(400);
    expect(refused.body.badRequest.message).to.equal(
      "Invalid input for field/attribute keypair. Value: {'name': 'gen-new'}. 'public_key' is a required property",
    );
    const dup = await gw.call('POST', '/v2.1/os-keypairs', {
      token: alice,
      body: { keypair: { name: 'gen-ssh', public_key: SSH_KEY } },
    });
    expect(dup.status).to.equal(409);
    expect(dup.body.conflictingRequest.message).to.equal("Key pair 'gen-ssh' already exists.");
  });

  it('answers every broken body and query value with a 400 in Nova’s format, never a 500', async () => {
    await gw.call('POST', '/v2.1/flavors', {
      token: adminToken,
      body: {
        flavor: {
          name: 'target',
          id: 'target',
          ram: 64,
          vcpus: 1,
          disk: 0,
          'os-flavor-access:is_public': false,
        },
      },
    });
    type Case = [method: string, path: string, body: unknown, version?: string];
    const cases: Case[] = [
      // flavors: create
      ['POST', '/v2.1/flavors', '{not json'],
      ['POST', '/v2.1/flavors', {}],
      ['POST', '/v2.1/flavors', []],
      ['POST', '/v2.1/flavors', { flavor: {} }],
      ['POST', '/v2.1/flavors', { flavor: 'x' }],
      ['POST', '/v2.1/flavors', { flavor: { name: '', ram: 1, vcpus: 1, disk: 0 } }],
      ['POST', '/v2.1/flavors', { flavor: { name: ' lead', ram: 1, vcpus: 1, disk: 0 } }],
      ['POST', '/v2.1/flavors', { flavor: { name: 'a', ram: 0, vcpus: 1, disk: 0 } }],
      ['POST', '/v2.1/flavors', { flavor: { name: 'a', ram: '0', vcpus: 1, disk: 0 } }],
      ['POST', '/v2.1/flavors', { flavor: { name: 'a', ram: 'lots', vcpus: 1, disk: 0 } }],
      ['POST', '/v2.1/flavors', { flavor: { name: 'a', ram: 1, vcpus: -1, disk: 0 } }],
      ['POST', '/v2.1/flavors', { flavor: { name: 'a', ram: 1, vcpus: 1, disk: -1 } }],
      ['POST', '/v2.1/flavors', { flavor: { name: 'a', ram: 2 ** 31, vcpus: 1, disk: 0 } }],
      ['POST', '/v2.1/flavors', { flavor: { name: 'a', ram: 1.5, vcpus: 1, disk: 0 } }],
      ['POST', '/v2.1/flavors', { flavor: { name: 'a', ram: 1, vcpus: 1, disk: 0, id: ' x' } }],
      ['POST', '/v2.1/flavors', { flavor: { name: 'a', ram: 1, vcpus: 1, disk: 0, id: 'a/b' } }],
      ['POST', '/v2.1/flavors', { flavor: { name: 'a', ram: 1, vcpus: 1, disk: 0, rxtx_factor: 0 } }],
      [
        'POST',
        '/v2.1/flavors',
        { flavor: { name: 'a', ram: 1, vcpus: 1, disk: 0, 'os-flavor-access:is_public': 'maybe' } },
      ],
      ['POST', '/v2.1/flavors', { flavor: { name: 'a', ram: 1, vcpus: 1, disk: 0, swap: 'x' } }],
      ['POST', '/v2.1/flavors', { flavor: { name: 'a', ram: 1, vcpus: 1, disk: 0, extra: 1 } }],
      [
        'POST',
        '/v2.1/flavors',
        { flavor: { name: 'a', ram: 1, vcpus: 1, disk: 0, description: 'd' } },
        '2.54',
      ],
      ['POST', '/v2.1/flavors', { flavor: { name: 'a', ram: 1, vcpus: 1, disk: 0, description: 5 } }, '2.55'],
      // flavors: update (2.55)
      ['PUT', '/v2.1/flavors/target', {}, '2.55'],
      ['PUT', '/v2.1/flavors/target', { flavor: {} }, '2.55'],
      ['PUT', '/v2.1/flavors/target', { flavor: { description: 5 } }, '2.55'],
      ['PUT', '/v2.1/flavors/target', { flavor: { description: 'd', name: 'n' } }, '2.55'],
      // flavors: list queries
      ['GET', '/v2.1/flavors?limit=-1', undefined],
      ['GET', '/v2.1/flavors?limit=abc', undefined],
      ['GET', '/v2.1/flavors/detail?sort_key=colour', undefined],
      ['GET', '/v2.1/flavors/detail?sort_dir=up', undefined],
      ['GET', '/v2.1/flavors?is_public=maybe', undefined],
      ['GET', '/v2.1/flavors?minRam=abc', undefined],
      ['GET', '/v2.1/flavors/detail?minDisk=1.5', undefined],
      ['GET', '/v2.1/flavors?marker=missing', undefined],
      ['GET', '/v2.1/flavors?colour=red', undefined, '2.75'],
      // extra specs
      ['POST', '/v2.1/flavors/target/os-extra_specs', {}],
      ['POST', '/v2.1/flavors/target/os-extra_specs', { extra_specs: 'x' }],
      ['POST', '/v2.1/flavors/target/os-extra_specs', { extra_specs: { 'bad/key': 'x' } }],
      ['POST', '/v2.1/flavors/target/os-extra_specs', { extra_specs: { k: { nested: 1 } } }],
      ['POST', '/v2.1/flavors/target/os-extra_specs', { extra_specs: { k: 'x'.repeat(256) } }],
      ['PUT', '/v2.1/flavors/target/os-extra_specs/k', { other: 'v' }],
      ['PUT', '/v2.1/flavors/target/os-extra_specs/k', { k: 'v', j: 'w' }],
      ['PUT', '/v2.1/flavors/target/os-extra_specs/k', {}],
      // flavor actions
      ['POST', '/v2.1/flavors/target/action', {}],
      ['POST', '/v2.1/flavors/target/action', { fly: {} }],
      ['POST', '/v2.1/flavors/target/action', { addTenantAccess: {}, removeTenantAccess: {} }],
      ['POST', '/v2.1/flavors/target/action', { addTenantAccess: {} }],
      ['POST', '/v2.1/flavors/target/action', { addTenantAccess: { tenant: '' } }],
      ['POST', '/v2.1/flavors/target/action', { addTenantAccess: { tenant: 'no-such-project' } }],
      ['POST', '/v2.1/flavors/target/action', { removeTenantAccess: { tenant: 5 } }],
      // keypairs
      ['POST', '/v2.1/os-keypairs', {}],
      ['POST', '/v2.1/os-keypairs', { keypair: {} }],
      ['POST', '/v2.1/os-keypairs', { keypair: { name: '' } }],
      ['POST', '/v2.1/os-keypairs', { keypair: { name: 'a/b', public_key: SSH_KEY } }],
      ['POST', '/v2.1/os-keypairs', { keypair: { name: 'a@b', public_key: SSH_KEY } }, '2.91'],
      ['POST', '/v2.1/os-keypairs', { keypair: { name: 'k', public_key: 'garbage' } }],
      ['POST', '/v2.1/os-keypairs', { keypair: { name: 'k', public_key: 5 } }],
      ['POST', '/v2.1/os-keypairs', { keypair: { name: 'k', public_key: SSH_KEY, type: 'x509' } }, '2.2'],
      ['POST', '/v2.1/os-keypairs', { keypair: { name: 'k', public_key: SSH_KEY, type: 'rsa' } }, '2.2'],
      ['POST', '/v2.1/os-keypairs', { keypair: { name: 'k', public_key: SSH_KEY, type: 'ssh' } }, '2.1'],
      ['POST', '/v2.1/os-keypairs', { keypair: { name: 'k', public_key: SSH_KEY, user_id: 'u' } }, '2.9'],
      ['POST', '/v2.1/os-keypairs', { keypair: { name: 'k' } }, '2.92'],
      ['GET', '/v2.1/os-keypairs?limit=-1', undefined, '2.35'],
      ['GET', '/v2.1/os-keypairs?limit=x', undefined, '2.35'],
      ['GET', '/v2.1/os-keypairs?marker=missing', undefined, '2.35'],
      ['GET', '/v2.1/os-keypairs?colour=red', undefined, '2.75'],
      ['GET', '/v2.1/os-keypairs/k?colour=red', undefined, '2.75'],
      ['DELETE', '/v2.1/os-keypairs/k?colour=red', undefined, '2.75'],
      // microversion headers
      ['GET', '/v2.1/flavors', undefined, '2.x'],
    ];
    for (const [method, path, body, version] of cases) {
      const res = await gw.call(method, path, {
        token: adminToken,
        body,
        headers: version ? mv(version) : {},
      });
      const what = `${method} ${path} ${JSON.stringify(body)} @${version ?? 'default'}`;
      expect(res.status, what).to.equal(400);
      expect(res.body?.badRequest?.code, what).to.equal(400);
      expect(res.body.badRequest.message, what).to.be.a('string').and.not.equal('');
    }
    // Glance and Keystone answer in their own formats, with 400 too.
    const glance = [
      'limit=abc',
      'limit=-1',
      'sort_key=colour',
      'sort_dir=sideways',
      'visibility=x',
      'status=x',
      'marker=missing',
    ];
    for (const q of glance) {
      const res = await gw.call('GET', `/image/v2/images?${q}`, { token: adminToken });
      expect(res.status, q).to.equal(400);
      expect(res.body, q).to.match(/^400 Bad Request/);
    }
    const keystone: unknown[] = [
      '{oops',
      {},
      { auth: {} },
      { auth: { identity: { methods: 'password' } } },
      { auth: { identity: { methods: ['password'] } } },
      { auth: { identity: { methods: ['password'], password: { user: { name: 'admin' } } } } },
      { auth: { identity: { methods: ['token'] } } },
      {
        auth: {
          identity: { methods: ['password'], password: { user: { name: 'admin', password: 'secret' } } },
        },
      },
      { auth: { identity: { methods: ['password'], password: { user: { password: 'x' } } } } },
      {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { id: 'default' }, password: 'secret' } },
          },
          scope: { domain: {} },
        },
      },
    ];
    for (const body of keystone) {
      const res = await gw.call('POST', '/identity/v3/auth/tokens', { body });
      const what = JSON.stringify(body);
      expect(res.status, what).to.equal(400);
      expect(res.body?.error?.code ?? res.body?.badRequest?.code, what).to.equal(400);
    }
    const admin: [string, string, unknown][] = [
      ['POST', '/identity/v3/users', {}],
      ['POST', '/identity/v3/users', { user: {} }],
      ['POST', '/identity/v3/users', { user: { name: '' } }],
      ['POST', '/identity/v3/users', { user: { name: 'x', enabled: 'yes' } }],
      ['POST', '/identity/v3/users', { user: { name: 'x', domain_id: 'other' } }],
      ['POST', '/identity/v3/projects', { project: {} }],
      ['POST', '/identity/v3/projects', { project: { name: 'Not A Namespace' } }],
      ['POST', '/identity/v3/projects', { project: { name: 'ok', domain_id: 'other' } }],
      ['PATCH', `/identity/v3/users/${aliceIds.userId}`, { user: { password: '' } }],
      ['PATCH', `/identity/v3/users/${aliceIds.userId}`, '{broken'],
      ['POST', `/identity/v3/users/${aliceIds.userId}/password`, { user: { password: 'x' } }],
    ];
    for (const [method, path, body] of admin) {
      const res = await gw.call(method, path, { token: adminToken, body });
      const what = `${method} ${path} ${JSON.stringify(body)}`;
      expect(res.status, what).to.equal(400);
      expect(res.body?.error?.code ?? res.body?.badRequest?.code, what).to.equal(400);
    }
  });
});
