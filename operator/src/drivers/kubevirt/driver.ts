// The KubeVirt driver: each server is a kubevirt.io/v1 VirtualMachine that KubeVirt's own
// controllers run. One driver serves every node labelled compute.kova.io/driver=kubevirt.
// Actions use KubeVirt's mechanisms: runStrategy (start/stop), the VMI subresources of virt-api
// (pause, unpause, softreboot), the VM's restart subresource (hard reboot), and a
// VirtualMachineInstanceMigration (live migration to the host Kova chose). KubeVirt acts
// asynchronously: each call writes its intent, then waits until the VMI shows the result.
import { Buffer } from 'node:buffer';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1VirtualMachine, V1VirtualMachineInstanceMigration } from './types.ts';
import { API_VERSION } from '../../api/kind.ts';
import type { Image, Keypair, Server } from '../../api/v1alpha1/index.ts';
import { KEYPAIRS } from '../../controllers/keypair.ts';
import { SERVERS } from '../../controllers/server.ts';
import { resolveKeypair } from '../../compute/server.ts';
import { type KubeClient, isAlreadyExists, isNotFound } from '../../kube/client.ts';
import { PODS, type Resource, collectionPath, objectPath } from '../../kube/resources.ts';
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
import {
  HOST_LABEL,
  RUNNING,
  STOPPED,
  UUID_LABEL,
  buildVirtualMachine,
  vmiHostname,
  vmName,
  vmNamespace,
  type RootDiskSource,
  type RunStrategy,
} from './manifest.ts';
import { addressesOf, faultOf, launchedAt, powerStateOf, type Vmi } from './status.ts';

const kv = (plural: string): Resource => ({ group: 'kubevirt.io', version: 'v1', plural, namespaced: true });
export const VIRTUAL_MACHINES = kv('virtualmachines');
export const VIRTUAL_MACHINE_INSTANCES = kv('virtualmachineinstances');
export const VIRTUAL_MACHINE_INSTANCE_MIGRATIONS = kv('virtualmachineinstancemigrations');
const SECRETS: Resource = { group: '', version: 'v1', plural: 'secrets', namespaced: true };

/** The virt-api subresource verbs Kova uses (subresources.kubevirt.io/v1). */
export type SubresourceVerb = 'pause' | 'unpause' | 'softreboot' | 'restart';

/** virt-api's subresource path for a VMI (pause, unpause, softreboot) or a VM (restart). */
export function subresourcePath(namespace: string, name: string, verb: SubresourceVerb): string {
  const plural = verb === 'restart' ? 'virtualmachines' : 'virtualmachineinstances';
  return `/apis/subresources.kubevirt.io/v1/namespaces/${namespace}/${plural}/${name}/${verb}`;
}

/**
 * How the driver reaches virt-api's subresources: through the Kubernetes API's aggregation layer
 * by default (a KubeClient); tests point it at a loopback server playing virt-api.
 */
export interface SubresourceClient {
  put(namespace: string, name: string, verb: SubresourceVerb): Promise<void>;
}

/** The subresources through a KubeClient: PUT with an empty options body, as virtctl does. */
export function kubeSubresources(client: KubeClient): SubresourceClient {
  return {
    async put(namespace, name, verb) {
      await client.request('PUT', subresourcePath(namespace, name, verb), { body: {} });
    },
  };
}

export interface KubeVirtDriverOptions {
  client: KubeClient;
  subresources?: SubresourceClient;
  /** The host's cpu and ram allocation ratios (ComputeHost spec, else the configured defaults). */
  ratios: (host: string) => { vcpus: number; memoryMb: number };
  /** The cached Images (an instance's imageRef is the Image's uid). */
  images: () => readonly Image[];
  /** How long to wait for KubeVirt to carry out a step. */
  timeoutMs?: number;
  pollMs?: number;
}

/** On a VM being moved (cold migration, resize): whether it is to run again afterwards. */
const MOVE_ANNOTATION = 'compute.kova.io/moving';

/** Pod-network addresses are Nova's 'private' network. */
const NETWORK = 'private';

