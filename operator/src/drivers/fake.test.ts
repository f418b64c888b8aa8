import { expect } from 'chai';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../runtime/clock.ts';
import {
  DRIVER_CAPABILITIES,
  DRIVER_OPERATIONS,
  DriverError,
  NotSupported,
  type DriverOperation,
  type Instance,
} from './driver.ts';
import { FakeDriver, type FakeDriverOptions } from './fake.ts';

const UUID = '6f1c3b8e-0000-4000-8000-000000000001';
const SMALL = { name: 'm1.small', vcpus: 1, ram: 2048, disk: 20, ephemeral: 0, swap: 0 };
const LARGE = { name: 'm1.large', vcpus: 4, ram: 8192, disk: 80, ephemeral: 0, swap: 0 };

function instance(overrides: Partial<Instance> = {}): Instance {
  return {
    uuid: UUID,
    key: 'default/web',
    displayName: 'web',
    host: 'host-a',
    flavor: SMALL,
    imageRef: 'image-cirros',
    ...overrides,
  };
}

/** Expects the promise to reject with an instance of cls; returns the error. */
async function rejection<E extends Error>(p: Promise<unknown>, cls: new (...args: never[]) => E): Promise<E> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(cls);
    return err as E;
  }
  expect.fail(`expected a ${cls.name}`);
}

