// Soft delete and its timers, auto-confirm, evacuate, live migration, shelve offload: the server
// lifecycle beyond single-host actions, on the real apiserver with the fake driver.
import { expect } from 'chai';
import type { Image, Server, ServerAction, ServerActionName } from '../api/v1alpha1/index.ts';
import { type KubeClient, isNotFound } from '../kube/client.ts';
import { collectionPath, objectPath } from '../kube/resources.ts';
import {
  createFakeNode,
  createFlavor,
  createImage,
  createServer,
  eventually,
  getServer,
  runAction,
  serverManifest,
} from '../../../e2e/harness/fixtures.ts';
import { type OperatorSuite, startOperatorSuite } from '../../../e2e/harness/suite.ts';
import { COMPUTE_HOSTS } from './computehost.ts';
import { IMAGES, SERVERS } from './server.ts';
import { SERVER_ACTIONS } from './serveraction.ts';

const NS = 'life';
const RECLAIM = 3; // reclaim_instance_interval, s
const CONFIRM = 2; // resize_confirm_window, s

/** An admin's action on a server of this suite's project, run to its end. */
const act = (client: KubeClient, server: string, action: ServerActionName, parameters?: object) =>
  runAction(client, NS, server, action, { admin: true, parameters });

async function settled(client: KubeClient, name: string, status: string): Promise<Server> {
  return eventually(`${name} ${status}`, async () => {
    const s = await getServer(client, NS, name);
    return s.status?.status === status && !s.status.taskState && !s.status.action && s;
  });
}

async function gone(client: KubeClient, name: string): Promise<boolean> {
  return client.get(objectPath(SERVERS, name, NS)).then(
    () => false,
    (e: unknown) => isNotFound(e),
  );
}

