// The fake driver (nova/virt/fake.py): no hypervisor, but its "VMs" are real records on disk, one
// file per instance under <stateDir>/<host>/, so they outlive the process exactly as real VMs
// outlive a crashed nova-compute; orphan clean-up and crash tests can count them. One driver
// serves any number of fake hosts. Spawn takes spawnDelayMs; failures can be injected. Every state
// change is written whole (tmp + rename), so a crash leaves a VM as it was before or after an action.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../runtime/clock.ts';
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
} from './driver.ts';
import { KeyedLock } from '../runtime/keyedlock.ts';

export interface FakeDriverOptions {
  stateDir: string;
  spawnDelayMs?: number;
  /** Spawns on these hosts fail (a BuildFailure, so the build is rescheduled). */
  failOnHosts?: string[];
  /** Operations this driver pretends to lack: left out of capabilities and refused with NotSupported. */
  unsupported?: DriverOperation[];
  /** Time for uptime and console timestamps; the wall clock by default. */
  clock?: Pick<Clock, 'now'>;
}

/** The console log keeps this many lines (a real one is rotated too). */
const MAX_CONSOLE_LINES = 1000;

interface FakeVM {
  uuid: string;
  key: string;
  host: string;
  powerState: DriverPowerState;
  flavor: Instance['flavor'];
  addresses: SpawnResult['addresses'];
  imageRef?: string;
  displayName?: string;
  configDrive?: boolean;
  /** Booted from a rescue image (rescue), until unrescue. */
  rescued: boolean;
  rescueImageRef?: string;
  /** NMIs injected by triggerCrashDump. */
  crashDumps: number;
  /** When the guest last booted (ms since the epoch): uptime and console timestamps count from it. */
  bootedAt: number;
  console: string[];
}

/** A stable fake address per instance, in 10.0.0.0/8. */
function fakeAddress(uuid: string): string {
  const h = createHash('sha256').update(uuid).digest();
  return `10.${h[0]}.${h[1]}.${(h[2]! % 254) + 1}`;
}

