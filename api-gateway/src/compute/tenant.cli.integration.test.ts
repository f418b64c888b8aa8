// The openstack CLI (Debian's python3-openstackclient) on server groups, quotas and limits:
// `server group create --policy anti-affinity` then two servers with `--hint group=<id>` land on
// different hosts; `quota set --instances N <project>` (admin) refuses the next `server create`;
// `quota show` and `limits show --absolute` report what the ProjectQuota and the servers say.
import { expect } from 'chai';
import type { ProjectQuota, Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { PROJECT_QUOTAS } from '../../../operator/src/controllers/projectquota.ts';
import { SERVERS } from '../../../operator/src/controllers/server.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
import { createFakeNode, createFlavor, createImage, eventually } from '../../../e2e/harness/fixtures.ts';
import { type TestGateway, startGateway } from '../../../e2e/harness/gateway.ts';
import { OpenStackCli } from '../../../e2e/harness/openstack.ts';
import { type OperatorSuite, startOperatorSuite } from '../../../e2e/harness/suite.ts';

type Row = Record<string, unknown>;

describe('openstack CLI: server group, quota and limits', function () {
  this.timeout(300_000);
  let suite: OperatorSuite;
  let gw: TestGateway;
  let alice: OpenStackCli;
  let admin: OpenStackCli;

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
    await gw.addUser('alice', 'alice-pw', 'project-a', 'member');
    alice = new OpenStackCli({
      authUrl: gw.authUrl,
      user: 'alice',
      password: 'alice-pw',
      project: 'project-a',
    });
    admin = new OpenStackCli({ authUrl: gw.authUrl, user: 'admin', password: 'secret', project: 'admin' });
  });
  after(async () => {
    await gw?.close();
    await suite?.stop();
  });

  const serverCreate = (name: string, extra: string[] = []) =>
    alice
      .withComputeVersion('2.37')
      .run([
        'server',
        'create',
        '--flavor',
        'm1.small',
        '--image',
        'cirros',
        '--nic',
        'none',
        ...extra,
        name,
        '-f',
        'json',
      ]);

  it('server group create --policy anti-affinity/list/show; members of the group land on different hosts; delete', async () => {
    const group = await alice.json<Row>(['server', 'group', 'create', '--policy', 'anti-affinity', 'apart']);
    expect(group).to.include({ name: 'apart' });
    const listed = await alice.json<Row[]>(['server', 'group', 'list']);
    expect(listed.map((g) => g.Name)).to.deep.equal(['apart']);

    for (const name of ['apart-1', 'apart-2']) {
      const r = await serverCreate(name, ['--hint', `group=${group.id}`]);
      expect(r.code, r.stderr).to.equal(0);
    }
    const hosts = await eventually('both placed', async () => {
      const all = await suite.client.list<Server>(collectionPath(SERVERS, 'project-a'));
      const placed = all.items.filter((s) => s.status?.host);
      return placed.length === 2 && placed.map((s) => s.status!.host!);
    });
    expect(new Set(hosts).size).to.equal(2);

    const shown = await eventually('members shown', async () => {
      const g = await alice.json<Row>(['server', 'group', 'show', String(group.id)]);
      return String(g.members).split(',').filter(Boolean).length === 2 && g;
    });
    expect(shown).to.include({ name: 'apart', id: group.id });
    await alice.ok(['server', 'group', 'delete', String(group.id)]);
    expect(await alice.json<Row[]>(['server', 'group', 'list'])).to.deep.equal([]);
  });

  it('quota set --instances (admin) refuses the next server create; quota show and limits show --absolute report it', async () => {
    await admin.ok(['quota', 'set', '--instances', '2', 'project-a']);
    const pq = await suite.client.get<ProjectQuota>(objectPath(PROJECT_QUOTAS, 'default', 'project-a'));
    expect(pq.spec.instances).to.equal(2);

    const quota = await alice.json<Row>(['quota', 'show']);
    expect(quota).to.include({ instances: 2, cores: 20, ram: 51200 });

    const refused = await serverCreate('over');
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.contain(
      'Quota exceeded for instances: Requested 1, but already used 2 of 2 instances',
    );

    const limits = await alice.json<{ Name: string; Value: number }[]>(['limits', 'show', '--absolute']);
    const byName = Object.fromEntries(limits.map((l) => [l.Name, l.Value]));
    expect(byName).to.include({
      maxTotalInstances: 2,
      totalInstancesUsed: 2,
      maxTotalCores: 20,
      totalCoresUsed: 2,
    });
  });
});
