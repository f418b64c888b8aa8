// The libvirt node agent on a real libvirtd + QEMU (software emulation): Servers bound to the
// agent's node boot a real guest whose console shows what it read from the config drive; server
// actions change the real domain; delete leaves nothing; a killed agent converges. Images uploaded
// with Glance (the gateway's image store) boot, and snapshots are uploaded to that store.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_VERSION } from '../operator/src/api/kind.ts';
import type { ComputeHost, Image, Keypair, Server } from '../operator/src/api/v1alpha1/index.ts';
import { COMPUTE_HOSTS } from '../operator/src/controllers/computehost.ts';
import { KEYPAIRS } from '../operator/src/controllers/keypair.ts';
import { IMAGES, SERVERS } from '../operator/src/controllers/server.ts';
import { domainName } from '../operator/src/drivers/libvirt/driver.ts';
import { isNotFound } from '../operator/src/kube/client.ts';
import { collectionPath, objectPath } from '../operator/src/kube/resources.ts';
import {
  createFakeNode,
  createFlavor,
  createServer,
  eventually,
  getServer,
  runAction,
  serverManifest,
  waitForHostsUp,
} from './harness/fixtures.ts';
import { type TestGateway, startGateway } from './harness/gateway.ts';
import { BOOT_MARKER, buildTinyGuest } from './harness/guest.ts';
import {
  type AgentProcess,
  createTinyGuestImages,
  ensureLibvirtd,
  kovaDomains,
  startAgent,
  virsh,
} from './harness/libvirt.ts';
import { type OperatorSuite, startOperatorSuite } from './harness/suite.ts';

const NODE = 'lv-1';
/** KOVA_AGENT_LOG=file keeps the agent's debug log there. */
const debug = process.env.KOVA_AGENT_LOG ? ['--log-level', 'debug'] : [];
const NS = 'demo';