describe('FakeDriver', () => {
  let dir: string;
  let clock: FakeClock;

  const driver = (options: Partial<FakeDriverOptions> = {}) =>
    new FakeDriver({ stateDir: dir, clock, ...options });
  const path = (host: string, uuid = UUID) => join(dir, host, `${uuid}.json`);
  const raw = (host: string, uuid = UUID) => readFileSync(path(host, uuid), 'utf8');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const record = (host: string, uuid = UUID): any => JSON.parse(raw(host, uuid));
  const lines = async (d: FakeDriver, host = 'host-a') => (await d.consoleOutput(host, UUID)).split('\n');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kova-fake-driver-'));
    clock = new FakeClock();
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('capabilities', () => {
    it('offers every operation by default, as the fake type does', () => {
      expect([...driver().capabilities].sort()).to.deep.equal([...DRIVER_OPERATIONS].sort());
      expect([...DRIVER_CAPABILITIES.fake!].sort()).to.deep.equal([...DRIVER_OPERATIONS].sort());
    });

    it('leaves the unsupported operations out of its capabilities', () => {
      const d = driver({ unsupported: ['rescue', 'liveMigrate'] });
      expect(d.capabilities.has('rescue')).to.equal(false);
      expect(d.capabilities.has('liveMigrate')).to.equal(false);
      expect(d.capabilities.has('pause')).to.equal(true);
      expect(d.capabilities.size).to.equal(DRIVER_OPERATIONS.length - 2);
    });

    it('refuses every unsupported operation with NotSupported naming it, before looking for the VM', async () => {
      const d = driver({ unsupported: [...DRIVER_OPERATIONS] });
      await d.spawn(instance());
      const before = raw('host-a');
      for (const [op, call] of operations(d)) {
        const err = await rejection(call(), NotSupported);
        expect(err.operation, op).to.equal(op);
        expect(err.message).to.contain(op);
      }
      // Also for a VM that does not exist: the capability is checked first.
      const err = await rejection(d.powerOff('host-a', 'no-such-uuid'), NotSupported);
      expect(err.operation).to.equal('powerOff');
      expect(raw('host-a')).to.equal(before);
    });

    it('still performs the operations that were not listed as unsupported', async () => {
      const d = driver({ unsupported: ['pause'] });
      await d.spawn(instance());
      await rejection(d.pause('host-a', UUID), NotSupported);
      await d.suspend('host-a', UUID);
      expect(await d.powerState('host-a', UUID)).to.equal('suspended');
    });
  });

  describe('missing instances', () => {
    it('throws a DriverError naming the uuid and host from every operation on a VM not on that host', async () => {
      const d = driver();
      await d.spawn(instance({ host: 'host-b' })); // exists, but elsewhere
      for (const [op, call] of operations(d)) {
        const err = await rejection(call(), DriverError);
        expect(err.message, op).to.contain(UUID);
        expect(err.message, op).to.contain('host-a');
      }
      expect(existsSync(join(dir, 'host-a'))).to.equal(false);
    });
  });

  describe('power actions', () => {
    it('powers off to shutdown and on to running, persisted in the VM file', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.powerOff('host-a', UUID);
      expect(await d.powerState('host-a', UUID)).to.equal('shutdown');
      expect(record('host-a').powerState).to.equal('shutdown');
      await d.powerOn('host-a', UUID);
      expect(await d.powerState('host-a', UUID)).to.equal('running');
      expect(record('host-a').powerState).to.equal('running');
    });

    it('leaves the VM file untouched when powering off a shut-down VM or on a running one', async () => {
      const d = driver();
      await d.spawn(instance());
      const running = raw('host-a');
      await d.powerOn('host-a', UUID);
      expect(raw('host-a')).to.equal(running);
      await d.powerOff('host-a', UUID);
      const off = raw('host-a');
      await d.powerOff('host-a', UUID);
      expect(raw('host-a')).to.equal(off);
    });

    it('soft-reboots a running VM, which stays running and logs the restart', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.reboot('host-a', UUID, 'SOFT');
      expect(await d.powerState('host-a', UUID)).to.equal('running');
      expect((await lines(d)).at(-1)).to.contain('reboot: Restarting system');
    });

    it('refuses a soft reboot of a VM that is not running and leaves it as it was', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.powerOff('host-a', UUID);
      const err = await rejection(d.reboot('host-a', UUID, 'SOFT'), DriverError);
      expect(err.message).to.contain('shutdown');
      expect(await d.powerState('host-a', UUID)).to.equal('shutdown');
    });

    it('hard-reboots from any state to running', async () => {
      const d = driver();
      await d.spawn(instance());
      for (const setUp of [
        () => d.powerOff('host-a', UUID),
        () => d.pause('host-a', UUID),
        () => d.suspend('host-a', UUID),
      ]) {
        await setUp();
        await d.reboot('host-a', UUID, 'HARD');
        expect(await d.powerState('host-a', UUID)).to.equal('running');
      }
    });

    it('pauses a running VM and unpauses it, each idempotent', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.pause('host-a', UUID);
      expect(await d.powerState('host-a', UUID)).to.equal('paused');
      const paused = raw('host-a');
      await d.pause('host-a', UUID);
      expect(raw('host-a')).to.equal(paused);
      await d.unpause('host-a', UUID);
      expect(record('host-a').powerState).to.equal('running');
      const running = raw('host-a');
      await d.unpause('host-a', UUID);
      expect(raw('host-a')).to.equal(running);
    });

    it('refuses to pause a shut-down VM or unpause a suspended one', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.powerOff('host-a', UUID);
      await rejection(d.pause('host-a', UUID), DriverError);
      await d.powerOn('host-a', UUID);
      await d.suspend('host-a', UUID);
      await rejection(d.unpause('host-a', UUID), DriverError);
      expect(await d.powerState('host-a', UUID)).to.equal('suspended');
    });

    it('suspends a running or paused VM and resumes it to running, each idempotent', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.suspend('host-a', UUID);
      expect(await d.powerState('host-a', UUID)).to.equal('suspended');
      const suspended = raw('host-a');
      await d.suspend('host-a', UUID);
      expect(raw('host-a')).to.equal(suspended);
      await d.resume('host-a', UUID);
      expect(record('host-a').powerState).to.equal('running');
      const running = raw('host-a');
      await d.resume('host-a', UUID);
      expect(raw('host-a')).to.equal(running);

      await d.pause('host-a', UUID);
      await d.suspend('host-a', UUID);
      expect(await d.powerState('host-a', UUID)).to.equal('suspended');
    });

    it('refuses to suspend a shut-down VM or resume a paused one', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.pause('host-a', UUID);
      await rejection(d.resume('host-a', UUID), DriverError);
      await d.powerOff('host-a', UUID);
      await rejection(d.suspend('host-a', UUID), DriverError);
      expect(await d.powerState('host-a', UUID)).to.equal('shutdown');
    });
  });

  describe('rescue', () => {
    it('boots the given rescue image, running and remembered as rescued; unrescue boots the VM again', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.powerOff('host-a', UUID);
      await d.rescue('host-a', UUID, 'image-rescue');
      expect(await d.powerState('host-a', UUID)).to.equal('running');
      expect(record('host-a')).to.include({ rescued: true, rescueImageRef: 'image-rescue' });
      expect((await lines(d)).at(-1)).to.contain('rescue image image-rescue');

      await d.unrescue('host-a', UUID);
      expect(await d.powerState('host-a', UUID)).to.equal('running');
      expect(record('host-a').rescued).to.equal(false);
      expect(record('host-a')).not.to.have.property('rescueImageRef');
    });

    it("rescues with the instance's own image when no rescue image is given", async () => {
      const d = driver();
      await d.spawn(instance());
      await d.rescue('host-a', UUID);
      expect(record('host-a')).to.include({ rescued: true, rescueImageRef: 'image-cirros' });
    });

    it('leaves a rescued VM alone on a second rescue with the same image, and an unrescued one on unrescue', async () => {
      const d = driver();
      await d.spawn(instance());
      const normal = raw('host-a');
      await d.unrescue('host-a', UUID);
      expect(raw('host-a')).to.equal(normal);
      await d.rescue('host-a', UUID, 'image-rescue');
      const rescued = raw('host-a');
      await d.rescue('host-a', UUID, 'image-rescue');
      expect(raw('host-a')).to.equal(rescued);
    });
  });

  describe('rebuild', () => {
    it('re-creates the VM with the new image and flavor, running, keeping its uuid and addresses', async () => {
      const d = driver();
      const { addresses } = await d.spawn(instance());
      await d.rescue('host-a', UUID);
      await d.powerOff('host-a', UUID);
      await d.rebuild(instance({ imageRef: 'image-ubuntu', flavor: LARGE }));
      const vm = record('host-a');
      expect(vm).to.include({
        uuid: UUID,
        host: 'host-a',
        imageRef: 'image-ubuntu',
        powerState: 'running',
        rescued: false,
      });
      expect(vm.flavor).to.deep.equal(LARGE);
      expect(vm.addresses).to.deep.equal(addresses);
      expect(await d.listInstances('host-a')).to.deep.equal([UUID]);
      expect(await d.consoleOutput('host-a', UUID, 4)).to.contain('image=image-ubuntu');
    });

    it('gives the same result when repeated', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.rebuild(instance({ imageRef: 'image-ubuntu' }));
      const once = record('host-a');
      await d.rebuild(instance({ imageRef: 'image-ubuntu' }));
      const twice = record('host-a');
      expect({ ...twice, console: [] }).to.deep.equal({ ...once, console: [] });
    });
  });

  describe('snapshot', () => {
    it('returns a size and the md5 checksum derived from uuid and image name, without changing the VM', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.pause('host-a', UUID);
      const before = raw('host-a');
      const snap = await d.snapshot('host-a', UUID, 'web-backup');
      expect(snap.checksum).to.equal(createHash('md5').update(`${UUID}/web-backup`).digest('hex'));
      expect(snap.size).to.be.within(2 ** 20, 2 ** 30);
      expect(Number.isInteger(snap.size)).to.equal(true);
      expect(await d.snapshot('host-a', UUID, 'web-backup')).to.deep.equal(snap);
      expect((await d.snapshot('host-a', UUID, 'other')).checksum).not.to.equal(snap.checksum);
      expect(raw('host-a')).to.equal(before);
    });
  });

  describe('migrate', () => {
    it('moves the VM file to the destination host with the new flavor', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.migrate(instance({ host: 'host-b', flavor: LARGE }), 'host-a');
      expect(existsSync(path('host-a'))).to.equal(false);
      expect(await d.listInstances('host-a')).to.deep.equal([]);
      expect(await d.listInstances('host-b')).to.deep.equal([UUID]);
      expect(record('host-b')).to.include({ host: 'host-b', powerState: 'running' });
      expect(record('host-b').flavor).to.deep.equal(LARGE);
    });

    it('keeps a shut-down VM shut down and brings a paused or suspended one up running', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.powerOff('host-a', UUID);
      await d.migrate(instance({ host: 'host-b' }), 'host-a');
      expect(await d.powerState('host-b', UUID)).to.equal('shutdown');

      await d.powerOn('host-b', UUID);
      await d.pause('host-b', UUID);
      await d.migrate(instance({ host: 'host-c' }), 'host-b');
      expect(await d.powerState('host-c', UUID)).to.equal('running');

      await d.suspend('host-c', UUID);
      await d.migrate(instance({ host: 'host-a' }), 'host-c');
      expect(await d.powerState('host-a', UUID)).to.equal('running');
    });

    it('does nothing when the VM is already on the destination with that flavor', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.migrate(instance({ host: 'host-b', flavor: LARGE }), 'host-a');
      const moved = raw('host-b');
      await d.migrate(instance({ host: 'host-b', flavor: LARGE }), 'host-a');
      expect(raw('host-b')).to.equal(moved);
      expect(existsSync(path('host-a'))).to.equal(false);
    });

    it('finishes a move interrupted after the destination was written by removing the source copy', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.migrate(instance({ host: 'host-b', flavor: LARGE }), 'host-a');
      // The crash: the source file was not removed yet.
      const left = { ...record('host-b'), host: 'host-a', flavor: SMALL };
      mkdirSync(join(dir, 'host-a'), { recursive: true });
      writeFileSync(path('host-a'), JSON.stringify(left));
      await d.migrate(instance({ host: 'host-b', flavor: LARGE }), 'host-a');
      expect(await d.listInstances('host-a')).to.deep.equal([]);
      expect(record('host-b').flavor).to.deep.equal(LARGE);
    });

    it('resizes in place when the destination is the source host', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.migrate(instance({ flavor: LARGE }), 'host-a');
      expect(await d.listInstances('host-a')).to.deep.equal([UUID]);
      expect(record('host-a').flavor).to.deep.equal(LARGE);
      expect(await d.powerState('host-a', UUID)).to.equal('running');
    });

    it('reverts a resize by migrating back with the old flavor; confirm is a no-op destroy of the source', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.migrate(instance({ host: 'host-b', flavor: LARGE }), 'host-a');
      await d.destroy('host-a', UUID); // confirm: nothing left on the source
      await d.migrate(instance({ host: 'host-a', flavor: SMALL }), 'host-b');
      expect(await d.listInstances('host-b')).to.deep.equal([]);
      expect(record('host-a').flavor).to.deep.equal(SMALL);
    });

    it('throws a DriverError when the VM is on neither host', async () => {
      const d = driver();
      await d.spawn(instance({ host: 'host-c' }));
      const err = await rejection(d.migrate(instance({ host: 'host-b' }), 'host-a'), DriverError);
      expect(err.message).to.contain('host-a');
    });
  });

  describe('liveMigrate', () => {
    it('moves a running VM to the destination, still running', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.liveMigrate('host-a', UUID, 'host-b');
      expect(existsSync(path('host-a'))).to.equal(false);
      expect(record('host-b')).to.include({ host: 'host-b', powerState: 'running' });
      expect(record('host-b').flavor).to.deep.equal(SMALL);
    });

    it('keeps a paused VM paused', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.pause('host-a', UUID);
      await d.liveMigrate('host-a', UUID, 'host-b');
      expect(await d.powerState('host-b', UUID)).to.equal('paused');
      expect(await d.powerState('host-a', UUID)).to.equal(undefined);
    });

    it('refuses a VM that is neither running nor paused, and a move to its own host', async () => {
      const d = driver();
      await d.spawn(instance());
      await rejection(d.liveMigrate('host-a', UUID, 'host-a'), DriverError);
      await d.powerOff('host-a', UUID);
      await rejection(d.liveMigrate('host-a', UUID, 'host-b'), DriverError);
      expect(await d.listInstances('host-a')).to.deep.equal([UUID]);
      expect(await d.listInstances('host-b')).to.deep.equal([]);
    });

    it('does nothing when repeated after the VM has arrived', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.liveMigrate('host-a', UUID, 'host-b');
      const moved = raw('host-b');
      await d.liveMigrate('host-a', UUID, 'host-b');
      expect(raw('host-b')).to.equal(moved);
    });
  });

  describe('triggerCrashDump', () => {
    it('counts the NMIs in the VM record and logs each, leaving the power state', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.triggerCrashDump('host-a', UUID);
      await d.triggerCrashDump('host-a', UUID);
      expect(record('host-a')).to.include({ crashDumps: 2, powerState: 'running' });
      expect((await lines(d)).at(-1)).to.contain('NMI received');
    });

    it('refuses a VM that is shut down', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.powerOff('host-a', UUID);
      await rejection(d.triggerCrashDump('host-a', UUID), DriverError);
      expect(record('host-a').crashDumps).to.equal(0);
    });
  });

  describe('consoleOutput', () => {
    it('starts with the kernel banner written at spawn', async () => {
      const d = driver();
      await d.spawn(instance());
      const out = await lines(d);
      expect(out[0]).to.equal(
        '[    0.000000] Linux version 6.1.0-kova-fake (fake@kova) #1 SMP PREEMPT_DYNAMIC',
      );
      expect(out.join('\n')).to.contain('image=image-cirros');
    });

    it('adds one line per power action, stamped with the seconds since boot', async () => {
      const d = driver();
      await d.spawn(instance());
      const start = (await lines(d)).length;
      clock.advance(12_500);
      await d.powerOff('host-a', UUID);
      await d.powerOn('host-a', UUID);
      await d.pause('host-a', UUID);
      await d.unpause('host-a', UUID);
      await d.reboot('host-a', UUID, 'HARD');
      const out = await lines(d);
      expect(out.length).to.equal(start + 5);
      expect(out[start]).to.equal('[   12.500000] reboot: Power down');
      expect(out[start + 1]).to.match(/^\[ {4}0\.000000\] Linux version/);
    });

    it('returns the last length lines; all of them for -1 or no length; nothing for 0', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.powerOff('host-a', UUID);
      await d.powerOn('host-a', UUID);
      const all = await d.consoleOutput('host-a', UUID);
      const allLines = all.split('\n');
      expect(allLines.length).to.be.greaterThan(3);
      expect(await d.consoleOutput('host-a', UUID, -1)).to.equal(all);
      expect(await d.consoleOutput('host-a', UUID, 2)).to.equal(allLines.slice(-2).join('\n'));
      expect(await d.consoleOutput('host-a', UUID, 1)).to.equal(allLines.at(-1));
      expect(await d.consoleOutput('host-a', UUID, 1000)).to.equal(all);
      expect(await d.consoleOutput('host-a', UUID, 0)).to.equal('');
    });
  });

  describe('diagnostics', () => {
    it("reports Nova's 2.48 diagnostics fields, sized from the flavor", async () => {
      const d = driver();
      const flavor = { name: 'm1.custom', vcpus: 2, ram: 4096, disk: 40, ephemeral: 10, swap: 512 };
      await d.spawn(instance({ flavor, configDrive: true }));
      clock.advance(90_000);
      const diag = await d.diagnostics('host-a', UUID);
      expect(Object.keys(diag).sort()).to.deep.equal(
        [
          'state',
          'driver',
          'hypervisor',
          'hypervisor_os',
          'uptime',
          'config_drive',
          'num_cpus',
          'num_disks',
          'num_nics',
          'memory_details',
          'cpu_details',
          'nic_details',
          'disk_details',
        ].sort(),
      );
      expect(diag).to.include({
        state: 'running',
        driver: 'fake',
        hypervisor: 'fake',
        hypervisor_os: 'linux',
        uptime: 90,
        config_drive: true,
        num_cpus: 2,
        num_disks: 4, // root, ephemeral, swap, config drive
        num_nics: 1,
      });
      expect(diag.memory_details).to.deep.equal({ maximum: 4096, used: 4096 });
      expect(diag.cpu_details.map((c) => c.id)).to.deep.equal([0, 1]);
      expect(diag.cpu_details[0]).to.have.all.keys('id', 'time', 'utilisation');
      expect(diag.disk_details).to.have.length(4);
      expect(diag.disk_details[0]).to.have.all.keys(
        'read_bytes',
        'read_requests',
        'write_bytes',
        'write_requests',
        'errors_count',
      );
      expect(diag.nic_details).to.have.length(1);
      expect(diag.nic_details[0]!.mac_address).to.match(/^fa:16:3e(:[0-9a-f]{2}){3}$/);
      expect(diag.nic_details[0]).to.have.all.keys(
        'mac_address',
        'rx_octets',
        'rx_errors',
        'rx_drop',
        'rx_packets',
        'rx_rate',
        'tx_octets',
        'tx_errors',
        'tx_drop',
        'tx_packets',
        'tx_rate',
      );
    });

    it('reports a shut-down VM with no uptime, no memory in use and only the root disk without extras', async () => {
      const d = driver();
      await d.spawn(instance());
      clock.advance(5000);
      await d.powerOff('host-a', UUID);
      const diag = await d.diagnostics('host-a', UUID);
      expect(diag).to.include({
        state: 'shutdown',
        uptime: 0,
        config_drive: false,
        num_cpus: 1,
        num_disks: 1,
      });
      expect(diag.memory_details).to.deep.equal({ maximum: 2048, used: 0 });
    });

    it('counts uptime from the last boot', async () => {
      const d = driver();
      await d.spawn(instance());
      clock.advance(60_000);
      await d.reboot('host-a', UUID, 'SOFT');
      clock.advance(7_000);
      expect((await d.diagnostics('host-a', UUID)).uptime).to.equal(7);
    });
  });

  describe('persistence and failures', () => {
    it('keeps the state across driver instances, as VMs outlive nova-compute', async () => {
      await driver().spawn(instance());
      await driver().pause('host-a', UUID);
      expect(await driver().powerState('host-a', UUID)).to.equal('paused');
    });

    it('leaves no temporary files behind', async () => {
      const d = driver();
      await d.spawn(instance());
      await d.powerOff('host-a', UUID);
      await d.migrate(instance({ host: 'host-b', flavor: LARGE }), 'host-a');
      expect(readdirSync(join(dir, 'host-a'))).to.deep.equal([]);
      expect(readdirSync(join(dir, 'host-b'))).to.deep.equal([`${UUID}.json`]);
    });

    it('loses no update when calls for one VM overlap', async () => {
      const d = driver();
      await d.spawn(instance());
      await Promise.all([
        d.triggerCrashDump('host-a', UUID),
        d.triggerCrashDump('host-a', UUID),
        d.pause('host-a', UUID),
        d.triggerCrashDump('host-a', UUID),
      ]);
      expect(record('host-a')).to.include({ crashDumps: 3, powerState: 'paused' });
    });

    it('reads a VM file written before the action fields existed', async () => {
      mkdirSync(join(dir, 'host-a'));
      const old = {
        uuid: UUID,
        key: 'default/web',
        host: 'host-a',
        powerState: 'running',
        flavor: SMALL,
        addresses: [],
      };
      writeFileSync(path('host-a'), JSON.stringify(old));
      const d = driver();
      await d.triggerCrashDump('host-a', UUID);
      await d.powerOff('host-a', UUID);
      expect(record('host-a')).to.include({ crashDumps: 1, powerState: 'shutdown', rescued: false });
      expect(await d.consoleOutput('host-a', UUID)).to.contain('reboot: Power down');
    });

    it('fails an operation with a DriverError from the failOperation hook, leaving the VM unchanged', async () => {
      const d = driver();
      await d.spawn(instance());
      const before = raw('host-a');
      d.failOperation = (op, host) => (op === 'powerOff' ? `injected failure on ${host}` : undefined);
      const err = await rejection(d.powerOff('host-a', UUID), DriverError);
      expect(err.message).to.equal('injected failure on host-a');
      expect(raw('host-a')).to.equal(before);
      await d.pause('host-a', UUID);
      expect(await d.powerState('host-a', UUID)).to.equal('paused');
    });

    it('still fails spawns on the failOnHosts hosts', async () => {
      const d = driver({ failOnHosts: ['host-a'] });
      const err = await rejection(d.spawn(instance()), Error);
      expect(err.name).to.equal('BuildFailure');
      expect(await d.listInstances('host-a')).to.deep.equal([]);
    });
  });
});

