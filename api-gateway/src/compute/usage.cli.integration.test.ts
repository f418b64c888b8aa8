// The openstack CLI (Debian's python3-openstackclient) on os-simple-tenant-usage: `usage list`
// (admin; at 2.1 and at 2.40 where the CLI pages with markers) reports the project's running
// server with its flavor's hours; `usage show` is the member's own project; a member's
// `usage list` is Nova's policy 403.
import { expect } from 'chai';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { SERVERS } from '../../../operator/src/controllers/server.ts';
import { collectionPath } from '../../../operator/src/kube/resources.ts';
import { createFakeNode, createFlavor, createImage, eventually } from '../../../e2e/harness/fixtures.ts';
import { type TestGateway, startGateway } from '../../../e2e/harness/gateway.ts';
import { OpenStackCli } from '../../../e2e/harness/openstack.ts';
import { type OperatorSuite, startOperatorSuite } from '../../../e2e/harness/suite.ts';

type Row = Record<string, unknown>;

describe('openstack CLI: usage list and usage show', function () {
  this.timeout(300_000);
  let suite: OperatorSuite;
  let gw: TestGateway;
  let alice: OpenStackCli;
  let admin: OpenStackCli;
  let projectA: string;

  before(async () => {
    suite = await startOperatorSuite({
      hostsUp: 1,
      setup: async (client) => {
        await createFakeNode(client, 'node-1', { cpu: 16, memoryMb: 32768, diskGb: 400 });
        await createFlavor(client, 'm1.small', { vcpus: 2, ram: 512, disk: 1, id: '2' });
        await createImage(client, 'cirros');
      },
    });
    gw = await startGateway(suite.cp, { bootstrap: { user: 'admin', password: 'secret', project: 'admin' } });
    ({ projectId: projectA } = await gw.addUser('alice', 'alice-pw', 'project-a', 'member'));
    alice = new OpenStackCli({
      authUrl: gw.authUrl,
      user: 'alice',
      password: 'alice-pw',
      project: 'project-a',
    });
    admin = new OpenStackCli({ authUrl: gw.authUrl, user: 'admin', password: 'secret', project: 'admin' });
    const r = await alice
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
        'web',
        '-f',
        'json',
      ]);
    expect(r.code, r.stderr).to.equal(0);
    await eventually('web launched', async () => {
      const all = await suite.client.list<Server>(collectionPath(SERVERS, 'project-a'));
      return all.items.some((s) => s.status?.launchedAt);
    });
  });
  after(async () => {
    await gw?.close();
    await suite?.stop();
  });

  for (const version of ['2.1', '2.40']) {
    it(`usage list (admin, compute ${version}): the project's server, its CPU hours twice its hours (2 vCPUs)`, async () => {
      const rows = await admin.withComputeVersion(version).json<Row[]>(['usage', 'list']);
      // The CLI names the project when it can list projects, else shows its id.
      const mine = rows.find((r) => r.Project === 'project-a' || r.Project === projectA);
      expect(mine, JSON.stringify(rows)).to.not.equal(undefined);
      expect(mine!.Servers).to.have.length(1);
      const cpu = Number(mine!['CPU Hours']);
      const ram = Number(mine!['RAM MB-Hours']);
      expect(cpu).to.be.greaterThan(0);
      expect(ram).to.be.closeTo(cpu * 256, 1);
    });
  }

  it("usage show (member): its own project's usage", async () => {
    const shown = await alice.withComputeVersion('2.40').json<Row>(['usage', 'show']);
    expect(shown.Servers).to.have.length(1);
    expect(Number(shown['CPU Hours'])).to.be.greaterThan(0);
  });

  it("usage list as a member: Nova's policy 403", async () => {
    const r = await alice.run(['usage', 'list']);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain(
      "Policy doesn't allow os_compute_api:os-simple-tenant-usage:list to be performed.",
    );
  });
});
