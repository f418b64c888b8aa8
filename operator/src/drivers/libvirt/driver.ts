// The libvirt driver (nova/virt/libvirt/driver.py) for the one node its agent runs on: real
// QEMU domains through the typed Libvirt interface, disks under <stateDir>/<uuid>/ as Nova lays
// them out (disk, disk.eph0, disk.swap, disk.config, console.log), bases in the image cache.
// Every operation is idempotent and reads the world (libvirt, the disk folder) first, so that an
// agent killed at any point converges when it runs again.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Image } from '../../api/v1alpha1/index.ts';
import {
  BuildFailure,
  DRIVER_CAPABILITIES,
  DriverError,
  NotSupported,
  type DriverOperation,
  type DriverPowerState,
  type HostInfo,
  type Instance,
  type InstanceDiagnostics,
  type RebootType,
  type SnapshotResult,
  type SpawnResult,
  type VirtDriver,
} from '../driver.ts';
import { guestHostname } from '../../compute/hostname.ts';
import { buildConfigDrive, configDriveFiles, type ConfigDriveKey } from './configdrive.ts';
import { domainXml, type DiskFile, type DomainSpec } from './domain.ts';
import { ImageCache, ImageFetchError, md5File, type CachedImage } from './imagecache.ts';
import { LibvirtError, type DomainInfo, type Libvirt } from './libvirt.ts';
import { KeyedLock } from '../../runtime/keyedlock.ts';

const run = promisify(execFile);

export interface LibvirtDriverOptions {
  libvirt: Libvirt;
  /** The node this agent serves (the compute host name). */
  host: string;
  /** Instance folders and the image cache (Nova's instances_path). */
  stateDir: string;
  /** 'qemu' where there is no hardware virtualisation (Nova's [libvirt] virt_type). */
  virtType?: 'qemu' | 'kvm';
  /** An Image by id or name (the agent's informer). */
  image: (ref: string) => Image | undefined;
  /** The key a server names (key_name), as the config drive carries it. */
  keypair: (instance: Instance) => ConfigDriveKey | undefined;
  /** Seconds a clean shutdown may take before the power is pulled ([DEFAULT] shutdown_timeout). */
  shutdownTimeoutS?: number;
  /** Seconds between ACPI power-button presses while waiting (SHUTDOWN_RETRY_INTERVAL). */
  shutdownRetryS?: number;
  /** Attach a config drive to every instance ([DEFAULT] force_config_drive); there is no metadata service. */
  forceConfigDrive?: boolean;
  availabilityZone?: () => string | undefined;
}

/** What spawn records in the instance folder: enough to rebuild the domain XML later. */
interface InstanceRecord {
  instance: Instance;
  rescueImageRef?: string;
  /**
   * The image as it was at build (Nova keeps image_meta in the instance's system_metadata): its
   * properties and its kernel and ramdisk in the cache, so the domain can be defined again (hard
   * reboot, resize, ...) after the Image was deleted, and the cache keeps those files.
   */
  image?: { properties: Record<string, string>; kernel?: string; ramdisk?: string };
}

