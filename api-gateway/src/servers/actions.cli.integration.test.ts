// The openstack CLI (Debian's python3-openstackclient) driving server actions through the gateway:
// stop/start/reboot/pause/unpause/suspend/resume/lock/unlock, rescue, resize (confirm), shelve,
// unshelve, migrate (admin), `console log show` and
// `server event list/show`; each end state is checked on the Server object in Kubernetes.
import { expect } from 'chai';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { SERVERS } from '../../../operator/src/controllers/server.ts';
import { collectionPath } from '../../../operator/src/kube/resources.ts';
import { createFakeNode, createFlavor, eventually, waitForHostsUp } from '../../../e2e/harness/fixtures.ts';
import { OpenStackCli } from '../../../e2e/harness/openstack.ts';
import type { OperatorSuite } from '../../../e2e/harness/suite.ts';
import { type ServersSuite, startServersSuite } from './testsuite.ts';

type Row = Record<string, unknown>;

describe('openstack CLI: server actions, console log, server events', function () {
  this.timeout(300_000);
  let world: ServersSuite;
  let suite: OperatorSuite;
  let cli: OpenStackCli;
  let adminCli: OpenStackCli;
  let id: string;

  before(async () => {
    world = await startServersSuite();
    suite = world.suite;
    await createFakeNode(suite.client, 'node-2', { cpu: 16, memoryMb: 32768, diskGb: 400 });
    await createFlavor(suite.client, 'm1.medium', { vcpus: 2, ram: 1024, disk: 1, id: '3' });
    await waitForHostsUp(suite.client, 2);
    await world.gw.addUser('alice', 'alice-pw', 'project-a', 'member');
    adminCli = new OpenStackCli({
      authUrl: world.gw.authUrl,
      user: 'admin',
      password: 'secret',
      project: 'admin',
    });
    cli = new OpenStackCli({
      authUrl: world.gw.authUrl,
      user: 'alice',
      password: 'alice-pw',
      project: 'project-a',
    });
    const created = await cli.json<Row>([
      'server',
      'create',
      '--flavor',
      'm1.small',
      '--image',
      'cirros',
      '--wait',
      'cli-act',
    ]);
    id = created.id as string;
  });
  after(async () => {
    await world?.stop();
  });

  async function settled(vmState: string, locked?: boolean): Promise<Server> {
    return eventually(`server ${vmState}`, async () => {
      const all = await suite.client.list<Server>(collectionPath(SERVERS, 'project-a'));
      const s = all.items.find((x) => x.metadata.uid === id);
      return (
        s?.status?.vmState === vmState &&
        !s.status.taskState &&
        !s.status.action &&
        (locked === undefined || s.spec.locked === locked) &&
        s
      );
    });
  }

  const steps: [string[], string, boolean?][] = [
    [['server', 'stop'], 'stopped'],
    [['server', 'start'], 'active'],
    [['server', 'reboot', '--soft'], 'active'],
    [['server', 'reboot', '--hard'], 'active'],
    [['server', 'pause'], 'paused'],
    [['server', 'unpause'], 'active'],
    [['server', 'suspend'], 'suspended'],
    [['server', 'resume'], 'active'],
    [['server', 'lock'], 'active', true],
    [['server', 'unlock'], 'active', false],
  ];
  for (const [args, end, locked] of steps) {
    it(`openstack ${args.join(' ')} leaves the server ${end}${locked === undefined ? '' : locked ? ', locked' : ', unlocked'}`, async () => {
      await cli.ok([...args, id]);
      await settled(end, locked);
    });
  }

  it('openstack server rescue/unrescue, resize + resize confirm, shelve/unshelve, migrate (admin) + confirm', async () => {
    await cli.ok(['server', 'rescue', id]);
    await settled('rescued');
    await cli.ok(['server', 'unrescue', id]);
    await settled('active');
    await cli.ok(['server', 'resize', '--flavor', 'm1.medium', id]);
    await settled('resized');
    await cli.ok(['server', 'resize', 'confirm', id]);
    const resized = await settled('active');
    expect(resized.status!.flavor!.name).to.equal('m1.medium');
    await cli.ok(['server', 'shelve', id]);
    await settled('shelved_offloaded');
    await cli.ok(['server', 'unshelve', id]);
    const from = (await settled('active')).status!.host;
    await adminCli.ok(['server', 'migrate', id]);
    const moved = await settled('resized');
    expect(moved.status!.host).to.not.equal(from);
    await cli.ok(['server', 'resize', 'confirm', id]);
    await settled('active');
  });

  it('openstack server lock --reason (2.73) records the reason; a locked server refuses stop', async () => {
    const os = cli.withComputeVersion('2.73');
    await os.ok(['server', 'lock', '--reason', 'maintenance', id]);
    const s = await settled('active', true);
    expect(s.spec.lockedReason).to.equal('maintenance');
    // The owner's stop on a locked server: Nova's 409, which the CLI reports.
    const r = await cli.run(['server', 'stop', id]);
    expect(r.code).to.not.equal(0);
    expect(r.stderr).to.contain(`Instance ${id} is locked`);
    await os.ok(['server', 'unlock', id]);
    await settled('active', false);
  });

  it('openstack console log show prints the console output, --lines its tail', async () => {
    const all = await cli.ok(['console', 'log', 'show', id]);
    expect(all.trim()).to.not.equal('');
    const tail = await cli.ok(['console', 'log', 'show', '--lines', '1', id]);
    expect(tail.trim().split('\n')).to.have.length(1);
    expect(all.trim().endsWith(tail.trim())).to.equal(true);
  });

  it('openstack server event list/show lists the actions, newest first, with their events', async () => {
    const events = await cli.json<Row[]>(['server', 'event', 'list', id]);
    const actions = events.map((e) => e.Action);
    expect(actions.at(-1)).to.equal('create');
    expect(actions).to.include.members(['stop', 'start', 'reboot', 'pause', 'unpause', 'lock', 'unlock']);
    expect(actions).not.to.include('consoleOutput');
    const stop = events.find((e) => e.Action === 'stop')!;
    const shown = await cli
      .withComputeVersion('2.51')
      .json<Row>(['server', 'event', 'show', id, String(stop['Request ID'])]);
    expect(shown).to.include({ action: 'stop', request_id: stop['Request ID'] });
    expect(JSON.stringify(shown.events)).to.contain('compute_stop_instance');
  });
});
