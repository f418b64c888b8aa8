// The openstack CLI (Debian's python3-openstackclient) on Glance v2 with upload, with the operator
// and the fake driver: `image create --file` a qcow2 of the tiny guest's disk, `server create
// --image` boots from it, `image show` reports it active with its size and md5, `image set
// --property`, `image save` downloads the same bytes, and `image delete` of an image in use
// deletes it as Glance does while the server keeps running.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Image } from '../../../operator/src/api/v1alpha1/index.ts';
import { IMAGES } from '../../../operator/src/controllers/server.ts';
import { collectionPath } from '../../../operator/src/kube/resources.ts';
import { createFakeNode, createFlavor, eventually } from '../../../e2e/harness/fixtures.ts';
import { type TestGateway, startGateway } from '../../../e2e/harness/gateway.ts';
import { buildTinyGuest } from '../../../e2e/harness/guest.ts';
import { OpenStackCli } from '../../../e2e/harness/openstack.ts';
import { type OperatorSuite, startOperatorSuite } from '../../../e2e/harness/suite.ts';

type Row = Record<string, unknown>;

describe('openstack CLI: image create --file, boot from it, show, set, save, delete', function () {
  this.timeout(300_000);
  let suite: OperatorSuite;
  let gw: TestGateway;
  let alice: OpenStackCli;
  let bob: OpenStackCli;
  let projectB: string;
  let work: string;
  let disk: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'kova-image-cli-'));
    // The tiny guest's root disk as a qcow2 (what a user uploads).
    disk = join(work, 'guest.qcow2');
    execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', buildTinyGuest().root, disk]);
    suite = await startOperatorSuite({
      hostsUp: 1,
      setup: async (client) => {
        await createFakeNode(client, 'node-1', { cpu: 16, memoryMb: 32768, diskGb: 400 });
        await createFlavor(client, 'm1.small', { vcpus: 1, ram: 512, disk: 1, id: '2' });
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
    projectB = (await gw.addUser('bob', 'bob-pw', 'project-b', 'member')).projectId;
    bob = new OpenStackCli({ authUrl: gw.authUrl, user: 'bob', password: 'bob-pw', project: 'project-b' });
  });
  after(async () => {
    await gw?.close();
    await suite?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('uploads img1, boots a server from it, sets a property, saves identical bytes, and deletes it while in use', async () => {
    const bytes = await readFile(disk);
    const md5 = createHash('md5').update(bytes).digest('hex');

    const created = await alice.json<Row>([
      'image',
      'create',
      '--file',
      disk,
      '--disk-format',
      'qcow2',
      '--container-format',
      'bare',
      'img1',
    ]);
    const id = created.id as string;
    const shown = await alice.json<Row>(['image', 'show', 'img1']);
    expect(shown).to.include({ id, name: 'img1', status: 'active', checksum: md5, size: bytes.length });

    const server = await alice
      .withComputeVersion('2.37')
      .json<Row>([
        'server',
        'create',
        '--flavor',
        'm1.small',
        '--image',
        'img1',
        '--nic',
        'none',
        '--wait',
        'vm1',
      ]);
    expect(server).to.include({ status: 'ACTIVE' });
    expect(JSON.stringify(server.image)).to.contain(id);

    await alice.ok(['image', 'set', '--property', 'hw_disk_bus=virtio', 'img1']);
    const withProperty = await alice.json<Row>(['image', 'show', 'img1']);
    expect(JSON.stringify(withProperty.properties)).to.contain('hw_disk_bus');
    const k = (await suite.client.list<Image>(collectionPath(IMAGES))).items.find(
      (i) => i.metadata.uid === id,
    );
    expect(k?.spec.properties?.hw_disk_bus).to.equal('virtio');

    const saved = join(work, 'saved.qcow2');
    await alice.ok(['image', 'save', '--file', saved, 'img1']);
    expect((await readFile(saved)).equals(bytes)).to.equal(true);

    // Glance deletes an image in use; Nova's servers keep running from their hosts' cached base.
    await alice.ok(['image', 'delete', 'img1']);
    const listed = await alice.json<Row[]>(['image', 'list']);
    expect(listed.map((i) => i.ID)).to.not.include(id);
    await eventually('the server still ACTIVE', async () => {
      const s = await alice.json<Row>(['server', 'show', 'vm1']);
      return s.status === 'ACTIVE' && JSON.stringify(s.image).includes(id);
    });
    await alice.ok(['server', 'delete', '--wait', 'vm1']);
  });

  it('image add project shares an image; the member accepts it with image set --accept and then lists it', async () => {
    const img = await alice.json<Row>(['image', 'create', '--shared', '--file', disk, 'shared1']);
    const id = img.id as string;
    await alice.ok(['image', 'add', 'project', id, projectB]);
    const members = await alice.json<Row[]>(['image', 'member', 'list', id]);
    expect(members.map((m) => m['Member ID'])).to.deep.equal([projectB]);
    expect((await bob.json<Row[]>(['image', 'list'])).map((i) => i.ID)).to.not.include(id);
    await bob.ok(['image', 'set', '--accept', id]);
    expect((await bob.json<Row[]>(['image', 'list'])).map((i) => i.ID)).to.include(id);
    await alice.ok(['image', 'remove', 'project', id, projectB]);
    expect((await bob.json<Row[]>(['image', 'list'])).map((i) => i.ID)).to.not.include(id);
  });
});
