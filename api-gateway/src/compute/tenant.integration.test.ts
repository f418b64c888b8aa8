// Server groups, quota sets and limits through the gateway on a real apiserver with the operator
// (fake driver, two compute hosts): Nova's fields per microversion, its 400/403/404 messages, and
// the effects (a lowered quota refuses the next create; anti-affinity members on different hosts).
import { expect } from 'chai';
import type { ProjectQuota, Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { IMAGES, SERVERS } from '../../../operator/src/controllers/server.ts';
import { PROJECT_QUOTAS } from '../../../operator/src/controllers/projectquota.ts';
import { SERVER_GROUPS } from '../../../operator/src/controllers/servergroup.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
import { createFakeNode, createFlavor, createImage, eventually } from '../../../e2e/harness/fixtures.ts';
import { type TestGateway, startGateway } from '../../../e2e/harness/gateway.ts';
import { type OperatorSuite, startOperatorSuite } from '../../../e2e/harness/suite.ts';

const v = (version: string) => ({ 'OpenStack-API-Version': `compute ${version}` });

describe('Server groups, quota sets and limits (gateway on a real apiserver)', function () {
  this.timeout(180_000);
  let suite: OperatorSuite;
  let gw: TestGateway;
  let admin: string;
  let alice: string;
  let bob: string;
  let aliceId: string;
  let projectA: string;
  let projectB: string;
  let imageId: string;

  before(async () => {
    suite = await startOperatorSuite({
      hostsUp: 2,
      setup: async (client) => {
        await createFakeNode(client, 'node-1', { cpu: 16, memoryMb: 32768, diskGb: 400 });
        await createFakeNode(client, 'node-2', { cpu: 16, memoryMb: 32768, diskGb: 400 });
        await createFlavor(client, 'm1.small', { vcpus: 1, ram: 512, disk: 1, id: '2' });
        await createImage(client, 'cirros');
      },
    });
    gw = await startGateway(suite.cp, { bootstrap: { user: 'admin', password: 'secret', project: 'admin' } });
    ({ userId: aliceId, projectId: projectA } = await gw.addUser('alice', 'alice-pw', 'project-a', 'member'));
    ({ projectId: projectB } = await gw.addUser('bob', 'bob-pw', 'project-b', 'member'));
    admin = await gw.token('admin', 'secret', 'admin');
    alice = await gw.token('alice', 'alice-pw', 'project-a');
    bob = await gw.token('bob', 'bob-pw', 'project-b');
    const images = await suite.client.list<{ metadata: { uid: string } }>(collectionPath(IMAGES));
    imageId = images.items[0]!.metadata.uid;
  });
  after(async () => {
    await gw?.close();
    await suite?.stop();
  });

  const createServer = (token: string, name: string, hints?: Record<string, string>) =>
    gw.call('POST', '/v2.1/servers', {
      token,
      body: {
        server: { name, flavorRef: '2', imageRef: imageId, networks: 'none' },
        ...(hints ? { 'os:scheduler_hints': hints } : {}),
      },
      headers: v('2.37'),
    });

  describe('os-server-groups', () => {
    it('creates with policies (2.1) and policy/rules (2.64), shown with the fields of each microversion', async () => {
      const old = await gw.call('POST', '/v2.1/os-server-groups', {
        token: alice,
        body: { server_group: { name: 'g-old', policies: ['affinity'] } },
      });
      expect(old.status).to.equal(200);
      expect(old.body.server_group).to.have.keys('id', 'name', 'policies', 'members', 'metadata');
      expect(old.body.server_group).to.include({ name: 'g-old' });
      expect(old.body.server_group.policies).to.deep.equal(['affinity']);

      const created = await gw.call('POST', '/v2.1/os-server-groups', {
        token: alice,
        headers: v('2.64'),
        body: { server_group: { name: 'g-new', policy: 'anti-affinity', rules: { max_server_per_host: 2 } } },
      });
      expect(created.status).to.equal(200);
      expect(created.body.server_group).to.deep.include({
        name: 'g-new',
        policy: 'anti-affinity',
        rules: { max_server_per_host: 2 },
        members: [],
        project_id: projectA,
        user_id: aliceId,
      });
      expect(created.body.server_group).to.not.have.property('policies');

      const id = created.body.server_group.id;
      const at213 = await gw.call('GET', `/v2.1/os-server-groups/${id}`, {
        token: alice,
        headers: v('2.13'),
      });
      expect(at213.body.server_group).to.deep.equal({
        id,
        name: 'g-new',
        policies: ['anti-affinity'],
        metadata: {},
        members: [],
        project_id: projectA,
        user_id: aliceId,
      });
    });

    it("answers Nova's 400s for malformed bodies and queries", async () => {
      const cases: [string, unknown, string][] = [
        [
          '2.1',
          { server_group: { name: 'x', policies: ['soft-affinity'] } },
          'Invalid input for field/attribute',
        ],
        [
          '2.64',
          { server_group: { name: 'x', policies: ['affinity'] } },
          'Invalid input for field/attribute',
        ],
        [
          '2.64',
          { server_group: { name: 'x', policy: 'affinity', rules: { max_server_per_host: 2 } } },
          'Only anti-affinity policy supports rules.',
        ],
        [
          '2.64',
          { server_group: { name: 'x', policy: 'anti-affinity', rules: { max_server_per_host: 0 } } },
          'Invalid input for field/attribute max_server_per_host',
        ],
      ];
      for (const [version, body, message] of cases) {
        const res = await gw.call('POST', '/v2.1/os-server-groups', {
          token: alice,
          headers: v(version),
          body,
        });
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect(res.body.badRequest.message).to.contain(message);
      }
      const q = await gw.call('GET', '/v2.1/os-server-groups?limit=-1', { token: alice });
      expect(q.status).to.equal(400);
      expect(q.body.badRequest.message).to.contain('Invalid input for query parameters limit');
      const extra = await gw.call('GET', '/v2.1/os-server-groups?foo=1', {
        token: alice,
        headers: v('2.75'),
      });
      expect(extra.status).to.equal(400);
    });

    it('lists the own project (limit/offset), all projects for admins only; 404 and 403 as Nova', async () => {
      await gw.call('POST', '/v2.1/os-server-groups', {
        token: bob,
        body: { server_group: { name: 'bobs', policies: ['anti-affinity'] } },
      });
      const mine = await gw.call('GET', '/v2.1/os-server-groups', { token: alice });
      expect(mine.body.server_groups.map((g: { name: string }) => g.name)).to.deep.equal(['g-old', 'g-new']);
      const paged = await gw.call('GET', '/v2.1/os-server-groups?limit=1&offset=1', { token: alice });
      expect(paged.body.server_groups.map((g: { name: string }) => g.name)).to.deep.equal(['g-new']);
      const ignored = await gw.call('GET', '/v2.1/os-server-groups?all_projects=1', { token: alice });
      expect(ignored.body.server_groups).to.have.length(2);
      const all = await gw.call('GET', '/v2.1/os-server-groups?all_projects=1', { token: admin });
      expect(all.body.server_groups.map((g: { name: string }) => g.name)).to.include.members([
        'g-old',
        'g-new',
        'bobs',
      ]);
      const bobsId = all.body.server_groups.find((g: { name: string }) => g.name === 'bobs').id;
      const foreign = await gw.call('GET', `/v2.1/os-server-groups/${bobsId}`, { token: alice });
      expect(foreign.status).to.equal(403);
      const missing = await gw.call('DELETE', '/v2.1/os-server-groups/nope', { token: alice });
      expect(missing.status).to.equal(404);
      expect(missing.body.itemNotFound.message).to.equal('Instance group nope could not be found.');
    });

    it('places the members of an anti-affinity group on different hosts and lists them as members', async () => {
      const g = await gw.call('POST', '/v2.1/os-server-groups', {
        token: alice,
        body: { server_group: { name: 'apart', policies: ['anti-affinity'] } },
      });
      const id = g.body.server_group.id;
      const a = await createServer(alice, 'apart-1', { group: id });
      expect(a.status).to.equal(202);
      const b = await createServer(alice, 'apart-2', { group: id });
      expect(b.status).to.equal(202);
      const hosts = await eventually('both placed', async () => {
        const all = await suite.client.list<Server>(collectionPath(SERVERS, 'project-a'));
        const placed = all.items.filter((s) => s.spec.name.startsWith('apart-') && s.status?.host);
        return placed.length === 2 && placed.map((s) => s.status!.host!);
      });
      expect(new Set(hosts).size).to.equal(2);
      const shown = await eventually('members', async () => {
        const r = await gw.call('GET', `/v2.1/os-server-groups/${id}`, { token: alice });
        return r.body.server_group.members.length === 2 && r;
      });
      expect(shown.body.server_group.members).to.have.members([a.body.server.id, b.body.server.id]);

      // server_group_members: a third member over a limit of 2 is Nova's 403.
      const set = await gw.call('PUT', `/v2.1/os-quota-sets/${projectA}`, {
        token: admin,
        body: { quota_set: { server_group_members: 2 } },
      });
      expect(set.status).to.equal(200);
      const third = await createServer(alice, 'apart-3', { group: id });
      expect(third.status).to.equal(403);
      expect(third.body.forbidden.message).to.equal('Quota exceeded, too many servers in group');
      const reverted = await gw.call('DELETE', `/v2.1/os-quota-sets/${projectA}`, { token: admin });
      expect(reverted.status).to.equal(202);

      const deleted = await gw.call('DELETE', `/v2.1/os-server-groups/${id}`, { token: alice });
      expect(deleted.status).to.equal(204);
      const gone = await gw.call('GET', `/v2.1/os-server-groups/${id}`, { token: alice });
      expect(gone.status).to.equal(404);
    });

    it('places up to max_server_per_host members of a 2.64 anti-affinity group on one host', async () => {
      const g = await gw.call('POST', '/v2.1/os-server-groups', {
        token: alice,
        headers: v('2.64'),
        body: {
          server_group: {
            name: 'two-per-host',
            policy: 'anti-affinity',
            rules: { max_server_per_host: '2' },
          },
        },
      });
      expect(g.body.server_group.rules).to.deep.equal({ max_server_per_host: 2 });
      const id = g.body.server_group.id;
      for (let i = 1; i <= 4; i++) {
        const created = await createServer(alice, `pair-${i}`, { group: id });
        expect(created.status, JSON.stringify(created.body)).to.equal(202);
      }
      const hosts = await eventually('all four placed', async () => {
        const all = await suite.client.list<Server>(collectionPath(SERVERS, 'project-a'));
        const placed = all.items.filter((s) => s.spec.name.startsWith('pair-') && s.status?.host);
        return placed.length === 4 && placed.map((s) => s.status!.host!);
      });
      const perHost = hosts.reduce<Record<string, number>>((m, h) => ({ ...m, [h]: (m[h] ?? 0) + 1 }), {});
      expect(Object.values(perHost)).to.deep.equal([2, 2]);
    });
  });

  describe('os-quota-sets and limits', () => {
    it('shows the fields of each microversion (2.36 drops network quotas, 2.57 injected files)', async () => {
      const at21 = await gw.call('GET', `/v2.1/os-quota-sets/${projectB}`, { token: bob });
      expect(at21.status).to.equal(200);
      expect(at21.body.quota_set).to.deep.equal({
        id: projectB,
        cores: 20,
        fixed_ips: -1,
        floating_ips: -1,
        injected_file_content_bytes: 10240,
        injected_file_path_bytes: 255,
        injected_files: 5,
        instances: 10,
        key_pairs: 100,
        metadata_items: 128,
        ram: 51200,
        security_group_rules: -1,
        security_groups: -1,
        server_group_members: 10,
        server_groups: 10,
      });
      const at236 = await gw.call('GET', `/v2.1/os-quota-sets/${projectB}`, {
        token: bob,
        headers: v('2.36'),
      });
      expect(at236.body.quota_set).to.have.keys(
        'id',
        'cores',
        'injected_file_content_bytes',
        'injected_file_path_bytes',
        'injected_files',
        'instances',
        'key_pairs',
        'metadata_items',
        'ram',
        'server_group_members',
        'server_groups',
      );
      const at257 = await gw.call('GET', `/v2.1/os-quota-sets/${projectB}/defaults`, {
        token: bob,
        headers: v('2.57'),
      });
      expect(at257.body.quota_set).to.have.keys(
        'id',
        'cores',
        'instances',
        'key_pairs',
        'metadata_items',
        'ram',
        'server_group_members',
        'server_groups',
      );
      const foreign = await gw.call('GET', `/v2.1/os-quota-sets/${projectA}`, { token: bob });
      expect(foreign.status).to.equal(403);
      expect(foreign.body.forbidden.message).to.equal(
        "Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.",
      );
      const unknown = await gw.call('GET', '/v2.1/os-quota-sets/0123456789abcdef0123456789abcdef', {
        token: admin,
      });
      expect(unknown.status).to.equal(400);
    });

    it('updates as admin only (Nova 403 for members), refuses below usage unless forced, and the next create is refused', async () => {
      const created = await createServer(bob, 'b-1');
      expect(created.status).to.equal(202);
      const byMember = await gw.call('PUT', `/v2.1/os-quota-sets/${projectB}`, {
        token: bob,
        body: { quota_set: { instances: 1 } },
      });
      expect(byMember.status).to.equal(403);
      const below = await gw.call('PUT', `/v2.1/os-quota-sets/${projectB}`, {
        token: admin,
        body: { quota_set: { instances: 0 } },
      });
      expect(below.status).to.equal(400);
      expect(below.body.badRequest.message).to.equal(
        'Quota limit 0 for instances must be greater than or equal to already used and reserved 1.',
      );
      const malformed = await gw.call('PUT', `/v2.1/os-quota-sets/${projectB}`, {
        token: admin,
        headers: v('2.36'),
        body: { quota_set: { floating_ips: 3 } },
      });
      expect(malformed.status).to.equal(400);
      expect(malformed.body.badRequest.message).to.contain(
        "Additional properties are not allowed ('floating_ips'",
      );
      const updated = await gw.call('PUT', `/v2.1/os-quota-sets/${projectB}`, {
        token: admin,
        headers: v('2.57'),
        body: { quota_set: { instances: 1, cores: '8' } },
      });
      expect(updated.status).to.equal(200);
      expect(updated.body.quota_set).to.include({ instances: 1, cores: 8 });
      expect(updated.body.quota_set).to.not.have.property('id');
      const pq = await suite.client.get<ProjectQuota>(objectPath(PROJECT_QUOTAS, 'default', 'project-b'));
      expect(pq.spec).to.include({ instances: 1, cores: 8 });

      const refused = await createServer(bob, 'b-2');
      expect(refused.status).to.equal(403);
      expect(refused.body.forbidden.message).to.equal(
        'Quota exceeded for instances: Requested 1, but already used 1 of 1 instances',
      );

      const detail = await gw.call('GET', `/v2.1/os-quota-sets/${projectB}/detail`, {
        token: bob,
        headers: v('2.57'),
      });
      expect(detail.body.quota_set.instances).to.deep.equal({ in_use: 1, limit: 1, reserved: 0 });
      expect(detail.body.quota_set.cores).to.deep.equal({ in_use: 1, limit: 8, reserved: 0 });
      expect(detail.body.quota_set.server_groups).to.deep.equal({ in_use: 1, limit: 10, reserved: 0 });

      const limits = await gw.call('GET', '/v2.1/limits', { token: bob, headers: v('2.57') });
      expect(limits.body).to.deep.equal({
        limits: {
          rate: [],
          absolute: {
            maxTotalRAMSize: 51200,
            maxTotalInstances: 1,
            maxTotalCores: 8,
            maxTotalKeypairs: 100,
            maxServerMeta: 128,
            maxServerGroups: 10,
            maxServerGroupMembers: 10,
            totalRAMUsed: 512,
            totalCoresUsed: 1,
            totalInstancesUsed: 1,
            totalServerGroupsUsed: 1,
          },
        },
      });
      const old = await gw.call('GET', '/v2.1/limits', { token: bob });
      expect(old.body.limits.absolute).to.include({
        maxImageMeta: 128,
        maxPersonality: 5,
        maxPersonalitySize: 10240,
        maxTotalFloatingIps: -1,
        totalFloatingIpsUsed: 0,
        totalSecurityGroupsUsed: 0,
      });
      const other = await gw.call('GET', `/v2.1/limits?tenant_id=${projectA}`, { token: bob });
      expect(other.status).to.equal(403);

      const reverted = await gw.call('DELETE', `/v2.1/os-quota-sets/${projectB}`, { token: admin });
      expect(reverted.status).to.equal(202);
      const shown = await gw.call('GET', `/v2.1/os-quota-sets/${projectB}`, { token: bob });
      expect(shown.body.quota_set).to.include({ instances: 10, cores: 20 });
      const allowed = await createServer(bob, 'b-3');
      expect(allowed.status).to.equal(202);
    });

    it("refuses a server group over the server_groups quota with Nova's 403", async () => {
      await gw.call('PUT', `/v2.1/os-quota-sets/${projectB}`, {
        token: admin,
        body: { quota_set: { server_groups: 1 } },
      });
      const res = await gw.call('POST', '/v2.1/os-server-groups', {
        token: bob,
        body: { server_group: { name: 'second', policies: ['affinity'] } },
      });
      expect(res.status).to.equal(403);
      expect(res.body.forbidden.message).to.equal('Quota exceeded, too many server groups.');
    });

    it('never lets concurrent server group creates pass the server_groups quota', async () => {
      const { projectId } = await gw.addUser('carol', 'carol-pw', 'project-c', 'member');
      const carol = await gw.token('carol', 'carol-pw', 'project-c');
      await gw.call('PUT', `/v2.1/os-quota-sets/${projectId}`, {
        token: admin,
        body: { quota_set: { server_groups: 3 } },
      });
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          gw.call('POST', '/v2.1/os-server-groups', {
            token: carol,
            body: { server_group: { name: `c-${i}`, policies: ['affinity'] } },
          }),
        ),
      );
      const ok = answers.filter((a) => a.status === 200).map((a) => a.body.server_group.id);
      const refused = answers.filter((a) => a.status === 403);
      expect(ok.length + refused.length).to.equal(10);
      expect(ok).to.have.length(3); // exactly the quota: the first 3 by creation revision stay
      for (const r of refused)
        expect(r.body.forbidden.message).to.equal('Quota exceeded, too many server groups.');
      const stored = await eventually('undone creates gone', async () => {
        const list = await suite.client.list<{ metadata: { uid: string } }>(
          collectionPath(SERVER_GROUPS, 'project-c'),
        );
        return list.items.length === ok.length && list.items;
      });
      expect(stored.map((g) => g.metadata.uid)).to.have.members(ok);
    });

    it("shows the default quota class to admins; an update changes nothing (the defaults are the operator's)", async () => {
      const res = await gw.call('GET', '/v2.1/os-quota-class-sets/default', {
        token: admin,
        headers: v('2.57'),
      });
      expect(res.body.quota_class_set).to.deep.equal({
        id: 'default',
        cores: 20,
        instances: 10,
        key_pairs: 100,
        metadata_items: 128,
        ram: 51200,
        server_group_members: 10,
        server_groups: 10,
      });
      const updated = await gw.call('PUT', '/v2.1/os-quota-class-sets/default', {
        token: admin,
        body: { quota_class_set: { instances: 50, floating_ips: 1 } },
      });
      expect(updated.status).to.equal(200);
      expect(updated.body.quota_class_set).to.include({ instances: 10 });
      expect(updated.body.quota_class_set).to.not.have.property('id');
      const malformed = await gw.call('PUT', '/v2.1/os-quota-class-sets/default', {
        token: admin,
        headers: v('2.50'),
        body: { quota_class_set: { floating_ips: 1 } },
      });
      expect(malformed.status).to.equal(400);
      const byMember = await gw.call('GET', '/v2.1/os-quota-class-sets/default', { token: bob });
      expect(byMember.status).to.equal(403);
    });
  });
});
