// The fake driver (nova/virt/fake.py): no hypervisor, but its "VMs" are real records on disk, one
// file per instance under <stateDir>/<host>/, so they outlive the process exactly as real VMs
// outlive a crashed nova-compute; orphan clean-up and crash tests can count them. One driver
// serves any number of fake hosts. Spawn takes spawnDelayMs; failures can be injected.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BuildFailure,
  type DriverPowerState,
  type HostInfo,
  type Instance,
  type SpawnResult,
  type VirtDriver,
} from './driver.ts';

export interface FakeDriverOptions {
  stateDir: string;
  spawnDelayMs?: number;
  /** Spawns on these hosts fail (a BuildFailure, so the build is rescheduled). */
  failOnHosts?: string[];
}

interface FakeVM {
  uuid: string;
  key: string;
  host: string;
  powerState: DriverPowerState;
  flavor: Instance['flavor'];
  addresses: SpawnResult['addresses'];
}

/** A stable fake address per instance, in 10.0.0.0/8. */
function fakeAddress(uuid: string): string {
  const h = createHash('sha256').update(uuid).digest();
  return `10.${h[0]}.${h[1]}.${(h[2]! % 254) + 1}`;
}

export class FakeDriver implements VirtDriver {
  readonly type = 'fake' as const;
  private readonly options: FakeDriverOptions;
  /** Test hook: return an error message to make this spawn fail. */
  failSpawn?: (instance: Instance) => string | undefined;

  constructor(options: FakeDriverOptions) {
    this.options = options;
  }

  private dir(host: string): string {
    return join(this.options.stateDir, host);
  }

  async hostInfo(): Promise<HostInfo> {
    return { hypervisorType: 'fake', hypervisorVersion: 1000 };
  }

  async listInstances(host: string): Promise<string[]> {
    const files = await readdir(this.dir(host)).catch(() => [] as string[]);
    return files.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length));
  }

  async spawn(instance: Instance): Promise<SpawnResult> {
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
    };
    await mkdir(this.dir(instance.host), { recursive: true });
    const file = join(this.dir(instance.host), `${instance.uuid}.json`);
    await writeFile(`${file}.tmp`, JSON.stringify(vm));
    await rename(`${file}.tmp`, file); // atomic: a crash leaves the VM whole or absent
    return { addresses: vm.addresses };
  }

  async destroy(host: string, uuid: string): Promise<void> {
    await rm(join(this.dir(host), `${uuid}.json`), { force: true });
  }

  async powerState(host: string, uuid: string): Promise<DriverPowerState | undefined> {
    return (await this.read(host, uuid))?.powerState;
  }

  private async read(host: string, uuid: string): Promise<FakeVM | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir(host), `${uuid}.json`), 'utf8')) as FakeVM;
    } catch {
      return undefined;
    }
  }
}