export class KubeVirtDriver implements VirtDriver {
  readonly type = 'kubevirt' as const;
  /** What KubeVirt can do (DRIVER_CAPABILITIES); the rest is refused with NotSupported. */
  readonly capabilities: ReadonlySet<DriverOperation> = DRIVER_CAPABILITIES.kubevirt!;
  private readonly client: KubeClient;
  private readonly sub: SubresourceClient;
  private readonly options: KubeVirtDriverOptions;

  constructor(options: KubeVirtDriverOptions) {
    this.options = options;
    this.client = options.client;
    this.sub = options.subresources ?? kubeSubresources(options.client);
  }

  private refuse(op: DriverOperation): never {
    throw new NotSupported(op, 'kubevirt');
  }

  /** KubeVirt's version, read at most once a minute (every host's heartbeat asks). */
  private version?: { at: number; value: Promise<number> };

  async hostInfo(): Promise<HostInfo> {
    if (!this.version || Date.now() - this.version.at > 60_000) {
      this.version = { at: Date.now(), value: this.kubevirtVersion() };
    }
    return { hypervisorType: 'KubeVirt', hypervisorVersion: await this.version.value };
  }

  /** From the KubeVirt install object where readable (v1.4.0 → 1004000), else 0. */
  private async kubevirtVersion(): Promise<number> {
    const list = await this.client
      .get<{ items?: { status?: { observedKubeVirtVersion?: string } }[] }>('/apis/kubevirt.io/v1/kubevirts')
      .catch(() => undefined);
    const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(list?.items?.[0]?.status?.observedKubeVirtVersion ?? '');
    return m ? Number(m[1]) * 1_000_000 + Number(m[2]) * 1000 + Number(m[3]) : 0;
  }

  private async vmsWhere(selector: string): Promise<V1VirtualMachine[]> {
    const list = await this.client.list<V1VirtualMachine>('/apis/kubevirt.io/v1/virtualmachines', {
      labelSelector: selector,
    });
    return list.items;
  }

  async listInstances(host: string): Promise<string[]> {
    return (await this.vmsWhere(`${HOST_LABEL}=${host}`)).map((vm) => vm.metadata!.labels![UUID_LABEL]!);
  }

  /** The instance's VirtualMachine on host; DriverError when it is not there. */
  private async vm(host: string, uuid: string): Promise<V1VirtualMachine> {
    const vm = (await this.vmsWhere(`${UUID_LABEL}=${uuid}`))[0];
    if (!vm || vm.metadata?.labels?.[HOST_LABEL] !== host) {
      throw new DriverError(`Instance ${uuid} could not be found on host ${host}.`);
    }
    return vm;
  }

  private async vmi(vm: V1VirtualMachine): Promise<Vmi | undefined> {
    const path = objectPath(VIRTUAL_MACHINE_INSTANCES, vm.metadata!.name!, vm.metadata!.namespace!);
    return this.client.get<Vmi>(path).catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
  }

