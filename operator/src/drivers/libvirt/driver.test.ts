import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Image } from '../../api/v1alpha1/index.ts';
import { DriverError, type Instance } from '../driver.ts';
import { LibvirtDriver, domainName, type LibvirtDriverOptions } from './driver.ts';
import { FakeLibvirt } from './fake.ts';

const UUID = '6f1c3b8e-0000-4000-8000-000000000001';
const NAME = domainName(UUID);

describe('libvirt driver on an in-memory libvirt', () => {
  let dir: string;
  let libvirt: FakeLibvirt;
  let images: Image[];

  const image = (name: string, uid: string, nodePath: string, extra: Partial<Image['spec']> = {}): Image =>
    ({
      metadata: { name, uid },
      spec: { name, diskFormat: 'raw', source: { nodePath }, ...extra },
    }) as Image;

  function driver(o: Partial<LibvirtDriverOptions> = {}): LibvirtDriver {
    return new LibvirtDriver({
      libvirt,
      host: 'node-a',
      stateDir: join(dir, 'instances'),
      image: (ref) => images.find((i) => i.metadata.uid === ref || i.metadata.name === ref),
      keypair: (i) => (i.keyName ? { name: i.keyName, type: 'ssh', data: 'ssh-ed25519 AAAA me' } : undefined),
      shutdownTimeoutS: 1,
      shutdownRetryS: 0.3,
      ...o,
    });
  }

  const instance = (o: Partial<Instance> = {}): Instance => ({
    uuid: UUID,
    key: 'demo/web',
    displayName: 'web',
    host: 'node-a',
    flavor: { name: 'm1.tiny', vcpus: 1, ram: 128, disk: 1, ephemeral: 1, swap: 16 },
    imageRef: 'img-1',
    keyName: 'mykey',
    ...o,
  });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kova-libvirt-'));
    libvirt = new FakeLibvirt();
    const base = join(dir, 'base.raw');
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', base, '1M']);
    writeFileSync(join(dir, 'vmlinuz'), 'kernel');
    images = [
      image('tiny', 'img-1', base, { properties: { kernel_id: 'kernel' } }),
      image('kernel', 'img-k', join(dir, 'vmlinuz'), { diskFormat: 'aki' }),
    ];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('spawn lays out Nova disks (overlay on the cached base, ephemeral, swap, config drive), defines and boots', async () => {
    const d = driver();
    const res = await d.spawn(instance());
    expect(res.addresses[0]).to.include({ network: 'private', addr: '10.0.2.15' });
    expect(readdirSync(d.instanceDir(UUID)).sort()).to.include.members([
      'disk',
      'disk.config',
      'disk.eph0',
      'disk.swap',
      'instance.json',
    ]);
    const info = JSON.parse(
      execFileSync('qemu-img', ['info', '--output', 'json', join(d.instanceDir(UUID), 'disk')], {
        encoding: 'utf8',
      }),
    ) as { 'backing-filename': string; 'virtual-size': number };
    expect(info['backing-filename']).to.match(/_base\/[0-9a-f]{40}$/);
    expect(info['virtual-size']).to.equal(2 ** 30); // grown to the flavor's disk
    expect(await d.powerState('node-a', UUID)).to.equal('running');
    const xml = await libvirt.dumpXml(NAME);
    expect(xml).to.include('disk.config').and.include('<kernel>');
  });

  it('spawn is idempotent: a second call neither redefines nor restarts the domain', async () => {
    const d = driver();
    await d.spawn(instance());
    const calls = libvirt.calls.length;
    await d.spawn(instance());
    expect(libvirt.calls.slice(calls)).to.deep.equal([]);
  });

  it('spawn after a crash converges: leftover disks without a domain are rebuilt; a defined domain is started', async () => {
    const d = driver();
    mkdirSync(d.instanceDir(UUID), { recursive: true });
    writeFileSync(join(d.instanceDir(UUID), 'disk.part'), 'junk');
    await d.spawn(instance());
    expect(readdirSync(d.instanceDir(UUID))).not.to.include('disk.part');
    await libvirt.destroy(NAME); // as if killed between define and start
    await d.spawn(instance());
    expect(await d.powerState('node-a', UUID)).to.equal('running');
    expect(libvirt.domains.size).to.equal(1);
  });

  it('a build with an unknown image or a flavor disk smaller than the image fails as a BuildFailure', async () => {
    const d = driver();
    await d.spawn(instance({ imageRef: 'nope' })).then(
      () => expect.fail('spawned'),
      (err: Error) => expect(err.name).to.equal('BuildFailure'),
    );
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', join(dir, 'big.qcow2'), '2G']);
    images.push(image('big', 'img-big', join(dir, 'big.qcow2'), { diskFormat: 'qcow2' }));
    await d.spawn(instance({ imageRef: 'img-big' })).then(
      () => expect.fail('spawned'),
      (err: Error) => expect(err.message).to.match(/Flavor's disk is too small/),
    );
  });

  it('power off is a clean ACPI shutdown when the guest obeys', async () => {
    const d = driver();
    await d.spawn(instance());
    await d.powerOff('node-a', UUID);
    expect(await d.powerState('node-a', UUID)).to.equal('shutdown');
    expect(libvirt.calls).not.to.include(`destroy ${NAME}`);
  });

  it('power off presses the button again every retry interval, then pulls the plug (no ACPI daemon)', async () => {
    const d = driver();
    await d.spawn(instance());
    libvirt.ignoreAcpi.add(NAME);
    await d.powerOff('node-a', UUID);
    expect(libvirt.calls.filter((c) => c === `shutdown ${NAME}`).length).to.be.greaterThan(1);
    expect(libvirt.calls).to.include(`destroy ${NAME}`);
    expect(await d.powerState('node-a', UUID)).to.equal('shutdown');
  });

  it('pause/unpause, suspend (managed save)/resume and hard reboot change the domain; wrong states are DriverErrors', async () => {
    const d = driver();
    await d.spawn(instance());
    await d.pause('node-a', UUID);
    expect(await d.powerState('node-a', UUID)).to.equal('paused');
    await d.unpause('node-a', UUID);
    await d.suspend('node-a', UUID);
    expect(await d.powerState('node-a', UUID)).to.equal('suspended');
    await d.pause('node-a', UUID).then(
      () => expect.fail('paused'),
      (err: unknown) => expect(err).to.be.instanceOf(DriverError),
    );
    await d.resume('node-a', UUID);
    expect(await d.powerState('node-a', UUID)).to.equal('running');
    await d.reboot('node-a', UUID, 'HARD');
    expect(libvirt.calls.slice(-3)).to.deep.equal([`destroy ${NAME}`, `define ${NAME}`, `start ${NAME}`]);
    await d.powerOff('node-a', UUID);
    await d.reboot('node-a', UUID, 'SOFT').then(
      () => expect.fail('rebooted'),
      (err: unknown) => expect(err).to.be.instanceOf(DriverError),
    );
  });

  it('rescue boots a rescue disk first; unrescue boots the instance disk again', async () => {
    const d = driver();
    await d.spawn(instance());
    await d.rescue('node-a', UUID);
    expect(await libvirt.dumpXml(NAME))
      .to.include('disk.rescue')
      .and.include('<kova:rescue>');
    await d.unrescue('node-a', UUID);
    expect(await libvirt.dumpXml(NAME)).not.to.include('disk.rescue');
    expect(existsSync(join(d.instanceDir(UUID), 'disk.rescue'))).to.equal(false);
  });

  it('destroy removes the domain and the instance folder; listInstances also reports a folder without a domain', async () => {
    const d = driver();
    await d.spawn(instance());
    mkdirSync(d.instanceDir('6f1c3b8e-0000-4000-8000-0000000000ff'));
    expect((await d.listInstances('node-a')).sort()).to.deep.equal([
      UUID,
      '6f1c3b8e-0000-4000-8000-0000000000ff',
    ]);
    await d.destroy('node-a', UUID);
    await d.destroy('node-a', UUID); // idempotent
    expect(libvirt.domains.size).to.equal(0);
    expect(existsSync(d.instanceDir(UUID))).to.equal(false);
  });

  it('resize on the same node grows the disk and redefines the domain with the new flavor', async () => {
    const d = driver();
    await d.spawn(instance());
    const bigger = { name: 'm1.small', vcpus: 2, ram: 256, disk: 2, ephemeral: 1, swap: 16 };
    await d.migrate(instance({ flavor: bigger }), 'node-a');
    expect(await libvirt.dumpXml(NAME)).to.include('<vcpu placement="static">2</vcpu>');
    const info = JSON.parse(
      execFileSync('qemu-img', ['info', '--output', 'json', join(d.instanceDir(UUID), 'disk')], {
        encoding: 'utf8',
      }),
    ) as { 'virtual-size': number };
    expect(info['virtual-size']).to.equal(2 * 2 ** 30);
    expect(await d.powerState('node-a', UUID)).to.equal('running');
    await d.migrate(instance({ flavor: bigger, host: 'node-b' }), 'node-a').then(
      () => expect.fail('migrated'),
      (err: Error) => expect(err.message).to.match(/own node only/),
    );
  });

  it('diagnostics read domstats; console output is the tail of the console log', async () => {
    const d = driver();
    await d.spawn(instance());
    writeFileSync(join(d.instanceDir(UUID), 'console.log'), 'a\nb\nc\n');
    expect(await d.consoleOutput('node-a', UUID, 2)).to.equal('b\nc');
    const diag = await d.diagnostics('node-a', UUID);
    expect(diag).to.include({ driver: 'libvirt', state: 'running', config_drive: true, num_cpus: 1 });
    expect(diag.memory_details.used).to.equal(128);
  });

  it("a server whose image was deleted (Glance allows it) still hard-reboots with the build's kernel, which the cache keeps", async () => {
    const d = driver();
    await d.spawn(instance());
    const kernelLine = /<kernel>[^<]+<\/kernel>/.exec(await libvirt.dumpXml(NAME))?.[0];
    expect(kernelLine).to.match(/_base\/[0-9a-f]{40}/);
    images = []; // both Images deleted
    await d.reboot('node-a', UUID, 'HARD');
    expect(libvirt.calls.slice(-2)).to.deep.equal([`define ${NAME}`, `start ${NAME}`]);
    expect(/<kernel>[^<]+<\/kernel>/.exec(await libvirt.dumpXml(NAME))?.[0]).to.equal(kernelLine);
    const old = new Date(Date.now() - 2 * 3600_000);
    for (const b of readdirSync(d.cache.dir)) utimesSync(join(d.cache.dir, b), old, old);
    expect(await d.cache.cleanup(await d.basesInUse(), 3600)).to.deep.equal([]);
  });

  it('image cache clean-up removes bases no instance uses once old enough', async () => {
    const d = driver();
    await d.spawn(instance());
    await d.destroy('node-a', UUID);
    const bases = readdirSync(d.cache.dir);
    expect(bases).to.have.length(2); // the root image and its kernel
    expect(await d.cache.cleanup(await d.basesInUse(), 3600)).to.deep.equal([]); // too young
    const old = new Date(Date.now() - 2 * 3600_000);
    for (const b of bases) utimesSync(join(d.cache.dir, b), old, old);
    expect((await d.cache.cleanup(await d.basesInUse(), 3600)).sort()).to.deep.equal(bases.sort());
  });
});
