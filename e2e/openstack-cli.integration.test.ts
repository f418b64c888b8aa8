// The Debian `openstack` CLI (python3-openstackclient) against the gateway on a real apiserver:
// every command succeeds and what it prints matches the objects in Kubernetes. Run once at the
// CLI's default compute microversion and once at 2.90.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Flavor, Image, Keypair } from '../operator/src/api/v1alpha1/index.ts';
import { IMAGES } from '../operator/src/controllers/server.ts';
import { ControlPlane } from './harness/controlplane.ts';
import { createImage } from './harness/fixtures.ts';
import { type TestGateway, startGateway } from './harness/gateway.ts';
import { OpenStackCli } from './harness/openstack.ts';

interface KubeList<T> {
  items: T[];
}

describe('openstack CLI against the Kova gateway', function () {
  this.timeout(300_000);
  let cp: ControlPlane;
  let gw: TestGateway;
  let admin: OpenStackCli;
  let dir: string;

  const kubectlJson = async <T>(args: string[]): Promise<T> => {
    const r = await cp.kubectl([...args, '-o', 'json']);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as T;
  };
  const flavors = async () => (await kubectlJson<KubeList<Flavor>>(['get', 'flavors'])).items;
  const keypairs = async () => (await kubectlJson<KubeList<Keypair>>(['get', 'keypairs'])).items;

  before(async () => {
    cp = await ControlPlane.start();
    gw = await startGateway(cp, { bootstrap: { user: 'admin', password: 'secret', project: 'admin' } });
    admin = new OpenStackCli({ authUrl: gw.authUrl, user: 'admin', password: 'secret', project: 'admin' });
    dir = mkdtempSync(join(tmpdir(), 'kova-cli-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'cli@kova', '-f', join(dir, 'id')]);
    await createImage(gw.gateway.ctx.kube, 'cirros');
    // Created past the gateway (as kubectl would): wait until its cache has it.
    const images = await gw.gateway.ctx.caches.get<Image>(IMAGES);
    await images.waitUntil(() => images.list().some((i) => i.spec.name === 'cirros'));
  });
  after(async () => {
    await gw?.close();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('token issue: a project-scoped token for the bootstrap admin, as stored in Kubernetes', async () => {
    const token = await admin.json<{ id: string; project_id: string; user_id: string; expires: string }>([
      'token',
      'issue',
    ]);
    const ns = await kubectlJson<{ metadata: { labels: Record<string, string> } }>([
      'get',
      'namespace',
      'admin',
    ]);
    expect(token.project_id).to.equal(ns.metadata.labels['identity.kova.io/project-id']);
    const secret = await kubectlJson<{ data: Record<string, string> }>([
      'get',
      'secret',
      '-n',
      'kova-system',
      `kova-user-${token.user_id}`,
    ]);
    expect(Buffer.from(secret.data.name!, 'base64').toString()).to.equal('admin');
    expect(Date.parse(token.expires)).to.be.greaterThan(Date.now());
  });

  it('image list shows the Image objects (Glance v2), by their uid', async () => {
    const images = await admin.json<{ ID: string; Name: string; Status: string }[]>(['image', 'list']);
    const [cirros] = (await kubectlJson<KubeList<Image>>(['get', 'images'])).items;
    expect(images).to.deep.include({
      ID: cirros!.metadata.uid,
      Name: 'cirros',
      Status: cirros!.status?.phase ?? 'queued',
    });
  });

  it('project create, user create, role add: the new member logs in, and admin-only calls are refused', async () => {
    const project = await admin.json<{ id: string; name: string }>(['project', 'create', 'demo']);
    const user = await admin.json<{ id: string; name: string }>([
      'user',
      'create',
      '--password',
      'demo-pw',
      '--project',
      'demo',
      'demo',
    ]);
    await admin.ok(['role', 'add', '--project', 'demo', '--user', 'demo', 'member']);
    const assignments = await admin.json<{ Role: string; User: string; Project: string }[]>([
      'role',
      'assignment',
      'list',
      '--user',
      'demo',
      '--names',
    ]);
    expect(assignments.map((a) => a.Role)).to.deep.equal(['member']);
    const rb = await kubectlJson<{ roleRef: { name: string }; subjects: { name: string }[] }>([
      'get',
      'rolebinding',
      '-n',
      'demo',
      `kova-member-${user.id}`,
    ]);
    expect(rb.roleRef.name).to.equal('kova:member');
    expect(rb.subjects[0]!.name).to.equal(`kova:${user.id}`);

    const demo = new OpenStackCli({
      authUrl: gw.authUrl,
      user: 'demo',
      password: 'demo-pw',
      project: 'demo',
    });
    const token = await demo.json<{ project_id: string; user_id: string }>(['token', 'issue']);
    expect(token).to.deep.equal({ ...token, project_id: project.id, user_id: user.id });
    await demo.json(['flavor', 'list']);
    const refused = await demo.run(['flavor', 'create', '--ram', '1', '--vcpus', '1', '--disk', '0', 'nope']);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.include(
      "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.",
    );
    expect(refused.stderr).to.include('403');

    await admin.ok(['user', 'set', '--password', 'new-pw', 'demo']);
    expect((await demo.run(['token', 'issue'])).code, 'the old password').to.not.equal(0);
    const renewed = new OpenStackCli({ ...demo.creds, password: 'new-pw' });
    await renewed.json(['token', 'issue']);

    await admin.ok(['role', 'remove', '--project', 'demo', '--user', 'demo', 'member']);
    expect((await renewed.run(['token', 'issue'])).code, 'no role left').to.not.equal(0);
    await admin.ok(['user', 'delete', 'demo']);
    await admin.ok(['project', 'delete', 'demo']);
    const projects = await admin.json<{ Name: string }[]>(['project', 'list']);
    expect(projects.map((p) => p.Name)).to.deep.equal(['admin']);
    // The gateway made the namespace for the project: it goes with it (Terminating here, as the
    // test control plane runs no namespace controller to finish the delete).
    const ns = await kubectlJson<{ metadata: { deletionTimestamp?: string } }>(['get', 'namespace', 'demo']);
    expect(ns.metadata.deletionTimestamp).to.be.a('string');
  });

  it('flavor create --private --project, set/unset --project: the access list in the Flavor object', async () => {
    const adminProject = (await admin.json<{ project_id: string }>(['token', 'issue'])).project_id;
    await admin.json([
      'flavor',
      'create',
      '--ram',
      '256',
      '--vcpus',
      '1',
      '--disk',
      '1',
      '--private',
      '--project',
      'admin',
      'm1.private',
    ]);
    const obj = () => flavors().then((all) => all.find((f) => f.spec.name === 'm1.private')!);
    expect((await obj()).spec).to.include({ isPublic: false });
    expect((await obj()).spec.access).to.deep.equal([adminProject]);
    const shown = await admin.json<{ access_project_ids: string[]; 'os-flavor-access:is_public': boolean }>([
      'flavor',
      'show',
      'm1.private',
    ]);
    expect(shown.access_project_ids).to.deep.equal([adminProject]);
    expect(shown['os-flavor-access:is_public']).to.equal(false);
    await admin.ok(['flavor', 'unset', '--project', 'admin', 'm1.private']);
    expect((await obj()).spec.access ?? []).to.deep.equal([]);
    await admin.ok(['flavor', 'set', '--project', 'admin', 'm1.private']);
    expect((await obj()).spec.access).to.deep.equal([adminProject]);
    await admin.ok(['flavor', 'delete', 'm1.private']);
  });

  for (const version of [undefined, '2.90']) {
    describe(`at compute microversion ${version ?? 'default (2.1)'}`, () => {
      let cli: OpenStackCli;
      const suffix = version ? 'v290' : 'v21';
      const flavorName = `m1.tiny-${suffix}`;
      const keyName = `key-${suffix}`;
      before(() => (cli = admin.withComputeVersion(version)));

      it('flavor create/list/show/set/delete, matching the Flavor objects', async () => {
        const created = await cli.json<Record<string, unknown>>([
          'flavor',
          'create',
          '--ram',
          '512',
          '--vcpus',
          '2',
          '--disk',
          '5',
          '--ephemeral',
          '1',
          '--swap',
          '128',
          flavorName,
        ]);
        const obj = (await flavors()).find((f) => f.spec.name === flavorName)!;
        expect(obj, 'Flavor object').to.not.equal(undefined);
        expect(created).to.include({ id: obj.spec.id, name: flavorName, ram: 512, vcpus: 2, disk: 5 });
        expect(obj.spec).to.include({ ram: 512, vcpus: 2, disk: 5, ephemeral: 1, swap: 128, isPublic: true });

        const list = await cli.json<{ ID: string; Name: string; RAM: number; VCPUs: number }[]>([
          'flavor',
          'list',
        ]);
        expect(list.find((f) => f.Name === flavorName)).to.include({ ID: obj.spec.id, RAM: 512, VCPUs: 2 });

        await cli.ok(['flavor', 'set', '--property', 'hw:cpu_policy=dedicated', flavorName]);
        if (version) await cli.ok(['flavor', 'set', '--description', 'two cores', flavorName]);
        const shown = await cli.json<Record<string, unknown>>(['flavor', 'show', flavorName]);
        const after = (await flavors()).find((f) => f.spec.name === flavorName)!;
        expect(after.spec.extraSpecs).to.deep.equal({ 'hw:cpu_policy': 'dedicated' });
        expect(shown.properties).to.deep.equal(after.spec.extraSpecs);
        expect(shown.swap).to.equal(128);
        if (version) {
          expect(after.spec.description).to.equal('two cores');
          expect(shown.description).to.equal('two cores');
        }

        await cli.ok(['flavor', 'unset', '--property', 'hw:cpu_policy', flavorName]);
        expect(
          (await flavors()).find((f) => f.spec.name === flavorName)!.spec.extraSpecs ?? {},
        ).to.deep.equal({});

        await cli.ok(['flavor', 'delete', flavorName]);
        expect((await flavors()).some((f) => f.spec.name === flavorName)).to.equal(false);
        const gone = await cli.json<{ Name: string }[]>(['flavor', 'list']);
        expect(gone.map((f) => f.Name)).not.to.include(flavorName);
      });

      it('keypair create --public-key/list/show/delete, matching the Keypair objects', async () => {
        const publicKey = readFileSync(join(dir, 'id.pub'), 'utf8').trim();
        const created = await cli.json<Record<string, unknown>>([
          'keypair',
          'create',
          '--public-key',
          join(dir, 'id.pub'),
          keyName,
        ]);
        const obj = (await keypairs()).find((k) => k.spec.name === keyName)!;
        expect(obj, 'Keypair object').to.not.equal(undefined);
        expect(obj.spec.publicKey).to.equal(publicKey);
        expect(created).to.include({ name: keyName, user_id: obj.spec.user, type: 'ssh' });

        const list = await cli.json<{ Name: string; Fingerprint: string }[]>(['keypair', 'list']);
        const listed = list.find((k) => k.Name === keyName)!;
        expect(listed.Fingerprint).to.equal(created.fingerprint);

        const shown = await cli.json<Record<string, unknown>>(['keypair', 'show', keyName]);
        expect(shown).to.include({ name: keyName, user_id: obj.spec.user, fingerprint: created.fingerprint });
        const pub = await cli.ok(['keypair', 'show', '--public-key', keyName]);
        expect(pub.trim()).to.equal(publicKey);

        await cli.ok(['keypair', 'delete', keyName]);
        expect((await keypairs()).some((k) => k.spec.name === keyName)).to.equal(false);
        const after = await cli.json<{ Name: string }[]>(['keypair', 'list']);
        expect(after.map((k) => k.Name)).not.to.include(keyName);
      });
    });
  }
});
