// Quota enforcement through the gateway on a real apiserver with the operator (fake driver, two
// compute hosts): concurrent creates never pass a quota and exactly fill it (check, create, recheck
// as of the creation's revision), with Nova's 403 messages; losers leave nothing (no server, no
// host usage, no quota usage); multi-create takes what fits; resize and restore are counted.
import { expect } from 'chai';
import type {
  ComputeHost,
  ProjectQuota,
  Server,
  ServerAction,
} from '../../../operator/src/api/v1alpha1/index.ts';
import { SERVER_ACTIONS } from '../../../operator/src/controllers/serveraction.ts';
import { COMPUTE_HOSTS } from '../../../operator/src/controllers/computehost.ts';
import { PROJECT_QUOTAS } from '../../../operator/src/controllers/projectquota.ts';
import { IMAGES, SERVERS } from '../../../operator/src/controllers/server.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
import { createFakeNode, createFlavor, createImage, eventually } from '../../../e2e/harness/fixtures.ts';
import { type TestGateway, startGateway } from '../../../e2e/harness/gateway.ts';
import { type OperatorSuite, startOperatorSuite } from '../../../e2e/harness/suite.ts';

describe('Quota enforcement on server create, resize and restore (gateway on a real apiserver)', function () {
  this.timeout(300_000);
  let suite: OperatorSuite;
  let gw: TestGateway;
  let admin: string;
  let imageId: string;

  before(async () => {
    suite = await startOperatorSuite({
      hostsUp: 2,
      config: { compute: { reclaim_instance_interval: 3600 } },
      setup: async (client) => {
        await createFakeNode(client, 'node-1', { cpu: 16, memoryMb: 32768, diskGb: 400 });
        await createFakeNode(client, 'node-2', { cpu: 16, memoryMb: 32768, diskGb: 400 });
        await createFlavor(client, 'm1.small', { vcpus: 1, ram: 512, disk: 1, id: '2' });
        await createFlavor(client, 'm1.medium', { vcpus: 2, ram: 1024, disk: 1, id: '3' });
        await createFlavor(client, 'm1.large', { vcpus: 4, ram: 2048, disk: 1, id: '4' });
        await createImage(client, 'cirros');
      },
    });
    gw = await startGateway(suite.cp, { bootstrap: { user: 'admin', password: 'secret', project: 'admin' } });
    admin = await gw.token('admin', 'secret', 'admin');
    const images = await suite.client.list<{ metadata: { uid: string } }>(collectionPath(IMAGES));
    imageId = images.items[0]!.metadata.uid;
  });
  after(async () => {
    await gw?.close();
    await suite?.stop();
  });

  /** A member of a new project whose quota is set to `quota`; its token and namespace. */
  async function project(name: string, quota: Record<string, number>) {
    const { projectId } = await gw.addUser(`${name}-user`, 'pw', name, 'member');
    const set = await gw.call('PUT', `/v2.1/os-quota-sets/${projectId}`, {
      token: admin,
      body: { quota_set: quota },
    });
    expect(set.status).to.equal(200);
    return { token: await gw.token(`${name}-user`, 'pw', name), namespace: name };
  }

  const create = (token: string, name: string, flavorRef = '2', extra: Record<string, unknown> = {}) =>
    gw.call('POST', '/v2.1/servers', {
      token,
      headers: { 'OpenStack-API-Version': 'compute 2.37' },
      body: { server: { name, flavorRef, imageRef: imageId, networks: 'none', ...extra } },
    });

  const serversIn = async (namespace: string) =>
    (await suite.client.list<Server>(collectionPath(SERVERS, namespace))).items;

  /** Every server of the namespace ACTIVE and none being deleted: the undone creates are gone. */
  const settled = (namespace: string, count: number) =>
    eventually(
      `${count} active servers in ${namespace}`,
      async () => {
        const items = await serversIn(namespace);
        return items.length === count && items.every((s) => s.status?.vmState === 'active') && items;
      },
      120_000,
    );

  /** The ProjectQuota's status.used once the operator has counted `expected`. */
  const quotaUsed = (namespace: string, expected: Record<string, number>) =>
    eventually(`status.used ${JSON.stringify(expected)}`, async () => {
      const q = await suite.client.get<ProjectQuota>(objectPath(PROJECT_QUOTAS, 'default', namespace));
      const used = q.status?.used as Record<string, number> | undefined;
      return used && Object.entries(expected).every(([k, n]) => used[k] === n) && used;
    });

  it("50 concurrent creates against a quota of 10 instances: exactly 10 servers, 40 Nova 403s, hosts' usage of 10", async () => {
    const { token, namespace } = await project('burst', { instances: 10 });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => create(token, `burst-${i}`)));
    const accepted = answers.filter((a) => a.status === 202).map((a) => a.body.server.id as string);
    const refused = answers.filter((a) => a.status === 403);
    expect(
      accepted,
      JSON.stringify(answers.filter((a) => a.status !== 202 && a.status !== 403)),
    ).to.have.length(10);
    expect(refused).to.have.length(40);
    for (const r of refused) {
      expect(r.body.forbidden.message).to.equal(
        'Quota exceeded for instances: Requested 1, but already used 10 of 10 instances',
      );
    }
    const servers = await settled(namespace, 10);
    expect(servers.map((s) => s.metadata.uid)).to.have.members(accepted);

    // Nothing of the undone creates is left: the hosts hold exactly the 10 (1 vCPU, 512 MiB each).
    await eventually('host usage of the 10', async () => {
      const hosts = (await suite.client.list<ComputeHost>(collectionPath(COMPUTE_HOSTS))).items;
      const sum = (f: (u: NonNullable<NonNullable<ComputeHost['status']>['usage']>) => number) =>
        hosts.reduce((n, h) => n + (h.status?.usage ? f(h.status.usage) : 0), 0);
      return sum((u) => u.vcpus) === 10 && sum((u) => u.memoryMb) === 5120 && sum((u) => u.runningVms) === 10;
    });
    const perHost = new Map<string, number>();
    for (const s of servers) perHost.set(s.status!.host!, (perHost.get(s.status!.host!) ?? 0) + 1);
    const hosts = (await suite.client.list<ComputeHost>(collectionPath(COMPUTE_HOSTS))).items;
    for (const h of hosts) expect(h.status?.usage?.vcpus ?? 0).to.equal(perHost.get(h.metadata.name!) ?? 0);
    expect(await quotaUsed(namespace, { instances: 10, cores: 10, ram: 5120 })).to.deep.equal({
      instances: 10,
      cores: 10,
      ram: 5120,
      serverGroups: 0,
    });

    // The undone creates leave no instance-action log: only the 10 servers have records.
    await eventually(
      'records of the 10 only',
      async () => {
        const actions = await suite.client.list<ServerAction>(collectionPath(SERVER_ACTIONS, namespace));
        const of = new Set(actions.items.map((a) => a.spec.server));
        return of.size === 10 && servers.every((s) => of.has(s.metadata.name!));
      },
      60_000,
    );

    // The recount's list as of a revision pages (the continue token carries the revision).
    const now = await suite.client.list<Server>(collectionPath(SERVERS, namespace));
    const paged = await suite.client.list<Server>(
      collectionPath(SERVERS, namespace),
      { resourceVersion: now.metadata.resourceVersion, resourceVersionMatch: 'Exact' },
      3,
    );
    expect(paged.items.map((s) => s.metadata.uid)).to.have.members(accepted);

    const more = await create(token, 'one-more');
    expect(more.status).to.equal(403);
  });

  it('concurrent creates against a cores quota: exactly what fits, the rest refused with the cores message', async () => {
    const { token, namespace } = await project('cores', { cores: 6 });
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => create(token, `c-${i}`, '3')));
    expect(answers.filter((a) => a.status === 202)).to.have.length(3);
    for (const r of answers.filter((a) => a.status !== 202)) {
      expect(r.status).to.equal(403);
      expect(r.body.forbidden.message).to.equal(
        'Quota exceeded for cores: Requested 2, but already used 6 of 6 cores',
      );
    }
    await settled(namespace, 3);
    await quotaUsed(namespace, { instances: 3, cores: 6, ram: 3072 });
  });

  it('concurrent creates into a server group: exactly server_group_members stay, the rest 403 as Nova', async () => {
    const { token, namespace } = await project('group', { server_group_members: 2 });
    const g = await gw.call('POST', '/v2.1/os-server-groups', {
      token,
      body: { server_group: { name: 'pair', policies: ['affinity'] } },
    });
    expect(g.status).to.equal(200);
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        gw.call('POST', '/v2.1/servers', {
          token,
          headers: { 'OpenStack-API-Version': 'compute 2.37' },
          body: {
            server: { name: `g-${i}`, flavorRef: '2', imageRef: imageId, networks: 'none' },
            'os:scheduler_hints': { group: g.body.server_group.id },
          },
        }),
      ),
    );
    expect(answers.filter((a) => a.status === 202)).to.have.length(2);
    for (const r of answers.filter((a) => a.status !== 202)) {
      expect(r.status).to.equal(403);
      expect(r.body.forbidden.message).to.equal('Quota exceeded, too many servers in group');
    }
    await settled(namespace, 2);
  });

  it('multi-create takes max_count when it fits, else as many as fit down to min_count, else 403', async () => {
    const { token, namespace } = await project('multi', { ram: 1536 });
    const three = await create(token, 'm', '2', { min_count: 1, max_count: 5 });
    expect(three.status).to.equal(202);
    await settled(namespace, 3); // ram 1536 / 512 allows 3 of the 5
    const refused = await create(token, 'n', '2', { min_count: 2, max_count: 3 });
    expect(refused.status).to.equal(403);
    expect(refused.body.forbidden.message).to.equal(
      'Quota exceeded for ram: Requested 1536, but already used 1536 of 1536 ram',
    );
    expect(await serversIn(namespace)).to.have.length(3);
  });

  it("reverting a downsize checks the growth back to the old flavor (Nova's 403 while the quota is full)", async () => {
    const { token, namespace } = await project('shrink', { cores: 4 });
    const first = await create(token, 's1', '3'); // 2 cores
    expect(first.status).to.equal(202);
    await settled(namespace, 1);
    const id = first.body.server.id as string;
    const act = (body: unknown) => gw.call('POST', `/v2.1/servers/${id}/action`, { token, body });
    expect((await act({ resize: { flavorRef: '2' } })).status).to.equal(202); // down to 1 core
    await eventually('VERIFY_RESIZE', async () => {
      const r = await gw.call('GET', `/v2.1/servers/${id}`, { token });
      return r.body.server.status === 'VERIFY_RESIZE';
    });
    expect((await create(token, 's2', '3')).status).to.equal(202);
    expect((await create(token, 's3', '2')).status).to.equal(202); // 1 + 2 + 1 = 4 of 4 cores
    const revert = await act({ revertResize: null });
    expect(revert.status).to.equal(403);
    expect(revert.body.forbidden.message).to.equal(
      'Quota exceeded for cores: Requested 1, but already used 4 of 4 cores',
    );
    expect((await act({ confirmResize: null })).status).to.equal(204);
  });

  it("resize up checks the growth of cores against the quota (Nova's 403); restore counts a soft-deleted server again", async () => {
    const { token, namespace } = await project('grow', { instances: 2, cores: 3 });
    const first = await create(token, 'g1');
    expect(first.status).to.equal(202);
    await settled(namespace, 1);
    const id = first.body.server.id as string;
    const act = (body: unknown) => gw.call('POST', `/v2.1/servers/${id}/action`, { token, body });

    const resize = await act({ resize: { flavorRef: '4' } });
    expect(resize.status).to.equal(403);
    expect(resize.body.forbidden.message).to.equal(
      'Quota exceeded for cores: Requested 3, but already used 1 of 3 cores',
    );

    // A soft-deleted server no longer counts: another takes its place; the restore is then over.
    expect((await gw.call('DELETE', `/v2.1/servers/${id}`, { token })).status).to.equal(204);
    await eventually('soft-deleted', async () => {
      const r = await gw.call('GET', `/v2.1/servers/${id}`, { token });
      return r.body.server?.status === 'SOFT_DELETED';
    });
    const second = await create(token, 'g2');
    expect(second.status).to.equal(202);
    const third = await create(token, 'g3');
    expect(third.status).to.equal(202);
    const restore = await act({ restore: null });
    expect(restore.status).to.equal(403);
    expect(restore.body.forbidden.message).to.equal(
      'Quota exceeded for instances: Requested 1, but already used 2 of 2 instances',
    );
    await eventually('g2 and g3 active', async () => {
      const items = await serversIn(namespace);
      return items.filter((s) => s.status?.vmState === 'active').length === 2;
    });
    expect((await gw.call('DELETE', `/v2.1/servers/${second.body.server.id}`, { token })).status).to.equal(
      204,
    );
    // As the gateway sees it (its cache is what the restore's check counts).
    await eventually('the second soft-deleted', async () => {
      const r = await gw.call('GET', `/v2.1/servers/${second.body.server.id}`, { token });
      return r.body.server?.status === 'SOFT_DELETED';
    });
    expect((await act({ restore: null })).status).to.equal(202);
  });
});