  /** Polls until ready returns a value (KubeVirt has carried out the step), or times out. */
  private async until<T>(what: string, ready: () => Promise<T | undefined | false>): Promise<T> {
    const deadline = Date.now() + (this.options.timeoutMs ?? 300_000);
    for (;;) {
      const v = await ready();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`KubeVirt did not ${what} in time`);
      await sleep(this.options.pollMs ?? 200);
    }
  }

  private async untilPower(
    vm: V1VirtualMachine,
    want: DriverPowerState[],
    what: string,
  ): Promise<Vmi | true> {
    return this.until(what, async () => {
      const vmi = await this.vmi(vm);
      if (vmi?.status?.phase === 'Failed' && !want.includes('crashed')) throw new DriverError(faultOf(vmi)!);
      return want.includes(powerStateOf(vmi)) && (vmi ?? true);
    });
  }

  private rootDisk(imageRef: string | undefined): RootDiskSource {
    const image = this.options.images().find((i) => i.metadata.uid === imageRef);
    const src = image?.spec.source;
    if (src?.containerDisk) return { containerDisk: src.containerDisk };
    if (src?.url) return { url: src.url };
    if (src?.nodePath) return { nodePath: src.nodePath };
    throw new BuildFailure(
      `Image ${imageRef} has no data KubeVirt can boot (containerDisk, url or nodePath).`,
    );
  }

  /** The VirtualMachine for instance, its keys Secret written first. */
  private async manifest(instance: Instance, running: boolean): Promise<V1VirtualMachine> {
    const ns = vmNamespace(instance);
    const name = vmName(instance);
    const server = await this.client.get<Server>(objectPath(SERVERS, name, ns));
    const owner = { apiVersion: API_VERSION, kind: 'Server', name, uid: server.metadata.uid! };
    let keysSecret: string | undefined;
    if (server.spec.keyName) {
      const keypairs = await this.client.list<Keypair>(collectionPath(KEYPAIRS));
      const kp = resolveKeypair(server.spec.keyName, instance.userId, keypairs.items);
      if (!kp) throw new BuildFailure(`Keypair ${server.spec.keyName} could not be found.`);
      keysSecret = `${name}-keys`;
      await this.client
        .create(collectionPath(SECRETS, ns), {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: keysSecret, labels: { [UUID_LABEL]: instance.uuid }, ownerReferences: [owner] },
          data: {
            [kp.spec.name.replace(/[^-._a-zA-Z0-9]/g, '_')]: Buffer.from(kp.spec.publicKey).toString(
              'base64',
            ),
          },
        })
        .catch((e: unknown) => (isAlreadyExists(e) ? undefined : Promise.reject(e)));
    }
    return buildVirtualMachine({
      instance,
      owner,
      root: this.rootDisk(instance.imageRef),
      hostname: vmiHostname(server.spec.hostname ?? instance.displayName),
      ...(keysSecret ? { keysSecret } : {}),
      ratios: this.options.ratios(instance.host),
      running,
    });
  }

  async spawn(instance: Instance): Promise<SpawnResult> {
    const existing = (await this.vmsWhere(`${UUID_LABEL}=${instance.uuid}`))[0];
    if (existing && existing.metadata?.labels?.[HOST_LABEL] !== instance.host) {
      // Evacuate: the VM's host failed, and its guest with it. Its VMI there is discarded (at
      // once: the node will not confirm a graceful stop) and the VM re-pinned to instance.host.
      await this.setRunStrategy(existing, STOPPED);
      await this.client
        .request(
          'DELETE',
          objectPath(VIRTUAL_MACHINE_INSTANCES, existing.metadata!.name!, existing.metadata!.namespace!),
          {
            body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 },
          },
        )
        .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
      await this.respec(existing, instance, true);
    }
    const vm = existing ?? (await this.createVm(await this.manifest(instance, true)));
    // Up when running with an address (KubeVirt reports the interfaces once the guest agent or
    // the pod network tells it); a failed VMI is a build failure, rescheduled by the compute manager.
    const vmi = await this.until('start the VirtualMachine', async () => {
      const vmi = await this.vmi(vm);
      if (vmi?.status?.phase === 'Failed') throw new BuildFailure(faultOf(vmi)!);
      return powerStateOf(vmi) === 'running' && vmi;
    });
    return { addresses: addressesOf(vmi, NETWORK) };
  }

  private async createVm(vm: V1VirtualMachine): Promise<V1VirtualMachine> {
    // Strict: a field KubeVirt's schema does not know is an error, not silently dropped.
    return this.client
      .request<V1VirtualMachine>('POST', collectionPath(VIRTUAL_MACHINES, vm.metadata!.namespace!), {
        body: vm,
        query: { fieldValidation: 'Strict' },
      })
      .catch((e: unknown) => (isAlreadyExists(e) ? vm : Promise.reject(e)));
  }

  async destroy(host: string, uuid: string): Promise<void> {
    const vm = (await this.vmsWhere(`${UUID_LABEL}=${uuid}`))[0];
    if (!vm || vm.metadata?.labels?.[HOST_LABEL] !== host) return;
    const { name, namespace } = vm.metadata!;
    // The VM owns its VMI and DataVolumes; the Server owns the VM and the keys Secret. Deleted
    // here as well: a cluster without a garbage collector (or a crash) must not leave them.
    const gone = (e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e));
    await this.client.delete(objectPath(VIRTUAL_MACHINES, name!, namespace)).catch(gone);
    await this.client.delete(objectPath(SECRETS, `${name}-keys`, namespace)).catch(gone);
  }

  async powerState(host: string, uuid: string): Promise<DriverPowerState | undefined> {
    const vm = await this.vm(host, uuid).catch((e: unknown) =>
      e instanceof DriverError ? undefined : Promise.reject(e),
    );
    return vm && powerStateOf(await this.vmi(vm));
  }

  private async setRunStrategy(vm: V1VirtualMachine, runStrategy: RunStrategy): Promise<void> {
    if (vm.spec?.runStrategy === runStrategy) return;
    await this.client.patch(objectPath(VIRTUAL_MACHINES, vm.metadata!.name!, vm.metadata!.namespace!), {
      spec: { runStrategy },
    });
  }

  async powerOff(host: string, uuid: string): Promise<void> {
    const vm = await this.vm(host, uuid);
    await this.setRunStrategy(vm, STOPPED);
    await this.untilPower(vm, ['shutdown', 'crashed'], 'stop the VirtualMachine');
  }

  async powerOn(host: string, uuid: string): Promise<void> {
    await this.start(await this.vm(host, uuid));
  }

  /**
   * Runs the VM: a VMI whose guest shut down (or failed) is finished and removed, so KubeVirt
   * starts a fresh one, as `virtctl start` would.
   */
  private async start(vm: V1VirtualMachine): Promise<void> {
    const vmi = await this.vmi(vm);
    const finished = vmi?.status?.phase === 'Succeeded' || vmi?.status?.phase === 'Failed';
    if (finished) {
      await this.client
        .delete(objectPath(VIRTUAL_MACHINE_INSTANCES, vmi.metadata!.name!, vmi.metadata!.namespace!))
        .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
    }
    await this.setRunStrategy(vm, RUNNING);
    const old = finished ? vmi.metadata?.uid : undefined;
    await this.until('start the VirtualMachine', async () => {
      const now = await this.vmi(vm);
      if (!now || now.metadata?.uid === old) return false;
      if (now.status?.phase === 'Failed') throw new DriverError(faultOf(now)!);
      return powerStateOf(now) === 'running';
    });
  }

  async reboot(host: string, uuid: string, type: RebootType): Promise<void> {
    const vm = await this.vm(host, uuid);
    const vmi = await this.vmi(vm);
    const state = powerStateOf(vmi);
    const { name, namespace } = vm.metadata!;
    if (type === 'SOFT') {
      // An ACPI reboot of the guest, through virt-api; the VMI stays.
      if (state !== 'running') throw new DriverError(`Instance ${uuid} is not running (${state}).`);
      await this.sub.put(namespace!, name!, 'softreboot');
      return;
    }
    // Hard: KubeVirt's restart replaces the VMI; a stopped VM is simply started.
    if (state === 'shutdown' || state === 'crashed') {
      await this.start(vm);
      return;
    }
    await this.sub.put(namespace!, name!, 'restart');
    const before = vmi?.metadata?.uid;
    await this.until('restart the VirtualMachine', async () => {
      const now = await this.vmi(vm);
      return now?.metadata?.uid !== before && powerStateOf(now) === 'running';
    });
  }

  async pause(host: string, uuid: string): Promise<void> {
    const vm = await this.vm(host, uuid);
    const state = powerStateOf(await this.vmi(vm));
    if (state === 'paused') return;
    if (state !== 'running') throw new DriverError(`Instance ${uuid} is not running (${state}).`);
    await this.sub.put(vm.metadata!.namespace!, vm.metadata!.name!, 'pause');
    await this.untilPower(vm, ['paused'], 'pause the VirtualMachineInstance');
  }

  async unpause(host: string, uuid: string): Promise<void> {
    const vm = await this.vm(host, uuid);
    const state = powerStateOf(await this.vmi(vm));
    if (state === 'running') return;
    if (state !== 'paused') throw new DriverError(`Instance ${uuid} is not paused (${state}).`);
    await this.sub.put(vm.metadata!.namespace!, vm.metadata!.name!, 'unpause');
    await this.untilPower(vm, ['running'], 'unpause the VirtualMachineInstance');
  }

  suspend(): Promise<void> {
    this.refuse('suspend');
  }

  resume(): Promise<void> {
    this.refuse('resume');
  }

  rescue(): Promise<void> {
    this.refuse('rescue');
  }

  unrescue(): Promise<void> {
    this.refuse('unrescue');
  }

  triggerCrashDump(): Promise<void> {
    this.refuse('triggerCrashDump');
  }

  snapshot(): Promise<SnapshotResult> {
    this.refuse('snapshot');
  }

  /**
   * Replaces the VM's spec with instance's (image, flavor, host) while it is stopped, then starts
   * it again if it ran: rebuild, and cold migration/resize (KubeVirt has no cross-node disk copy
   * for containerDisk; a DataVolume moves with its PVC where the storage allows).
   */
  private async respec(vm: V1VirtualMachine, instance: Instance, running: boolean): Promise<void> {
    await this.setRunStrategy(vm, STOPPED);
    await this.untilPower(vm, ['shutdown', 'crashed'], 'stop the VirtualMachine');
    const current = await this.client.get<V1VirtualMachine>(
      objectPath(VIRTUAL_MACHINES, vm.metadata!.name!, vm.metadata!.namespace!),
    );
    const next = await this.manifest(instance, running);
    await this.client.request(
      'PUT',
      objectPath(VIRTUAL_MACHINES, vm.metadata!.name!, vm.metadata!.namespace!),
      {
        body: { ...next, metadata: { ...current.metadata, labels: next.metadata!.labels } },
        query: { fieldValidation: 'Strict' },
      },
    );
    if (running) await this.untilPower(vm, ['running'], 'start the VirtualMachine');
  }

  async rebuild(instance: Instance): Promise<void> {
    await this.respec(await this.vm(instance.host, instance.uuid), instance, true);
  }

  async migrate(instance: Instance, fromHost: string): Promise<void> {
    const vm = (await this.vmsWhere(`${UUID_LABEL}=${instance.uuid}`))[0];
    if (!vm) throw new DriverError(`Instance ${instance.uuid} could not be found.`);
    const host = vm.metadata?.labels?.[HOST_LABEL];
    if (host !== fromHost && host !== instance.host) {
      throw new DriverError(`Instance ${instance.uuid} could not be found on host ${fromHost}.`);
    }
    const pending = vm.metadata?.annotations?.[MOVE_ANNOTATION];
    const domain = vm.spec.template.spec?.domain;
    const done =
      !pending &&
      host === instance.host &&
      domain?.cpu?.sockets === instance.flavor.vcpus &&
      domain.memory?.guest === `${instance.flavor.ram}Mi`;
    if (done) return;
    // Whether it ran before the move, remembered on the VM: a retry after a crash between the
    // stop and the start still knows.
    const running = pending ? pending === 'running' : vm.spec.runStrategy !== STOPPED;
    const path = objectPath(VIRTUAL_MACHINES, vm.metadata!.name!, vm.metadata!.namespace!);
    if (!pending) {
      await this.client.patch(path, {
        metadata: { annotations: { [MOVE_ANNOTATION]: running ? 'running' : 'stopped' } },
      });
    }
    await this.respec(vm, instance, running);
    await this.client.patch(path, { metadata: { annotations: { [MOVE_ANNOTATION]: null } } });
  }

  async liveMigrate(host: string, uuid: string, toHost: string): Promise<void> {
    if (toHost === host) throw new DriverError(`Instance ${uuid} is already on host ${host}.`);
    const vm = (await this.vmsWhere(`${UUID_LABEL}=${uuid}`))[0];
    if (!vm) throw new DriverError(`Instance ${uuid} could not be found on host ${host}.`);
    const { name, namespace } = vm.metadata!;
    const vmi = await this.vmi(vm);
    if (vm.metadata?.labels?.[HOST_LABEL] === toHost && vmi?.status?.nodeName === toHost) return;
    const state = powerStateOf(vmi);
    if (state !== 'running' && state !== 'paused') {
      throw new DriverError(`Instance ${uuid} is not running (${state}).`);
    }
    // The VM is pinned to its node: move the pin (KubeVirt live-updates a running VMI's node
    // affinity), then ask for the migration to exactly that node.
    const template = vm.spec!.template;
    await this.client.patch(objectPath(VIRTUAL_MACHINES, name!, namespace), {
      metadata: { labels: { [HOST_LABEL]: toHost } },
      spec: {
        template: {
          metadata: { labels: { [HOST_LABEL]: toHost } },
          spec: {
            affinity: {
              ...template.spec?.affinity,
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    { matchFields: [{ key: 'metadata.name', operator: 'In', values: [toHost] }] },
                  ],
                },
              },
            },
          },
        },
      },
    });
    const migrations = await this.client.list<V1VirtualMachineInstanceMigration>(
      collectionPath(VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, namespace),
      { labelSelector: `${UUID_LABEL}=${uuid}` },
    );
    let mig = migrations.items.find(
      (m) => m.spec.addedNodeSelector?.['kubernetes.io/hostname'] === toHost && m.status?.phase !== 'Failed',
    );
    mig ??= await this.client.request<V1VirtualMachineInstanceMigration>(
      'POST',
      collectionPath(VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, namespace),
      {
        body: {
          apiVersion: 'kubevirt.io/v1',
          kind: 'VirtualMachineInstanceMigration',
          metadata: { generateName: `${name}-migration-`, labels: { [UUID_LABEL]: uuid } },
          spec: { vmiName: name, addedNodeSelector: { 'kubernetes.io/hostname': toHost } },
        },
        query: { fieldValidation: 'Strict' },
      },
    );
    const migName = mig.metadata!.name!;
    await this.until('live-migrate the VirtualMachineInstance', async () => {
      const m = await this.client.get<V1VirtualMachineInstanceMigration>(
        objectPath(VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, migName, namespace),
      );
      if (m.status?.phase === 'Failed') throw new DriverError(`Live migration ${migName} failed.`);
      return m.status?.phase === 'Succeeded';
    });
  }

  /** The guest's serial console log: virt-launcher's guest-console-log container. */
  async consoleOutput(host: string, uuid: string, length?: number): Promise<string> {
    if (length === 0) return '';
    const vm = await this.vm(host, uuid);
    const vmi = await this.vmi(vm);
    if (!vmi) throw new DriverError(`Instance ${uuid} is not running.`);
    const pods = await this.client.list<{ metadata: { name: string } }>(
      collectionPath(PODS, vm.metadata!.namespace!),
      { labelSelector: `kubevirt.io/created-by=${vmi.metadata!.uid}` },
    );
    const pod = pods.items[0];
    if (!pod) throw new DriverError(`Instance ${uuid} has no virt-launcher pod.`);
    const log = await this.client.get<string>(
      `${objectPath(PODS, pod.metadata.name, vm.metadata!.namespace!)}/log`,
      { query: { container: 'guest-console-log', ...(length && length > 0 ? { tailLines: length } : {}) } },
    );
    return log ?? '';
  }

  async diagnostics(host: string, uuid: string): Promise<InstanceDiagnostics> {
    const vm = await this.vm(host, uuid);
    const vmi = await this.vmi(vm);
    const domain = vm.spec!.template.spec!.domain;
    const cpu = domain.cpu ?? {};
    const vcpus = (cpu.sockets ?? 1) * (cpu.cores ?? 1) * (cpu.threads ?? 1);
    const memory = Number.parseInt(domain.memory?.guest ?? '0', 10);
    const nics = vmi?.status?.interfaces ?? [];
    const disks = domain.devices.disks ?? [];
    const started = launchedAt(vmi);
    return {
      state: powerStateOf(vmi),
      driver: 'kubevirt',
      hypervisor: 'kvm',
      hypervisor_os: 'linux',
      uptime: vmi && started ? Math.floor((Date.now() - Date.parse(started)) / 1000) : null,
      config_drive: true,
      num_cpus: vcpus,
      num_disks: disks.length,
      num_nics: nics.length,
      memory_details: { maximum: memory, used: null },
      cpu_details: Array.from({ length: vcpus }, (_, id) => ({ id, time: null, utilisation: null })),
      nic_details: nics.map((n) => ({
        mac_address: n.mac ?? null,
        rx_octets: null,
        rx_errors: null,
        rx_drop: null,
        rx_packets: null,
        rx_rate: null,
        tx_octets: null,
        tx_errors: null,
        tx_drop: null,
        tx_packets: null,
        tx_rate: null,
      })),
      disk_details: disks.map(() => ({
        read_bytes: null,
        read_requests: null,
        write_bytes: null,
        write_requests: null,
        errors_count: null,
      })),
    };
  }
}