/** An OpenStack-style ed25519 public key line. */
function sshPublicKey(): string {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} test@kova`;
}

describe('libvirt node agent on real libvirtd + QEMU', function () {
  this.timeout(120_000);
  let suite: OperatorSuite;
  let stopLibvirtd: () => void;
  let stateDir: string;
  let agent: AgentProcess;
  let fingerprint: string;
  let gw: TestGateway;
  let storeDir: string;

  const consoleOf = (uid: string) => readFileSync(join(stateDir, uid, 'console.log'), 'utf8');
  /** Boots completed: the guest has read its config drive (and its ACPI daemon listens). */
  const markers = (uid: string) => consoleOf(uid).split('kova-guest: hostname=').length - 1;
  const domState = (uid: string) => virsh('domstate', domainName(uid)).trim();
  const status = async (name: string, want: string) =>
    eventually(
      `${name} ${want}`,
      async () => {
        const s = await getServer(suite.client, NS, name);
        return s.status?.status === want && !s.status.taskState && s;
      },
      60_000,
      200,
    );
  const bootedTimes = (uid: string, n: number) =>
    eventually(`boot ${n} of ${uid}`, async () => markers(uid) >= n && consoleOf(uid), 60_000, 200);

  before(async function () {
    this.timeout(180_000);
    stopLibvirtd = (await ensureLibvirtd()).stop;
    stateDir = mkdtempSync(join(tmpdir(), 'kova-libvirt-e2e-'));
    chmodSync(stateDir, 0o755); // QEMU runs as libvirt-qemu: it must reach the disks
    suite = await startOperatorSuite({
      namespaces: [NS],
      config: { compute: { allow_resize_to_same_host: true } }, // one libvirt node: resize in place
      setup: async (client) => {
        await createFakeNode(client, NODE, { cpu: 2, memoryMb: 4096, diskGb: 20 }, 'libvirt');
        await createFlavor(client, 'm1.nano', { vcpus: 1, ram: 128, disk: 1 });
        await createFlavor(client, 'm1.micro', { vcpus: 1, ram: 192, disk: 2 });
        await createTinyGuestImages(client, 'tiny');
        await client.create(collectionPath(KEYPAIRS), {
          apiVersion: API_VERSION,
          kind: 'Keypair',
          metadata: { name: 'alice-mykey' },
          spec: { name: 'mykey', user: 'alice', type: 'ssh', publicKey: sshPublicKey() },
        });
      },
    });
    // The gateway's image store, which the agent fetches uploaded images from and uploads snapshots to.
    storeDir = mkdtempSync(join(tmpdir(), 'kova-libvirt-store-'));
    gw = await startGateway(suite.cp, {
      bootstrap: { user: 'admin', password: 'secret', project: 'admin' },
      imageStore: { dir: storeDir },
    });
    agent = startAgent(suite.cp, NODE, stateDir, [
      '--shutdown-timeout',
      '30',
      '--image-store-url',
      gw.url,
      '--image-store-secret-file',
      join(storeDir, '.secret'),
      ...debug,
    ]);
    await waitForHostsUp(suite.client, 1, 60_000);
    fingerprint = await eventually('the keypair fingerprint', async () => {
      const kp = await suite.client.get<Keypair>(objectPath(KEYPAIRS, 'alice-mykey'));
      return kp.status?.fingerprint;
    });
  });

  after(async function () {
    this.timeout(60_000);
    agent?.child.kill('SIGTERM');
    await agent?.exited;
    if (process.env.KOVA_AGENT_LOG && agent) writeFileSync(process.env.KOVA_AGENT_LOG, agent.log());
    // Whatever a failed test left behind.
    for (const d of kovaDomains()) {
      try {
        virsh('destroy', d);
      } catch {
        // not running
      }
      virsh('undefine', d, '--managed-save', '--nvram');
    }
    await gw?.close();
    await suite?.stop();
    stopLibvirtd?.();
    if (storeDir) rmSync(storeDir, { recursive: true, force: true });
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it("registers the node's hypervisor: QEMU's version, host memory as /proc/meminfo says, CPUs, cpu_info, up", async () => {
    const ch = await eventually('lv-1 reported', async () => {
      const h = await suite.client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, NODE));
      return h.status?.hypervisorType === 'QEMU' && h.status.state === 'up' && h;
    });
    const memTotalMb = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) / 1024;
    expect(ch.status!.capacity!.memoryMb).to.be.within(memTotalMb * 0.95, memTotalMb * 1.05);
    expect(ch.status!.capacity!.vcpus).to.be.greaterThan(0);
    expect(ch.status!.hypervisorVersion).to.be.greaterThan(1_000_000);
    expect(ch.status!.cpuInfo).to.have.property('arch', 'x86_64');
    expect(ch.status!.driver).to.equal('libvirt');
  });

  let web: Server;
  it('a Server on the node boots a real QEMU guest that prints the name, hostname and key from its config drive', async () => {
    const s = serverManifest('web', 'm1.nano', 'tiny');
    s.spec.keyName = 'mykey';
    s.spec.name = 'Web One';
    await createServer(suite.client, NS, s);
    web = await status('web', 'ACTIVE');
    expect(web.status!.host).to.equal(NODE);
    expect(web.status!.powerState).to.equal('running');
    const uid = web.metadata.uid!;
    const out = await eventually(
      'the fingerprint on the console',
      async () => {
        const c = existsSync(join(stateDir, uid, 'console.log')) ? consoleOf(uid) : '';
        return c.includes('key-fingerprint=') && c;
      },
      60_000,
      200,
    );
    expect(out).to.include(BOOT_MARKER);
    expect(out).to.include('kova-guest: name=Web One');
    expect(out).to.include('kova-guest: hostname=web-one');
    expect(out).to.include(`kova-guest: key-fingerprint=${fingerprint}`);
    expect(domState(uid)).to.equal('running');
    // Nova's layout: an overlay on the cached base, the config drive, the console log.
    expect(readdirSync(join(stateDir, uid))).to.include.members(['disk', 'disk.config', 'console.log']);
  });

  it('stop is a clean ACPI shutdown and start a fresh boot; soft and hard reboot boot the guest again', async () => {
    const uid = web.metadata.uid!;
    const before = markers(uid);
    const stop = await runAction(suite.client, NS, 'web', 'stop');
    expect(stop.status!.phase).to.equal('Succeeded');
    await status('web', 'SHUTOFF');
    expect(domState(uid)).to.equal('shut off');
    expect(consoleOf(uid)).to.include('power button: shutting down'); // the guest heard ACPI
    await runAction(suite.client, NS, 'web', 'start');
    await status('web', 'ACTIVE');
    expect(domState(uid)).to.equal('running');
    await bootedTimes(uid, before + 1);
    await runAction(suite.client, NS, 'web', 'reboot', { parameters: { type: 'SOFT' } });
    await status('web', 'ACTIVE');
    await bootedTimes(uid, before + 2);
    await runAction(suite.client, NS, 'web', 'reboot', { parameters: { type: 'HARD' } });
    await status('web', 'ACTIVE');
    await bootedTimes(uid, before + 3);
    expect(domState(uid)).to.equal('running');
  });

  it('pause/unpause stop and resume the vCPUs; suspend/resume save the guest to disk and restore it', async () => {
    const uid = web.metadata.uid!;
    await runAction(suite.client, NS, 'web', 'pause');
    await status('web', 'PAUSED');
    expect(domState(uid)).to.equal('paused');
    await runAction(suite.client, NS, 'web', 'unpause');
    await status('web', 'ACTIVE');
    expect(domState(uid)).to.equal('running');
    const boots = markers(uid);
    await runAction(suite.client, NS, 'web', 'suspend');
    const suspended = await status('web', 'SUSPENDED');
    expect(suspended.status!.powerState).to.equal('suspended');
    expect(domState(uid)).to.equal('shut off');
    expect(virsh('dominfo', domainName(uid))).to.match(/Managed save:\s+yes/);
    await runAction(suite.client, NS, 'web', 'resume');
    await status('web', 'ACTIVE');
    expect(domState(uid)).to.equal('running');
    expect(markers(uid)).to.equal(boots); // restored, not booted
  });

  it('console output and diagnostics (domstats) come back in the action record', async () => {
    const out = await runAction(suite.client, NS, 'web', 'consoleOutput');
    expect(out.status!.output).to.include('kova-guest: hostname=web-one');
    const diag = await runAction(suite.client, NS, 'web', 'diagnostics');
    expect(diag.status!.diagnostics).to.include({ driver: 'libvirt', state: 'running', num_cpus: 1 });
    expect(diag.status!.diagnostics).to.have.property('config_drive', true);
  });

  it('createImage snapshots the disk and uploads it to the image store (an active Image any node can fetch); rescue boots the rescue disk first, unrescue the own disk', async () => {
    const uid = web.metadata.uid!;
    const snap = await runAction(suite.client, NS, 'web', 'createImage', {
      parameters: { name: 'web-snap' },
    });
    expect(snap.status!.phase).to.equal('Succeeded');
    const images = (await suite.client.list<Image>(collectionPath(IMAGES))).items;
    const image = images.find((i) => i.spec.name === 'web-snap');
    expect(image?.status).to.include({ phase: 'active' });
    expect(image!.status!.size).to.be.greaterThan(0);
    expect(image!.spec.properties).to.include({ image_type: 'snapshot', instance_uuid: uid });
    // Uploaded to the gateway's store: the Image's source is its data URL, the node's file is gone.
    expect(image!.spec.source?.url).to.match(new RegExp(`^${gw.url}/image-data/${image!.metadata.uid}/`));
    expect(readdirSync(join(stateDir, 'snapshots')).filter((f) => !f.endsWith('.tmp'))).to.deep.equal([]);
    const data = await fetch(image!.spec.source!.url!);
    expect(Number(data.headers.get('content-length'))).to.equal(image!.status!.size);
    await data.body?.cancel();
    const boots = markers(uid);
    await runAction(suite.client, NS, 'web', 'rescue');
    await status('web', 'RESCUE');
    // The rescue disk is the first disk (vda), the server's own the second.
    expect(/disk\.rescue'[^]*?<target dev='(\w+)'/.exec(virsh('dumpxml', domainName(uid)))?.[1]).to.equal(
      'vda',
    );
    await bootedTimes(uid, boots + 1);
    await runAction(suite.client, NS, 'web', 'unrescue');
    await status('web', 'ACTIVE');
    expect(virsh('dumpxml', domainName(uid))).not.to.include('disk.rescue');
    await bootedTimes(uid, boots + 2);
  });

  it('boots from images uploaded with Glance (kernel, ramdisk, root); deleting the image in use leaves the server running and rebooting', async () => {
    const token = await gw.token('admin', 'secret', 'admin');
    const guest = buildTinyGuest();
    const upload = async (name: string, diskFormat: string, file: string, extra: object = {}) => {
      const created = await gw.call('POST', '/image/v2/images', {
        token,
        body: {
          name,
          disk_format: diskFormat,
          container_format: diskFormat === 'raw' ? 'bare' : diskFormat,
          ...extra,
        },
      });
      expect(created.status, JSON.stringify(created.body)).to.equal(201);
      const id = created.body.id as string;
      const res = await fetch(`${gw.url}/image/v2/images/${id}/file`, {
        method: 'PUT',
        headers: { 'X-Auth-Token': token, 'Content-Type': 'application/octet-stream' },
        body: readFileSync(file),
      });
      expect(res.status).to.equal(204);
      return id;
    };
    const kernel = await upload('up-kernel', 'aki', guest.kernel);
    const ramdisk = await upload('up-ramdisk', 'ari', guest.initramfs);
    const root = await upload('up-root', 'raw', guest.root, {
      kernel_id: kernel,
      ramdisk_id: ramdisk,
      os_command_line: guest.cmdline,
    });
    await createServer(suite.client, NS, serverManifest('up', 'm1.nano', root));
    const up = await status('up', 'ACTIVE');
    const uid = up.metadata.uid!;
    expect(up.status!.image?.id).to.equal(root);
    const out = await bootedTimes(uid, 1);
    expect(out).to.include(BOOT_MARKER);

    // Glance deletes an image in use; the node keeps the base and the server reboots from it.
    expect((await gw.call('DELETE', `/image/v2/images/${root}`, { token })).status).to.equal(204);
    await runAction(suite.client, NS, 'up', 'reboot', { parameters: { type: 'HARD' } });
    await status('up', 'ACTIVE');
    await bootedTimes(uid, 2);
    await suite.client.delete(objectPath(SERVERS, 'up', NS));
    await eventually('up deleted', async () => {
      try {
        await getServer(suite.client, NS, 'up');
        return false;
      } catch (e) {
        return isNotFound(e);
      }
    });
  });

  it('resize on the node grows memory and the root disk (VERIFY_RESIZE), and confirm keeps it', async () => {
    const uid = web.metadata.uid!;
    const boots = markers(uid);
    await runAction(suite.client, NS, 'web', 'resize', { parameters: { flavorRef: 'm1.micro' } });
    const resized = await status('web', 'VERIFY_RESIZE');
    expect(resized.status!.flavor!.name).to.equal('m1.micro');
    expect(virsh('dumpxml', domainName(uid))).to.include("<memory unit='KiB'>196608</memory>");
    const info = JSON.parse(
      execFileSync('qemu-img', ['info', '-U', '--output', 'json', join(stateDir, uid, 'disk')], {
        encoding: 'utf8',
      }),
    ) as { 'virtual-size': number };
    expect(info['virtual-size']).to.equal(2 * 2 ** 30);
    expect(domState(uid)).to.equal('running');
    await runAction(suite.client, NS, 'web', 'confirmResize');
    await status('web', 'ACTIVE');
    await bootedTimes(uid, boots + 1); // rebooted with the new flavor
  });

  it('a guest that powers itself off is seen (lifecycle event): Nova stops the server, which stays SHUTOFF', async () => {
    const uid = web.metadata.uid!;
    virsh('shutdown', domainName(uid)); // from outside Kova, as a guest's own poweroff
    const s = await status('web', 'SHUTOFF');
    expect(s.status!.powerState).to.equal('shutdown');
    expect(s.spec.powerState).to.equal('stopped'); // what the user holds now: not restarted
    expect(domState(uid)).to.equal('shut off');
  });

  it('delete removes the domain, the overlay, the config drive and the console log', async () => {
    const uid = web.metadata.uid!;
    await suite.client.delete(objectPath(SERVERS, 'web', NS));
    await eventually(
      'web gone',
      async () =>
        suite.client.get(objectPath(SERVERS, 'web', NS)).then(
          () => false,
          (e: unknown) => isNotFound(e),
        ),
      60_000,
    );
    expect(kovaDomains()).not.to.include(domainName(uid));
    expect(readdirSync(stateDir)).not.to.include(uid);
  });

  it('an agent killed during a spawn converges when restarted: one domain, no leaked disk', async () => {
    await createServer(suite.client, NS, serverManifest('crashy', 'm1.nano', 'tiny'));
    const uid = await eventually('crashy bound', async () => {
      const s = await getServer(suite.client, NS, 'crashy');
      return s.status?.host === NODE && s.metadata.uid;
    });
    // Kill it as soon as the spawn has started writing the instance's folder.
    await eventually('the spawn under way', async () => existsSync(join(stateDir, uid)), 30_000, 5);
    agent.child.kill('SIGKILL');
    await agent.exited;
    agent = startAgent(suite.cp, NODE, stateDir, ['--shutdown-timeout', '30']);
    await status('crashy', 'ACTIVE');
    await bootedTimes(uid, 1);
    expect(kovaDomains(), 'the domains').to.deep.equal([domainName(uid)]);
    const folders = readdirSync(stateDir).filter((f) => f !== '_base' && f !== 'snapshots');
    expect(folders, 'the instance folders').to.deep.equal([uid]);
    await suite.client.delete(objectPath(SERVERS, 'crashy', NS));
    await eventually(
      'nothing left',
      async () =>
        kovaDomains().length === 0 && readdirSync(stateDir).every((f) => f === '_base' || f === 'snapshots'),
      60_000,
    );
    // The image cache keeps its bases (removed once unused for a day).
    expect((await suite.client.list(collectionPath(IMAGES))).items.length).to.be.greaterThan(0);
  });
});
