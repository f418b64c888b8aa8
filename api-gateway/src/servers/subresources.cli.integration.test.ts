// The openstack CLI (Debian's python3-openstackclient) on the server sub-resources: `server set
// --tag` / `server unset --tag` (2.26), `server backup create --rotate` (createBackup and its
// rotation, read back with `image list`), and `server migration list` (admin) after `server
// migrate` and `server resize confirm`.
import { expect } from 'chai';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { SERVERS } from '../../../operator/src/controllers/server.ts';
import { collectionPath } from '../../../operator/src/kube/resources.ts';
import { createFakeNode, eventually, waitForHostsUp } from '../../../e2e/harness/fixtures.ts';
import { OpenStackCli } from '../../../e2e/harness/openstack.ts';
import { type ServersSuite, startServersSuite } from './testsuite.ts';

type Row = Record<string, unknown>;

describe('openstack CLI: server tags, backups and migrations', function () {
  this.timeout(300_000);
  let world: ServersSuite;
  let alice: OpenStackCli;
  let admin: OpenStackCli;
  let id: string;

  const serverOf = async (): Promise<Server | undefined> =>
    (await world.suite.client.list<Server>(collectionPath(SERVERS, 'project-a'))).items.find(
      (s) => s.metadata.uid === id,
    );
  const settled = (vmState: string) =>
    eventually(`server ${vmState}`, async () => {
      const s = await serverOf();
      return s?.status?.vmState === vmState && !s.status.taskState && !s.status.action;
    });

  before(async () => {
    world = await startServersSuite();
    await createFakeNode(world.suite.client, 'node-2', { cpu: 16, memoryMb: 32768, diskGb: 400 });
    await waitForHostsUp(world.suite.client, 2);
    await world.gw.addUser('alice', 'alice-pw', 'project-a', 'member');
    alice = new OpenStackCli({
      authUrl: world.gw.authUrl,
      user: 'alice',
      password: 'alice-pw',
      project: 'project-a',
    });
    admin = new OpenStackCli({
      authUrl: world.gw.authUrl,
      user: 'admin',
      password: 'secret',
      project: 'admin',
    });
    const created = await alice
      .withComputeVersion('2.37')
      .json<Row>(['server', 'create', '--flavor', 'm1.small', '--image', 'cirros', '--nic', 'none', 'web']);
    id = String(created.id);
    await settled('active');
  });
  after(async () => {
    await world?.stop();
  });

  it('server set --tag / server unset --tag (2.26): server show lists the tags', async () => {
    const cli = alice.withComputeVersion('2.26');
    await cli.ok(['server', 'set', '--tag', 'blue', '--tag', 'green', 'web']);
    const shown = await cli.json<Row>(['server', 'show', 'web']);
    expect(String(shown.tags)).to.match(/blue/).and.to.match(/green/);
    await cli.ok(['server', 'unset', '--tag', 'blue', 'web']);
    expect((await serverOf())!.spec.tags).to.deep.equal(['green']);
  });

  // As admin: the CLI then finds the image through Glance, where a snapshot's owner (the project's
  // namespace, as the compute side writes it) is not the project id a member's listing matches.
  it('server backup create --type daily --rotate 1, twice (admin): image list shows only the newer backup', async () => {
    for (const name of ['bk-1', 'bk-2']) {
      await admin.ok(['server', 'backup', 'create', '--name', name, '--type', 'daily', '--rotate', '1', id]);
    }
    const names = await eventually('rotated', async () => {
      const images = await admin.json<{ Name: string }[]>(['image', 'list']);
      const backups = images.map((i) => i.Name).filter((n) => n.startsWith('bk-'));
      return backups.length === 1 && backups;
    });
    expect(names).to.deep.equal(['bk-2']);
  });

  it('server migrate (admin), server resize confirm, then server migration list (admin) shows it confirmed', async () => {
    const before = (await serverOf())!.status!.host;
    await admin.ok(['server', 'migrate', id]);
    await settled('resized');
    await alice.ok(['server', 'resize', 'confirm', 'web']);
    await settled('active');
    expect((await serverOf())!.status!.host).to.not.equal(before);
    const rows = await admin.withComputeVersion('2.59').json<Row[]>(['server', 'migration', 'list']);
    const mine = rows.find((r) => r['Server UUID'] === id);
    expect(mine, JSON.stringify(rows)).to.include({
      Status: 'confirmed',
      'Source Compute': before,
      Type: 'migration',
    });
    const denied = await alice.run(['server', 'migration', 'list']);
    expect(denied.code).to.not.equal(0);
    expect(denied.stderr).to.contain(
      "Policy doesn't allow os_compute_api:os-migrations:index to be performed.",
    );
  });
});