/** A stable MAC per instance and port, with OpenStack's fa:16:3e prefix. */
function fakeMac(uuid: string, index: number): string {
  const h = createHash('sha256').update(`${uuid}/${index}`).digest();
  return ['fa', '16', '3e', ...[h[0]!, h[1]!, h[2]!].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

function sameFlavor(a: Instance['flavor'], b: Instance['flavor']): boolean {
  return (
    a.name === b.name &&
    a.vcpus === b.vcpus &&
    a.ram === b.ram &&
    a.disk === b.disk &&
    a.ephemeral === b.ephemeral &&
    a.swap === b.swap
  );
}

/** A kernel log timestamp: seconds since boot, as `[    1.234567]`. */
function stamp(seconds: number): string {
  return `[${seconds.toFixed(6).padStart(12)}]`;
}

const KERNEL_BANNER = 'Linux version 6.1.0-kova-fake (fake@kova) #1 SMP PREEMPT_DYNAMIC';

export class FakeDriver implements VirtDriver {
  readonly type = 'fake' as const;
  readonly capabilities: ReadonlySet<DriverOperation>;
  private readonly options: FakeDriverOptions;
  private readonly now: () => number;
  /** Per-uuid chains, so two calls for one VM never interleave their read-modify-write. */
  private readonly locks = new KeyedLock();
  private writes = 0;
  /** Test hook: return an error message to make this spawn fail. */
  failSpawn?: (instance: Instance) => string | undefined;
  /** Test hook: return an error message to make this operation fail (a DriverError) for an existing VM. */
  failOperation?: (operation: DriverOperation, host: string, uuid: string) => string | undefined;

  constructor(options: FakeDriverOptions) {
    this.options = options;
    const clock = options.clock;
    this.now = clock ? () => clock.now() : () => Date.now();
    const unsupported = new Set(options.unsupported ?? []);
    this.capabilities = new Set([...DRIVER_CAPABILITIES.fake!].filter((op) => !unsupported.has(op)));
  }

  private dir(host: string): string {
    return join(this.options.stateDir, host);
  }

  private file(host: string, uuid: string): string {
    return join(this.dir(host), `${uuid}.json`);
  }

  async hostInfo(): Promise<HostInfo> {
    return { hypervisorType: 'fake', hypervisorVersion: 1000 };
  }

  async listInstances(host: string): Promise<string[]> {
    const files = await readdir(this.dir(host)).catch(() => [] as string[]);
    return files.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
  }

  async spawn(instance: Instance): Promise<SpawnResult> {
    return this.locked(instance.uuid, async () => {
      const existing = await this.read(instance.host, instance.uuid);
      if (existing) return { addresses: existing.addresses };
      if (this.options.spawnDelayMs) await sleep(this.options.spawnDelayMs);
      const injected =
        this.failSpawn?.(instance) ??
        (this.options.failOnHosts?.includes(instance.host)
          ? `fake failure on host ${instance.host}`
          : undefined);
      if (injected) throw new BuildFailure(injected);
      const vm: FakeVM = {
        uuid: instance.uuid,
        key: instance.key,
        host: instance.host,
        powerState: 'running',
        flavor: instance.flavor,
        addresses: [{ network: 'private', version: 4, addr: fakeAddress(instance.uuid), type: 'fixed' }],
        imageRef: instance.imageRef,
        displayName: instance.displayName,
        configDrive: instance.configDrive ?? false,
        rescued: false,
        crashDumps: 0,
        bootedAt: this.now(),
        console: [],
      };
      await this.write(this.withBanner(vm));
      return { addresses: vm.addresses };
    });
  }

  async destroy(host: string, uuid: string): Promise<void> {
    await this.locked(uuid, () => rm(this.file(host, uuid), { force: true }));
  }

  async powerState(host: string, uuid: string): Promise<DriverPowerState | undefined> {
    return (await this.read(host, uuid))?.powerState;
  }

  async powerOff(host: string, uuid: string): Promise<void> {
    await this.update('powerOff', host, uuid, (vm) =>
      vm.powerState === 'shutdown'
        ? undefined
        : this.log({ ...vm, powerState: 'shutdown' }, 'reboot: Power down'),
    );
  }

  async powerOn(host: string, uuid: string): Promise<void> {
    await this.update('powerOn', host, uuid, (vm) =>
      vm.powerState === 'running' ? undefined : this.boot(vm),
    );
  }

  async reboot(host: string, uuid: string, type: RebootType): Promise<void> {
    await this.update('reboot', host, uuid, (vm) => {
      if (type === 'HARD') return this.boot(vm);
      if (vm.powerState !== 'running') {
        throw new DriverError(`soft reboot of instance ${uuid} failed: it is ${vm.powerState}, not running`);
      }
      return { ...this.log(vm, 'reboot: Restarting system'), bootedAt: this.now() };
    });
  }

  async pause(host: string, uuid: string): Promise<void> {
    await this.update('pause', host, uuid, (vm) => {
      if (vm.powerState === 'paused') return undefined;
      this.expect(vm, 'pause', ['running']);
      return this.log({ ...vm, powerState: 'paused' }, 'fake-hypervisor: vCPUs paused');
    });
  }

  async unpause(host: string, uuid: string): Promise<void> {
    await this.update('unpause', host, uuid, (vm) => {
      if (vm.powerState === 'running') return undefined;
      this.expect(vm, 'unpause', ['paused']);
      return this.log({ ...vm, powerState: 'running' }, 'fake-hypervisor: vCPUs resumed');
    });
  }

  async suspend(host: string, uuid: string): Promise<void> {
    await this.update('suspend', host, uuid, (vm) => {
      if (vm.powerState === 'suspended') return undefined;
      this.expect(vm, 'suspend', ['running', 'paused']);
      return this.log({ ...vm, powerState: 'suspended' }, 'PM: hibernation: saving memory to disk');
    });
  }

  async resume(host: string, uuid: string): Promise<void> {
    await this.update('resume', host, uuid, (vm) => {
      if (vm.powerState === 'running') return undefined;
      this.expect(vm, 'resume', ['suspended']);
      return this.log({ ...vm, powerState: 'running' }, 'PM: hibernation: restored memory from disk');
    });
  }

  async rescue(host: string, uuid: string, rescueImageRef?: string): Promise<void> {
    await this.update('rescue', host, uuid, (vm) => {
      const image = rescueImageRef ?? vm.imageRef;
      if (vm.rescued && vm.rescueImageRef === image && vm.powerState === 'running') return undefined;
      return this.boot({ ...vm, rescued: true, rescueImageRef: image }, `rescue image ${image ?? 'none'}`);
    });
  }

  async unrescue(host: string, uuid: string): Promise<void> {
    await this.update('unrescue', host, uuid, (vm) =>
      vm.rescued ? this.boot({ ...vm, rescued: false, rescueImageRef: undefined }) : undefined,
    );
  }

  async rebuild(instance: Instance): Promise<void> {
    await this.update('rebuild', instance.host, instance.uuid, async (vm) => {
      if (this.options.spawnDelayMs) await sleep(this.options.spawnDelayMs);
      return this.withBanner({
        ...vm,
        key: instance.key,
        flavor: instance.flavor,
        imageRef: instance.imageRef,
        displayName: instance.displayName,
        configDrive: instance.configDrive ?? vm.configDrive,
        powerState: 'running',
        rescued: false,
        rescueImageRef: undefined,
        bootedAt: this.now(),
      });
    });
  }

  async snapshot(host: string, uuid: string, imageName: string): Promise<SnapshotResult> {
    await this.inspect('snapshot', host, uuid);
    const digest = createHash('md5').update(`${uuid}/${imageName}`).digest();
    // Between 1 MiB and 1 GiB.
    return {
      size: 2 ** 20 + (digest.readUInt32BE(0) % (2 ** 30 - 2 ** 20)),
      checksum: digest.toString('hex'),
    };
  }

  async migrate(instance: Instance, fromHost: string): Promise<void> {
    this.require('migrate');
    const to = instance.host;
    await this.locked(instance.uuid, async () => {
      const src = await this.read(fromHost, instance.uuid);
      const dst = to === fromHost ? src : await this.read(to, instance.uuid);
      const arrived = dst !== undefined && sameFlavor(dst.flavor, instance.flavor);
      if (!src && !arrived) throw this.notFound('migrate', fromHost, instance.uuid);
      this.injected('migrate', fromHost, instance.uuid);
      if (arrived) {
        // Already there: finish an interrupted move by removing the source copy.
        if (src && to !== fromHost) await rm(this.file(fromHost, instance.uuid), { force: true });
        return;
      }
      const vm = src!;
      const wasUp = vm.powerState !== 'shutdown';
      let moved: FakeVM = { ...vm, key: instance.key, host: to, flavor: instance.flavor };
      if (wasUp) moved = this.boot(this.log({ ...moved, powerState: 'shutdown' }, 'reboot: Power down'));
      await this.write(moved); // the destination first: a crash in between leaves two copies, never none
      if (to !== fromHost) await rm(this.file(fromHost, instance.uuid), { force: true });
    });
  }

  async liveMigrate(host: string, uuid: string, toHost: string): Promise<void> {
    this.require('liveMigrate');
    if (toHost === host) throw new DriverError(`live migration of instance ${uuid} to its own host ${host}`);
    await this.locked(uuid, async () => {
      const src = await this.read(host, uuid);
      if (!src) {
        if (await this.read(toHost, uuid)) return; // already moved
        throw this.notFound('liveMigrate', host, uuid);
      }
      this.injected('liveMigrate', host, uuid);
      this.expect(src, 'liveMigrate', ['running', 'paused']);
      await this.write({ ...src, host: toHost });
      await rm(this.file(host, uuid), { force: true });
    });
  }

  async triggerCrashDump(host: string, uuid: string): Promise<void> {
    await this.update('triggerCrashDump', host, uuid, (vm) => {
      this.expect(vm, 'triggerCrashDump', ['running', 'paused']);
      return this.log(
        { ...vm, crashDumps: vm.crashDumps + 1 },
        'Uhhuh. NMI received for unknown reason 3d on CPU 0.',
      );
    });
  }

  async consoleOutput(host: string, uuid: string, length?: number): Promise<string> {
    const vm = await this.inspect('consoleOutput', host, uuid);
    if (length === undefined || length < 0) return vm.console.join('\n');
    const n = Math.floor(length);
    return n === 0 ? '' : vm.console.slice(-n).join('\n');
  }

  async diagnostics(host: string, uuid: string): Promise<InstanceDiagnostics> {
    const vm = await this.inspect('diagnostics', host, uuid);
    const up = vm.powerState === 'running' || vm.powerState === 'paused';
    const uptime = up ? Math.max(0, Math.floor((this.now() - vm.bootedAt) / 1000)) : 0;
    const { vcpus, ram, ephemeral, swap } = vm.flavor;
    // Disks as libvirt lists them: root, then ephemeral, swap and the config drive when present.
    const disks = 1 + (ephemeral > 0 ? 1 : 0) + (swap > 0 ? 1 : 0) + (vm.configDrive ? 1 : 0);
    return {
      state: vm.powerState,
      driver: 'fake',
      hypervisor: 'fake',
      hypervisor_os: 'linux',
      uptime,
      config_drive: vm.configDrive ?? false,
      num_cpus: vcpus,
      num_disks: disks,
      num_nics: vm.addresses.length,
      memory_details: { maximum: ram, used: up ? ram : 0 },
      cpu_details: Array.from({ length: vcpus }, (_, id) => ({ id, time: uptime * 1e9, utilisation: null })),
      nic_details: vm.addresses.map((a, i) => ({
        mac_address: a.macAddr ?? fakeMac(vm.uuid, i),
        rx_octets: 0,
        rx_errors: 0,
        rx_drop: 0,
        rx_packets: 0,
        rx_rate: null,
        tx_octets: 0,
        tx_errors: 0,
        tx_drop: 0,
        tx_packets: 0,
        tx_rate: null,
      })),
      disk_details: Array.from({ length: disks }, () => ({
        read_bytes: 0,
        read_requests: 0,
        write_bytes: 0,
        write_requests: 0,
        errors_count: 0,
      })),
    };
  }

  // --- helpers ---

  private require(op: DriverOperation): void {
    if (!this.capabilities.has(op)) throw new NotSupported(op, this.type);
  }

  private notFound(op: DriverOperation, host: string, uuid: string): DriverError {
    return new DriverError(`${op} failed: instance ${uuid} is not on host ${host}`);
  }

  private injected(op: DriverOperation, host: string, uuid: string): void {
    const message = this.failOperation?.(op, host, uuid);
    if (message) throw new DriverError(message);
  }

  /** DriverError unless the VM is in one of these states (the hypervisor cannot act on it). */
  private expect(vm: FakeVM, op: DriverOperation, states: DriverPowerState[]): void {
    if (!states.includes(vm.powerState)) {
      throw new DriverError(
        `${op} of instance ${vm.uuid} failed: it is ${vm.powerState}, not ${states.join(' or ')}`,
      );
    }
  }

  /** The VM, after the capability, existence and failure-injection checks. */
  private async inspect(op: DriverOperation, host: string, uuid: string): Promise<FakeVM> {
    this.require(op);
    const vm = await this.read(host, uuid);
    if (!vm) throw this.notFound(op, host, uuid);
    this.injected(op, host, uuid);
    return vm;
  }

  /** Read-modify-write of one VM under its lock; change returns undefined for "nothing to do". */
  private async update(
    op: DriverOperation,
    host: string,
    uuid: string,
    change: (vm: FakeVM) => FakeVM | undefined | Promise<FakeVM | undefined>,
  ): Promise<void> {
    this.require(op);
    await this.locked(uuid, async () => {
      const next = await change(await this.inspect(op, host, uuid));
      if (next) await this.write(next);
    });
  }

  /** Appends a console line stamped with the time since boot. */
  private log(vm: FakeVM, line: string, seconds = (this.now() - vm.bootedAt) / 1000): FakeVM {
    const console = [...vm.console, `${stamp(Math.max(0, seconds))} ${line}`];
    return { ...vm, console: console.slice(-MAX_CONSOLE_LINES) };
  }

  /** A fresh boot: 'running', uptime from now, one kernel banner line. */
  private boot(vm: FakeVM, note?: string): FakeVM {
    const booted: FakeVM = { ...vm, powerState: 'running', bootedAt: this.now() };
    return this.log(booted, note ? `${KERNEL_BANNER} (${note})` : KERNEL_BANNER, 0);
  }

  /** The first boot of an image (spawn, rebuild): the full banner. */
  private withBanner(vm: FakeVM): FakeVM {
    let out = this.log(vm, KERNEL_BANNER, 0);
    out = this.log(
      out,
      `Command line: root=LABEL=cloudimg-rootfs console=ttyS0 image=${vm.imageRef ?? 'none'}`,
      0,
    );
    out = this.log(out, `Memory: ${vm.flavor.ram * 1024}K available, ${vm.flavor.vcpus} CPUs`, 0);
    return this.log(out, `cloud-init: ${vm.displayName ?? vm.uuid} up`, 1);
  }

  /** Runs fn after every earlier call for this uuid has finished. */
  private locked<T>(uuid: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(uuid, fn);
  }

  /** The one writer: tmp + rename, so a crash leaves the VM whole (old or new) or absent. */
  private async write(vm: FakeVM): Promise<void> {
    await mkdir(this.dir(vm.host), { recursive: true });
    const file = this.file(vm.host, vm.uuid);
    const tmp = `${file}.${process.pid}.${++this.writes}.tmp`;
    await writeFile(tmp, JSON.stringify(vm));
    await rename(tmp, file);
  }

  private async read(host: string, uuid: string): Promise<FakeVM | undefined> {
    let stored: Partial<FakeVM>;
    try {
      stored = JSON.parse(await readFile(this.file(host, uuid), 'utf8')) as Partial<FakeVM>;
    } catch {
      return undefined;
    }
    // Records written before these fields existed read as never rescued, never dumped, silent.
    return { rescued: false, crashDumps: 0, bootedAt: 0, console: [], ...stored } as FakeVM;
  }
}