/** A stable MAC per instance, with OpenStack's fa:16:3e prefix. */
export function instanceMac(uuid: string): string {
  const h = createHash('sha256').update(uuid).digest();
  return ['fa', '16', '3e', ...[h[0]!, h[1]!, h[2]!].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

export const DOMAIN_PREFIX = 'kova-';
export const domainName = (uuid: string) => `${DOMAIN_PREFIX}${uuid}`;

/** libvirt's state → Nova's power state. */
export function powerStateOf(d: DomainInfo): DriverPowerState {
  switch (d.state) {
    case 'running':
    case 'idle':
    case 'in shutdown':
      return 'running';
    case 'paused':
      return 'paused';
    case 'pmsuspended':
      return 'suspended';
    case 'shut off':
      return d.managedSave ? 'suspended' : 'shutdown';
    case 'crashed':
      return 'crashed';
    default:
      return 'pending';
  }
}

/** The address QEMU's user-mode network gives the guest. */
const USER_NET_ADDRESS = '10.0.2.15';

export class LibvirtDriver implements VirtDriver {
  readonly type = 'libvirt' as const;
  readonly capabilities: ReadonlySet<DriverOperation> = DRIVER_CAPABILITIES.libvirt!;
  readonly cache: ImageCache;
  private readonly o: Required<Omit<LibvirtDriverOptions, 'availabilityZone'>> &
    Pick<LibvirtDriverOptions, 'availabilityZone'>;
  private readonly locks = new KeyedLock();

  constructor(options: LibvirtDriverOptions) {
    this.o = {
      virtType: 'qemu',
      shutdownTimeoutS: 60,
      shutdownRetryS: 10,
      forceConfigDrive: true,
      ...options,
    };
    this.cache = new ImageCache(options.stateDir);
  }

  get libvirt(): Libvirt {
    return this.o.libvirt;
  }

  /** The folder of an instance's disks and console log. */
  instanceDir(uuid: string): string {
    return join(this.o.stateDir, uuid);
  }

  async hostInfo(): Promise<HostInfo> {
    const v = await this.o.libvirt.version();
    return { hypervisorType: v.hypervisorType, hypervisorVersion: v.hypervisorVersion };
  }

  /** Domains this agent made, and instance folders no domain has (a spawn cut short). */
  async listInstances(host: string): Promise<string[]> {
    if (host !== this.o.host) return [];
    const uuids = new Set<string>();
    for (const name of await this.o.libvirt.listDomainNames()) {
      if (name.startsWith(DOMAIN_PREFIX)) uuids.add(name.slice(DOMAIN_PREFIX.length));
    }
    for (const f of await readdir(this.o.stateDir).catch(() => [] as string[])) {
      if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(f)) uuids.add(f);
    }
    return [...uuids];
  }

  async spawn(instance: Instance): Promise<SpawnResult> {
    this.ownHost(instance.host, instance.uuid, 'spawn');
    return this.locked(instance.uuid, async () => {
      const name = domainName(instance.uuid);
      const dom = await this.o.libvirt.domain(name);
      if (dom) {
        // A spawn cut short after the domain was defined: boot it.
        if (powerStateOf(dom) === 'shutdown') await this.o.libvirt.start(name);
        return this.result(instance.uuid);
      }
      // No domain: whatever a cut-short spawn left in the folder is rebuilt from scratch.
      const dir = this.instanceDir(instance.uuid);
      await rm(dir, { recursive: true, force: true });
      await this.prepare(instance, dir);
      await this.o.libvirt.start(name);
      return this.result(instance.uuid);
    });
  }

  private result(uuid: string): SpawnResult {
    return {
      addresses: [
        { network: 'private', version: 4, addr: USER_NET_ADDRESS, type: 'fixed', macAddr: instanceMac(uuid) },
      ],
    };
  }

  /** Disks, config drive, record and domain definition of a new instance (not started). */
  private async prepare(instance: Instance, dir: string): Promise<void> {
    await mkdir(dir, { recursive: true, mode: 0o755 });
    await chmod(this.o.stateDir, 0o755);
    await chmod(dir, 0o755);
    const image = instance.imageRef ? this.o.image(instance.imageRef) : undefined;
    if (!image) throw new BuildFailure(`image ${instance.imageRef ?? '(none)'} could not be found`);
    let base: CachedImage;
    try {
      base = await this.cache.fetch(image);
    } catch (err) {
      if (err instanceof ImageFetchError) throw new BuildFailure(err.message);
      throw err;
    }
    const f = instance.flavor;
    const gib = 2 ** 30;
    if (f.disk > 0 && base.virtualSize > f.disk * gib) {
      throw new BuildFailure(
        `Flavor's disk is too small for requested image. Flavor disk is ${f.disk * gib} bytes, image is ${base.virtualSize} bytes.`,
      );
    }
    await this.qemuImg(
      'create',
      '-q',
      '-f',
      'qcow2',
      '-F',
      base.format,
      '-b',
      base.path,
      join(dir, 'disk'),
      ...(f.disk > 0 ? [`${f.disk}G`] : []),
    );
    if (f.ephemeral > 0)
      await this.qemuImg('create', '-q', '-f', 'qcow2', join(dir, 'disk.eph0'), `${f.ephemeral}G`);
    if (f.swap > 0) await this.qemuImg('create', '-q', '-f', 'qcow2', join(dir, 'disk.swap'), `${f.swap}M`);
    if (this.o.forceConfigDrive || instance.configDrive) {
      const [namespace] = instance.key.split('/');
      await buildConfigDrive(
        join(dir, 'disk.config'),
        configDriveFiles({
          uuid: instance.uuid,
          name: instance.displayName,
          hostname: instance.hostname ?? guestHostname(instance.displayName),
          projectId: namespace!,
          availabilityZone: this.o.availabilityZone?.(),
          metadata: instance.metadata,
          key: this.o.keypair(instance),
          userData: instance.userData,
          mac: instanceMac(instance.uuid),
        }),
      );
    }
    const properties = image.spec.properties ?? {};
    const part = async (key: string) => {
      const img = properties[key] ? this.o.image(properties[key]) : undefined;
      return img ? (await this.cache.fetch(img)).path : undefined;
    };
    const kernel = await part('kernel_id');
    const ramdisk = await part('ramdisk_id');
    const rec: InstanceRecord = {
      instance,
      image: { properties, ...(kernel ? { kernel } : {}), ...(ramdisk ? { ramdisk } : {}) },
    };
    await this.writeRecord(instance.uuid, rec);
    await this.o.libvirt.define(await this.xml(rec));
  }

  /** The domain XML of a recorded instance (its kernel and ramdisk fetched into the cache). */
  private async xml(rec: InstanceRecord): Promise<string> {
    const { instance } = rec;
    const dir = this.instanceDir(instance.uuid);
    const image = instance.imageRef ? this.o.image(instance.imageRef) : undefined;
    const saved = rec.image;
    const props = image?.spec.properties ?? saved?.properties ?? {};
    const exists = async (p: string) => (await stat(p).catch(() => undefined)) !== undefined;
    const overlay = async (path: string): Promise<DiskFile> => {
      const base = await this.backingOf(path);
      return { path, format: 'qcow2', ...(base ? { backing: base } : {}) };
    };
    const kernelAndRamdisk = async (p: Record<string, string>) => {
      const part = async (key: string) => {
        if (!p[key]) return undefined;
        const img = this.o.image(p[key]);
        if (!img) {
          // Deleted since the build: the cached copy recorded then (Glance deletes images in use).
          const cached = p === props ? saved?.[key === 'kernel_id' ? 'kernel' : 'ramdisk'] : undefined;
          if (cached && (await exists(cached))) return cached;
          throw new BuildFailure(`image ${p[key]} (${key}) could not be found`);
        }
        return (await this.cache.fetch(img)).path;
      };
      return { kernel: await part('kernel_id'), ramdisk: await part('ramdisk_id') };
    };
    let boot = await kernelAndRamdisk(props);
    let rescue: DiskFile | undefined;
    let bootProps = props;
    if (rec.rescueImageRef !== undefined) {
      const rescueImage = this.o.image(rec.rescueImageRef);
      if (!rescueImage) throw new DriverError(`rescue image ${rec.rescueImageRef} could not be found`);
      rescue = await overlay(join(dir, 'disk.rescue'));
      bootProps = { ...props, ...(rescueImage.spec.properties ?? {}) };
      boot = await kernelAndRamdisk(rescueImage.spec.properties ?? {});
    }
    const spec: DomainSpec = {
      name: domainName(instance.uuid),
      uuid: instance.uuid,
      displayName: instance.displayName,
      key: instance.key,
      virtType: this.o.virtType,
      flavor: instance.flavor,
      imageProperties: bootProps,
      root: await overlay(join(dir, 'disk')),
      ...((await exists(join(dir, 'disk.eph0')))
        ? { ephemeral: { path: join(dir, 'disk.eph0'), format: 'qcow2' } }
        : {}),
      ...((await exists(join(dir, 'disk.swap')))
        ? { swap: { path: join(dir, 'disk.swap'), format: 'qcow2' } }
        : {}),
      ...((await exists(join(dir, 'disk.config'))) ? { configDrive: join(dir, 'disk.config') } : {}),
      ...(rescue ? { rescue } : {}),
      ...boot,
      consoleLog: join(dir, 'console.log'),
      mac: instanceMac(instance.uuid),
    };
    try {
      return domainXml(spec);
    } catch (err) {
      throw new BuildFailure((err as Error).message);
    }
  }

  private async backingOf(path: string): Promise<DiskFile['backing']> {
    const { stdout } = await run('qemu-img', ['info', '-U', '--output', 'json', path]);
    const info = JSON.parse(stdout) as {
      'full-backing-filename'?: string;
      'backing-filename-format'?: string;
    };
    const file = info['full-backing-filename'];
    if (!file) return undefined;
    return { path: file, format: info['backing-filename-format'] === 'qcow2' ? 'qcow2' : 'raw' };
  }

  private async qemuImg(...args: string[]): Promise<void> {
    await run('qemu-img', args);
  }

  private async writeRecord(uuid: string, rec: InstanceRecord): Promise<void> {
    const file = join(this.instanceDir(uuid), 'instance.json');
    await writeFile(`${file}.tmp`, JSON.stringify(rec));
    await rename(`${file}.tmp`, file);
  }

  private async readRecord(uuid: string): Promise<InstanceRecord | undefined> {
    try {
      return JSON.parse(
        await readFile(join(this.instanceDir(uuid), 'instance.json'), 'utf8'),
      ) as InstanceRecord;
    } catch {
      return undefined;
    }
  }

  async destroy(host: string, uuid: string): Promise<void> {
    if (host !== this.o.host) return;
    await this.locked(uuid, async () => {
      const name = domainName(uuid);
      const dom = await this.o.libvirt.domain(name);
      if (dom) {
        if (dom.state !== 'shut off') await this.ignoreNotRunning(() => this.o.libvirt.destroy(name));
        await this.o.libvirt.undefine(name).catch((err: unknown) => {
          if (!(err instanceof LibvirtError && err.notFound)) throw err;
        });
      }
      await rm(this.instanceDir(uuid), { recursive: true, force: true });
    });
  }

  async powerState(host: string, uuid: string): Promise<DriverPowerState | undefined> {
    if (host !== this.o.host) return undefined;
    const dom = await this.o.libvirt.domain(domainName(uuid));
    return dom && powerStateOf(dom);
  }

  async powerOff(host: string, uuid: string): Promise<void> {
    await this.op('powerOff', host, uuid, async (name, dom) => {
      if (dom.managedSave) await this.o.libvirt.managedSaveRemove(name);
      if (dom.state === 'shut off') return;
      await this.cleanShutdown(name, dom);
    });
  }

  /**
   * Nova's _clean_shutdown: press the power button, again every retry interval, until the guest
   * is off or the timeout passes; then pull the plug. A paused guest cannot hear it: destroyed.
   */
  private async cleanShutdown(name: string, dom: DomainInfo): Promise<void> {
    if (dom.state === 'running' || dom.state === 'idle' || dom.state === 'in shutdown') {
      const deadline = Date.now() + this.o.shutdownTimeoutS * 1000;
      let nextPress = 0;
      while (Date.now() < deadline) {
        if (Date.now() >= nextPress) {
          await this.ignoreNotRunning(() => this.o.libvirt.shutdown(name));
          nextPress = Date.now() + this.o.shutdownRetryS * 1000;
        }
        await sleep(250);
        if ((await this.o.libvirt.domain(name))?.state === 'shut off') return;
      }
    }
    await this.ignoreNotRunning(() => this.o.libvirt.destroy(name));
  }

  async powerOn(host: string, uuid: string): Promise<void> {
    await this.op('powerOn', host, uuid, async (name, dom) => {
      if (dom.state === 'running' || dom.state === 'idle') return;
      await this.hardReboot(uuid, name, dom);
    });
  }

  /** Nova's _hard_reboot: off at once, the domain redefined from the record, booted fresh. */
  private async hardReboot(uuid: string, name: string, dom: DomainInfo): Promise<void> {
    if (dom.state !== 'shut off') await this.ignoreNotRunning(() => this.o.libvirt.destroy(name));
    if (dom.managedSave) await this.o.libvirt.managedSaveRemove(name);
    const rec = await this.readRecord(uuid);
    if (rec) await this.o.libvirt.define(await this.xml(rec));
    await this.o.libvirt.start(name);
  }

  async reboot(host: string, uuid: string, type: RebootType): Promise<void> {
    await this.op('reboot', host, uuid, async (name, dom) => {
      if (type === 'HARD') return this.hardReboot(uuid, name, dom);
      if (dom.state !== 'running' && dom.state !== 'idle') {
        throw new DriverError(
          `soft reboot of instance ${uuid} failed: it is ${powerStateOf(dom)}, not running`,
        );
      }
      // Nova's _soft_reboot: a clean shutdown, then a boot; a hard reboot if the guest ignores it.
      await this.cleanShutdown(name, dom);
      await this.o.libvirt.start(name);
    });
  }

  async pause(host: string, uuid: string): Promise<void> {
    await this.op('pause', host, uuid, async (name, dom) => {
      if (dom.state === 'paused') return;
      this.expect(uuid, 'pause', dom, ['running']);
      await this.o.libvirt.suspend(name);
    });
  }

  async unpause(host: string, uuid: string): Promise<void> {
    await this.op('unpause', host, uuid, async (name, dom) => {
      if (powerStateOf(dom) === 'running') return;
      this.expect(uuid, 'unpause', dom, ['paused']);
      await this.o.libvirt.resume(name);
    });
  }

  async suspend(host: string, uuid: string): Promise<void> {
    await this.op('suspend', host, uuid, async (name, dom) => {
      if (powerStateOf(dom) === 'suspended') return;
      this.expect(uuid, 'suspend', dom, ['running', 'paused']);
      await this.o.libvirt.managedSave(name);
    });
  }

  async resume(host: string, uuid: string): Promise<void> {
    await this.op('resume', host, uuid, async (name, dom) => {
      if (powerStateOf(dom) === 'running') return;
      this.expect(uuid, 'resume', dom, ['suspended']);
      await this.o.libvirt.start(name); // restores the managed save image
    });
  }

  async rescue(host: string, uuid: string, rescueImageRef?: string): Promise<void> {
    await this.op('rescue', host, uuid, async (name, dom) => {
      const rec = await this.record(uuid);
      const ref = rescueImageRef ?? rec.instance.imageRef!;
      if (rec.rescueImageRef === ref && powerStateOf(dom) === 'running') return;
      const image = this.o.image(ref);
      if (!image) throw new DriverError(`rescue image ${ref} could not be found`);
      const base = await this.cache.fetch(image);
      const rescueDisk = join(this.instanceDir(uuid), 'disk.rescue');
      await rm(rescueDisk, { force: true });
      await this.qemuImg('create', '-q', '-f', 'qcow2', '-F', base.format, '-b', base.path, rescueDisk);
      const next = { ...rec, rescueImageRef: ref };
      await this.writeRecord(uuid, next);
      await this.hardReboot(uuid, name, dom);
    });
  }

  async unrescue(host: string, uuid: string): Promise<void> {
    await this.op('unrescue', host, uuid, async (name, dom) => {
      const rec = await this.record(uuid);
      if (rec.rescueImageRef === undefined) return;
      const { rescueImageRef: _, ...unrescued } = rec;
      await this.writeRecord(uuid, unrescued);
      await this.hardReboot(uuid, name, dom);
      await rm(join(this.instanceDir(uuid), 'disk.rescue'), { force: true });
    });
  }

  async rebuild(instance: Instance): Promise<void> {
    this.require('rebuild');
    this.ownHost(instance.host, instance.uuid, 'rebuild');
    // Nova's rebuild on the libvirt driver: destroy the guest and its disks, spawn again.
    await this.destroy(instance.host, instance.uuid);
    await this.spawn(instance);
  }

  async snapshot(host: string, uuid: string, imageName: string): Promise<SnapshotResult> {
    let result: SnapshotResult | undefined;
    await this.op('snapshot', host, uuid, async (name, dom) => {
      const dir = join(this.o.stateDir, 'snapshots');
      await mkdir(dir, { recursive: true });
      // One file per snapshot (two snapshots may share a name): the Image's data.
      const out = join(dir, `${uuid}-${Date.now()}-${imageName.replace(/[^\w.-]/g, '_')}.qcow2`);
      // A cold copy of a consistent disk: the vCPUs stop while qemu-img reads it (Nova's cold snapshot).
      const running = dom.state === 'running' || dom.state === 'idle';
      if (running) await this.o.libvirt.suspend(name);
      try {
        await this.qemuImg(
          'convert',
          '-U',
          '-O',
          'qcow2',
          join(this.instanceDir(uuid), 'disk'),
          `${out}.tmp`,
        );
      } finally {
        if (running) await this.o.libvirt.resume(name);
      }
      await rename(`${out}.tmp`, out);
      result = { size: (await stat(out)).size, checksum: await md5File(out), nodePath: out };
    });
    return result!;
  }

  async migrate(instance: Instance, fromHost: string): Promise<void> {
    this.require('migrate');
    if (instance.host !== this.o.host || fromHost !== this.o.host) {
      throw new DriverError(
        `cold migration of instance ${instance.uuid} from ${fromHost} to ${instance.host}: the libvirt agent resizes on its own node only (no shared storage)`,
      );
    }
    await this.op('migrate', instance.host, instance.uuid, async (name, dom) => {
      const rec = await this.record(instance.uuid);
      const f = instance.flavor;
      const same = JSON.stringify(rec.instance.flavor) === JSON.stringify(f);
      if (same) return;
      const wasUp = powerStateOf(dom) !== 'shutdown';
      if (dom.state !== 'shut off') await this.cleanShutdown(name, dom);
      const dir = this.instanceDir(instance.uuid);
      // Disks only grow (a revert keeps the larger disk, as a guest's filesystem may use it).
      if (f.disk > rec.instance.flavor.disk)
        await this.qemuImg('resize', '-q', join(dir, 'disk'), `${f.disk}G`);
      if (f.ephemeral > rec.instance.flavor.ephemeral) {
        const eph = join(dir, 'disk.eph0');
        if (await stat(eph).catch(() => undefined))
          await this.qemuImg('resize', '-q', eph, `${f.ephemeral}G`);
        else await this.qemuImg('create', '-q', '-f', 'qcow2', eph, `${f.ephemeral}G`);
      }
      const next = { ...rec, instance: { ...rec.instance, flavor: f } };
      await this.writeRecord(instance.uuid, next);
      await this.o.libvirt.define(await this.xml(next));
      if (wasUp) await this.o.libvirt.start(name);
    });
  }

  liveMigrate(): Promise<void> {
    return Promise.reject(new NotSupported('liveMigrate', this.type));
  }

  async triggerCrashDump(host: string, uuid: string): Promise<void> {
    await this.op('triggerCrashDump', host, uuid, async (name, dom) => {
      this.expect(uuid, 'triggerCrashDump', dom, ['running', 'paused']);
      await this.o.libvirt.injectNmi(name);
    });
  }

  async consoleOutput(host: string, uuid: string, length?: number): Promise<string> {
    this.require('consoleOutput');
    await this.existing('consoleOutput', host, uuid);
    const text = await readFile(join(this.instanceDir(uuid), 'console.log'), 'utf8').catch(() => '');
    const lines = text.replace(/\r/g, '').replace(/\n$/, '').split('\n');
    if (length === undefined || length < 0) return lines.join('\n');
    const n = Math.floor(length);
    return n === 0 ? '' : lines.slice(-n).join('\n');
  }

  async diagnostics(host: string, uuid: string): Promise<InstanceDiagnostics> {
    this.require('diagnostics');
    const dom = await this.existing('diagnostics', host, uuid);
    const name = domainName(uuid);
    const up = dom.state === 'running' || dom.state === 'paused' || dom.state === 'idle';
    const s = up ? await this.o.libvirt.domStats(name) : {};
    const num = (k: string): number | null => (s[k] === undefined ? null : Number(s[k]));
    const rec = await this.readRecord(uuid);
    const vcpus = Number(s['vcpu.current'] ?? rec?.instance.flavor.vcpus ?? 0);
    const nets = Number(s['net.count'] ?? 1);
    const blocks = Number(s['block.count'] ?? 0);
    const info = await this.o.libvirt.version();
    return {
      state: powerStateOf(dom),
      driver: 'libvirt',
      hypervisor: info.hypervisorType.toLowerCase(),
      hypervisor_os: 'linux',
      uptime: null, // as Nova's libvirt driver: the hypervisor does not say
      config_drive:
        (await stat(join(this.instanceDir(uuid), 'disk.config')).catch(() => undefined)) !== undefined,
      num_cpus: vcpus,
      num_disks: blocks,
      num_nics: nets,
      memory_details: {
        maximum: rec ? rec.instance.flavor.ram : null,
        used: s['balloon.current'] ? Math.round(Number(s['balloon.current']) / 1024) : 0,
      },
      cpu_details: Array.from({ length: vcpus }, (_, id) => ({
        id,
        time: num(`vcpu.${id}.time`),
        utilisation: null,
      })),
      nic_details: Array.from({ length: up ? nets : 0 }, (_, i) => ({
        mac_address: instanceMac(uuid),
        rx_octets: num(`net.${i}.rx.bytes`),
        rx_errors: num(`net.${i}.rx.errs`),
        rx_drop: num(`net.${i}.rx.drop`),
        rx_packets: num(`net.${i}.rx.pkts`),
        rx_rate: null,
        tx_octets: num(`net.${i}.tx.bytes`),
        tx_errors: num(`net.${i}.tx.errs`),
        tx_drop: num(`net.${i}.tx.drop`),
        tx_packets: num(`net.${i}.tx.pkts`),
        tx_rate: null,
      })),
      disk_details: Array.from({ length: blocks }, (_, i) => ({
        read_bytes: num(`block.${i}.rd.bytes`),
        read_requests: num(`block.${i}.rd.reqs`),
        write_bytes: num(`block.${i}.wr.bytes`),
        write_requests: num(`block.${i}.wr.reqs`),
        errors_count: num(`block.${i}.errors`),
      })),
    };
  }

  /** Base file names the instances on this node are backed by (for the image cache clean-up). */
  async basesInUse(): Promise<Set<string>> {
    const used = new Set<string>();
    for (const uuid of await this.listInstances(this.o.host)) {
      const rec = await this.readRecord(uuid);
      for (const ref of [rec?.instance.imageRef, rec?.rescueImageRef]) {
        const image = ref ? this.o.image(ref) : undefined;
        if (!image) continue;
        used.add(this.cache.baseName(image));
        for (const k of ['kernel_id', 'ramdisk_id']) {
          const part = image.spec.properties?.[k] && this.o.image(image.spec.properties[k]);
          if (part) used.add(this.cache.baseName(part));
        }
      }
      for (const file of [rec?.image?.kernel, rec?.image?.ramdisk]) {
        if (file) used.add(file.split('/').pop()!);
      }
      for (const disk of ['disk', 'disk.rescue']) {
        const b = await this.backingOf(join(this.instanceDir(uuid), disk)).catch(() => undefined);
        if (b) used.add(b.path.split('/').pop()!);
      }
    }
    return used;
  }

  // --- helpers ---

  private require(op: DriverOperation): void {
    if (!this.capabilities.has(op)) throw new NotSupported(op, this.type);
  }

  private ownHost(host: string, uuid: string, op: string): void {
    if (host !== this.o.host)
      throw new DriverError(`${op} of instance ${uuid}: host ${host} is not this node (${this.o.host})`);
  }

  private async existing(op: DriverOperation, host: string, uuid: string): Promise<DomainInfo> {
    const dom = host === this.o.host ? await this.o.libvirt.domain(domainName(uuid)) : undefined;
    if (!dom) throw new DriverError(`${op} failed: instance ${uuid} is not on host ${host}`);
    return dom;
  }

  private async record(uuid: string): Promise<InstanceRecord> {
    const rec = await this.readRecord(uuid);
    if (!rec) throw new DriverError(`instance ${uuid} has no record in ${this.instanceDir(uuid)}`);
    return rec;
  }

  /** An operation on an existing domain, under the instance's lock. */
  private async op(
    op: DriverOperation,
    host: string,
    uuid: string,
    fn: (name: string, dom: DomainInfo) => Promise<void>,
  ): Promise<void> {
    this.require(op);
    await this.locked(uuid, async () => {
      const dom = await this.existing(op, host, uuid);
      try {
        await fn(domainName(uuid), dom);
      } catch (err) {
        if (err instanceof LibvirtError) throw new DriverError(`${op} of instance ${uuid}: ${err.message}`);
        throw err;
      }
    });
  }

  private expect(uuid: string, op: DriverOperation, dom: DomainInfo, states: DriverPowerState[]): void {
    const state = powerStateOf(dom);
    if (!states.includes(state)) {
      throw new DriverError(`${op} of instance ${uuid} failed: it is ${state}, not ${states.join(' or ')}`);
    }
  }

  /** A destroy of a domain that just stopped by itself is not an error. */
  private async ignoreNotRunning(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (err instanceof LibvirtError && /not running|is not active|domain is not running/i.test(err.message))
        return;
      throw err;
    }
  }

  /** Runs fn after every earlier call for this uuid has finished. */
  private locked<T>(uuid: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(uuid, fn);
  }
}