describe('Lifecycle: soft delete, auto-confirm, evacuate, live migration, shelve offload (real apiserver)', function () {
  this.timeout(180_000);
  let suite: OperatorSuite;
  let client: KubeClient;

  before(async () => {
    suite = await startOperatorSuite({
      namespaces: [NS],
      setup: async (c) => {
        for (const h of ['l-0', 'l-1', 'l-2'])
          await createFakeNode(c, h, { cpu: 32, memoryMb: 65536, diskGb: 1000 });
        await createFlavor(c, 'f.one', { vcpus: 1, ram: 512, disk: 1 });
        await createFlavor(c, 'f.two', { vcpus: 2, ram: 1024, disk: 1 });
        await createImage(c, 'tiny');
      },
      config: {
        compute: { reclaim_instance_interval: RECLAIM, resize_confirm_window: CONFIRM },
        fake: { unsupported: ['suspend'] },
      },
      hostsUp: 3,
    });
    client = suite.client;
    for (const name of ['restorable', 'reclaimed', 'auto', 'evac', 'evac-stop', 'live', 'shelf', 'forced']) {
      await createServer(client, NS, serverManifest(name, 'f.one', 'tiny'));
    }
    for (const name of ['restorable', 'reclaimed', 'auto', 'evac', 'evac-stop', 'live', 'shelf', 'forced'])
      await settled(client, name, 'ACTIVE');
  });

  after(async () => {
    await suite?.stop();
  });

  it('a deleted server is SOFT_DELETED and can be restored within reclaim_instance_interval', async () => {
    expect((await act(client, 'restorable', 'delete')).status!.phase).to.equal('Succeeded');
    const deleted = await settled(client, 'restorable', 'SOFT_DELETED');
    expect(deleted.status!.powerState).to.equal('shutdown');
    expect((await act(client, 'restorable', 'restore')).status!.phase).to.equal('Succeeded');
    const restored = await settled(client, 'restorable', 'ACTIVE');
    expect(restored.status!.deletedAt).to.equal(undefined);
  });

  it('a SOFT_DELETED server is reclaimed once reclaim_instance_interval has passed, VM and all', async () => {
    const s = await getServer(client, NS, 'reclaimed');
    await act(client, 'reclaimed', 'delete');
    await settled(client, 'reclaimed', 'SOFT_DELETED');
    const t0 = Date.now();
    await eventually('reclaimed', () => gone(client, 'reclaimed'), (RECLAIM + 10) * 1000);
    expect((Date.now() - t0) / 1000).to.be.at.least(RECLAIM - 1);
    expect(await suite.operator.fakeDriver!.listInstances(s.status!.host!)).to.not.include(s.metadata.uid);
  });

  it('a VERIFY_RESIZE is confirmed automatically after resize_confirm_window, with a recorded action', async () => {
    await act(client, 'auto', 'resize', { flavorRef: 'f.two' });
    await settled(client, 'auto', 'VERIFY_RESIZE');
    await settled(client, 'auto', 'ACTIVE');
    const log = (await client.list<ServerAction>(collectionPath(SERVER_ACTIONS, NS))).items.filter(
      (a) => a.spec.server === 'auto',
    );
    expect(log.map((a) => [a.spec.action, a.spec.user ?? '', a.status?.phase])).to.deep.include([
      'confirmResize',
      'system:resize-confirm-window',
      'Succeeded',
    ]);
  });

  it('evacuate rebuilds a server of a down host on another host', async () => {
    const before = await getServer(client, NS, 'evac');
    const source = before.status!.host!;
    await client.patch(objectPath(COMPUTE_HOSTS, source), { spec: { forcedDown: true } });
    await eventually(
      'forced down seen',
      async () => suite.operator.informers.computeHosts.get(source)?.spec.forcedDown,
    );
    try {
      expect((await act(client, 'evac', 'evacuate')).status!.phase).to.equal('Succeeded');
      const after = await settled(client, 'evac', 'ACTIVE');
      expect(after.status!.host).to.not.equal(source);
      expect(await suite.operator.fakeDriver!.listInstances(after.status!.host!)).to.include(
        before.metadata.uid,
      );
    } finally {
      await client.patch(objectPath(COMPUTE_HOSTS, source), { spec: { forcedDown: false } });
    }
  });

  it('evacuate with targetState stopped (API 2.95+) leaves a running server STOPPED at the destination', async () => {
    const before = await getServer(client, NS, 'evac-stop');
    const source = before.status!.host!;
    await client.patch(objectPath(COMPUTE_HOSTS, source), { spec: { forcedDown: true } });
    await eventually(
      'forced down seen',
      async () => suite.operator.informers.computeHosts.get(source)?.spec.forcedDown,
    );
    try {
      const a = await act(client, 'evac-stop', 'evacuate', { targetState: 'stopped' });
      expect(a.status!.phase).to.equal('Succeeded');
      const after = await settled(client, 'evac-stop', 'SHUTOFF');
      expect(after.status!.host).to.not.equal(source);
      expect(after.status!.powerState).to.equal('shutdown');
      expect(await suite.operator.fakeDriver!.powerState(after.status!.host!, before.metadata.uid!)).to.equal(
        'shutdown',
      );
    } finally {
      await client.patch(objectPath(COMPUTE_HOSTS, source), { spec: { forcedDown: false } });
    }
  });

  it('live migration moves a running server to the host asked for, still running', async () => {
    const before = await getServer(client, NS, 'live');
    const target = ['l-0', 'l-1', 'l-2'].find((h) => h !== before.status!.host)!;
    expect((await act(client, 'live', 'live-migration', { host: target })).status!.phase).to.equal(
      'Succeeded',
    );
    const after = await settled(client, 'live', 'ACTIVE');
    expect(after.status!.host).to.equal(target);
    expect(after.status!.powerState).to.equal('running');
    expect(await suite.operator.fakeDriver!.powerState(target, before.metadata.uid!)).to.equal('running');
  });

  const imageById = async (id: string) =>
    (await client.list<Image>(collectionPath(IMAGES))).items.find((i) => i.metadata.uid === id);

  it("shelving snapshots to '<name>-shelved' and offloads at once (shelved_offload_time 0); unshelving places it again through the scheduler and deletes the snapshot", async () => {
    await act(client, 'shelf', 'shelve');
    const offloaded = await settled(client, 'shelf', 'SHELVED_OFFLOADED');
    expect(offloaded.status!.host).to.equal(undefined);
    const snapshot = await imageById(offloaded.status!.shelvedImageId!);
    expect(snapshot?.spec.name).to.equal('shelf-shelved');
    expect(snapshot?.spec.properties).to.include({
      image_type: 'snapshot',
      instance_uuid: offloaded.metadata.uid,
    });
    expect(snapshot?.spec.owner).to.equal(NS);
    expect((await act(client, 'shelf', 'unshelve')).status!.phase).to.equal('Succeeded');
    const back = await settled(client, 'shelf', 'ACTIVE');
    expect(back.status!.host).to.be.a('string');
    expect(back.status!.shelvedImageId).to.equal(undefined);
    expect(back.status!.image!.name).to.equal('tiny'); // the server still names its own image
    expect(await suite.operator.fakeDriver!.listInstances(back.status!.host!)).to.include(back.metadata.uid);
    await eventually('the shelve snapshot deleted', async () => !(await imageById(snapshot!.metadata.uid!)));
  });

  it("deleting a shelved-offloaded server deletes its shelve snapshot (Nova's compute API _delete)", async () => {
    await createServer(client, NS, serverManifest('shelf-gone', 'f.one', 'tiny'));
    await settled(client, 'shelf-gone', 'ACTIVE');
    await act(client, 'shelf-gone', 'shelve');
    const offloaded = await settled(client, 'shelf-gone', 'SHELVED_OFFLOADED');
    const id = offloaded.status!.shelvedImageId!;
    expect(await imageById(id)).to.not.equal(undefined);
    await client.delete(objectPath(SERVERS, 'shelf-gone', NS));
    await eventually('shelf-gone deleted', () => gone(client, 'shelf-gone'));
    expect(await imageById(id)).to.equal(undefined);
  });

  it('forceDelete deletes at once, even with reclaim_instance_interval set', async () => {
    expect((await act(client, 'forced', 'forceDelete')).status!.phase).to.equal('Succeeded');
    await eventually('forced gone', () => gone(client, 'forced'));
  });

  it('console output and diagnostics come back in the action record, the server unchanged', async () => {
    const console = await act(client, 'live', 'consoleOutput', { length: 2 });
    expect(console.status!.phase).to.equal('Succeeded');
    expect(console.status!.output!.split('\n').filter(Boolean)).to.have.length(2);
    const diag = await act(client, 'live', 'diagnostics');
    expect(diag.status!.diagnostics).to.include({ driver: 'fake', num_cpus: 1 });
    expect((await getServer(client, NS, 'live')).status!.status).to.equal('ACTIVE');
  });

  it('an operation the driver lacks fails the action cleanly and leaves the server as it was', async () => {
    const suspended = await act(client, 'live', 'suspend');
    expect(suspended.status!.phase).to.equal('Failed');
    expect(suspended.status!.message).to.contain('does not support suspend');
    const after = await settled(client, 'live', 'ACTIVE');
    expect(after.status!.powerState).to.equal('running');
  });

  it('spec.powerState shelved shelves the server, and running unshelves it, through recorded actions', async () => {
    await createServer(client, NS, serverManifest('declared', 'f.one', 'tiny'));
    await settled(client, 'declared', 'ACTIVE');
    await suite.cp.kubectl([
      'patch',
      '-n',
      NS,
      'server',
      'declared',
      '--type=merge',
      '-p',
      '{"spec":{"powerState":"shelved"}}',
    ]);
    await settled(client, 'declared', 'SHELVED_OFFLOADED');
    await suite.cp.kubectl([
      'patch',
      '-n',
      NS,
      'server',
      'declared',
      '--type=merge',
      '-p',
      '{"spec":{"powerState":"running"}}',
    ]);
    const back = await settled(client, 'declared', 'ACTIVE');
    expect(back.status!.host).to.be.a('string');
  });
});