/** Every operation, called on UUID at host-a (migrations go to host-c). */
function operations(d: FakeDriver): [DriverOperation, () => Promise<unknown>][] {
  const ops: Record<DriverOperation, () => Promise<unknown>> = {
    powerOff: () => d.powerOff('host-a', UUID),
    powerOn: () => d.powerOn('host-a', UUID),
    reboot: () => d.reboot('host-a', UUID, 'HARD'),
    pause: () => d.pause('host-a', UUID),
    unpause: () => d.unpause('host-a', UUID),
    suspend: () => d.suspend('host-a', UUID),
    resume: () => d.resume('host-a', UUID),
    rescue: () => d.rescue('host-a', UUID, 'image-rescue'),
    unrescue: () => d.unrescue('host-a', UUID),
    rebuild: () => d.rebuild(instance()),
    snapshot: () => d.snapshot('host-a', UUID, 'snap'),
    migrate: () => d.migrate(instance({ host: 'host-c', flavor: LARGE }), 'host-a'),
    liveMigrate: () => d.liveMigrate('host-a', UUID, 'host-c'),
    triggerCrashDump: () => d.triggerCrashDump('host-a', UUID),
    consoleOutput: () => d.consoleOutput('host-a', UUID),
    diagnostics: () => d.diagnostics('host-a', UUID),
  };
  return Object.entries(ops) as [DriverOperation, () => Promise<unknown>][];
}
