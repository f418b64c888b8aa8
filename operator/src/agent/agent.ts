// The libvirt node agent (nova-compute with the libvirt driver, for one node): it runs Nova's
// compute manager (controllers/compute.ts) for its own node with the libvirt driver, reports the
// node's hypervisor and heartbeats, follows libvirt's lifecycle events and periodically syncs
// power states, sweeps domains no server owns, and cleans the image cache. The operator runs no
// compute manager for libvirt nodes: its in-process driver serves only nodes labelled fake.
import { mkdir } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { ComputeHost, Image, Keypair, Server, ServerAction } from '../api/v1alpha1/index.ts';
import { resolveImage, resolveKeypair } from '../compute/server.ts';
import {
  Heartbeats,
  computeReconciler,
  createSnapshotImage,
  sweepOrphans,
  type ComputeManagerDeps,
} from '../controllers/compute.ts';
import { type ImageStoreAccess, uploadImageData } from '../compute/imagedata.ts';
import { COMPUTE_HOSTS } from '../controllers/computehost.ts';
import { KEYPAIRS } from '../controllers/keypair.ts';
import { IMAGES, SERVERS, writeServerStatus } from '../controllers/server.ts';
import { SERVER_ACTIONS } from '../controllers/serveraction.ts';
import type { Instance } from '../drivers/driver.ts';
import type { ConfigDriveKey } from '../drivers/libvirt/configdrive.ts';
import { DOMAIN_PREFIX, LibvirtDriver } from '../drivers/libvirt/driver.ts';
import { VirshLibvirt, type Libvirt } from '../drivers/libvirt/libvirt.ts';
import { KubeClient, isNotFound, type KubeObject } from '../kube/client.ts';
import { objectPath, type Resource } from '../kube/resources.ts';
import { patchStatus } from '../kube/writes.ts';
import { type Clock, realClock } from '../runtime/clock.ts';
import { Controller } from '../runtime/controller.ts';
import { EventRecorder } from '../runtime/events.ts';
import { Informer } from '../runtime/informer.ts';
import { hostReport } from './hostinfo.ts';
import { powerSync } from './powersync.ts';

export interface AgentOptions {
  kubeConfig: KubeConfig;
  /** The node (compute host) this agent serves. */
  node: string;
  /** Instance folders and the image cache (Nova's instances_path). */
  stateDir: string;
  /** libvirt connection URI (default qemu:///system). */
  libvirtUri?: string;
  /** 'qemu' without hardware virtualisation, 'kvm' with it (default: kvm when /dev/kvm exists). */
  virtType?: 'qemu' | 'kvm';
  /** Namespace of the heartbeat Leases (the operator's). */
  namespace?: string;
  /** Seconds between heartbeats ([DEFAULT] report_interval). */
  reportInterval?: number;
  /** Heartbeat Lease duration ([DEFAULT] service_down_time). */
  serviceDownTime?: number;
  /** Seconds between power-state syncs ([DEFAULT] sync_power_state_interval). */
  syncPowerStateInterval?: number;
  /** Seconds between orphan sweeps and image cache passes ([DEFAULT] image_cache_manager_interval). */
  imageCacheManagerInterval?: number;
  /** Unused bases older than this are removed ([image_cache] remove_unused_original_minimum_age_seconds). */
  removeUnusedOriginalMinimumAgeSeconds?: number;
  /** Seconds a clean shutdown may take before the power is pulled ([DEFAULT] shutdown_timeout). */
  shutdownTimeout?: number;
  /** Nova's [scheduler] max_attempts: builds failing here are rescheduled until then (default 3). */
  maxAttempts?: number;
  /** Nova's shelved_offload_time (default 0: offload at once). */
  shelvedOffloadTime?: number;
  shutdownRetryInterval?: number;
  workers?: number;
  /**
   * The gateway's image store: snapshots are uploaded there (and removed from the node);
   * without it a snapshot stays a node-local file the Image names (source.nodePath).
   */
  imageStore?: ImageStoreAccess;
  /** Tests inject a libvirt (the in-memory fake); otherwise virsh on libvirtUri. */
  libvirt?: Libvirt;
  log: Logger;
  clock?: Clock;
}

export class Agent {
  readonly client: KubeClient;
  readonly driver: LibvirtDriver;
  readonly informers: {
    servers: Informer<Server>;
    images: Informer<Image>;
    keypairs: Informer<Keypair>;
    serverActions: Informer<ServerAction>;
  };
  private readonly o: AgentOptions;
  private readonly clock: Clock;
  private readonly stopped = new AbortController();
  private readonly heartbeats: Heartbeats;

  private constructor(o: AgentOptions, client: KubeClient) {
    this.o = o;
    this.client = client;
    this.clock = o.clock ?? realClock;
    const inf = <T extends KubeObject>(r: Resource) =>
      new Informer<T>(client, r, { clock: this.clock, log: o.log, resyncMs: 10 * 60_000 });
    this.informers = {
      servers: inf<Server>(SERVERS),
      images: inf<Image>(IMAGES),
      keypairs: inf<Keypair>(KEYPAIRS),
      serverActions: inf<ServerAction>(SERVER_ACTIONS),
    };
    this.driver = new LibvirtDriver({
      libvirt: o.libvirt ?? new VirshLibvirt(o.libvirtUri),
      host: o.node,
      stateDir: o.stateDir,
      virtType: o.virtType ?? 'qemu',
      image: (ref) => resolveImage(ref, this.informers.images.list()),
      keypair: (i) => this.keypair(i),
      shutdownTimeoutS: o.shutdownTimeout ?? 60,
      shutdownRetryS: o.shutdownRetryInterval ?? 10,
    });
    this.heartbeats = new Heartbeats(
      client,
      o.namespace ?? 'kova-system',
      `kova-agent-${o.node}`,
      this.clock,
    );
  }

  static async create(o: AgentOptions): Promise<Agent> {
    const client = await KubeClient.create(o.kubeConfig, { userAgent: `kova-agent/${o.node}` });
    await mkdir(o.stateDir, { recursive: true, mode: 0o755 });
    return new Agent(o, client);
  }

  /** The key a server names, its user's (resolveKeypair). */
  private keypair(i: Instance): ConfigDriveKey | undefined {
    if (!i.keyName) return undefined;
    const kp = resolveKeypair(i.keyName, i.userId, this.informers.keypairs.list());
    return kp && { name: kp.spec.name, type: kp.spec.type, data: kp.spec.publicKey };
  }

  /** Runs until stop(). */
  async run(): Promise<void> {
    const signal = this.stopped.signal;
    const { servers, images, serverActions } = this.informers;
    for (const i of Object.values(this.informers)) void i.start();
    await Promise.all(Object.values(this.informers).map((i) => i.synced));
    const log = this.o.log;
    const base = { clock: this.clock, log };
    const events = new EventRecorder({
      client: this.client,
      controller: 'compute.kova.io/libvirt-agent',
      instance: this.o.node,
      log,
      clock: this.clock,
    });
    const node = this.o.node;
    const deps: ComputeManagerDeps = {
      client: this.client,
      driver: this.driver,
      servers,
      ownsHost: (h) => h === node,
      hosts: () => [node],
      maxAttempts: () => this.o.maxAttempts ?? 3,
      actions: () => serverActions.list(),
      images: () => images.list(),
      shelvedOffloadTime: () => this.o.shelvedOffloadTime ?? 0,
      createSnapshotImage: (s, name, metadata, size, checksum, nodePath) => {
        const store = this.o.imageStore;
        const upload =
          store && ((img: Image, file: string) => uploadImageData(store, img.metadata.uid!, file));
        return createSnapshotImage(this.client, s, name, metadata, size, checksum, nodePath, upload);
      },
      events,
      ...base,
    };
    const serverKey = (s: Server) => [`${s.metadata.namespace}/${s.metadata.name}`];
    const compute = new Controller({
      ...base,
      name: 'compute-libvirt',
      workers: this.o.workers ?? 4,
      reconcile: computeReconciler(deps),
    })
      .watch(servers, serverKey)
      .watch(serverActions, (a) => [`${a.metadata.namespace}/${a.spec.server}`]);
    const sync = new Controller({
      ...base,
      name: 'power-sync',
      workers: 1,
      reconcile: (k) => this.syncOne(k),
    });
    // A lifecycle event of one of our domains: sync that server's power state now.
    this.driver.libvirt.watchEvents((e) => {
      if (!e.domain.startsWith(DOMAIN_PREFIX)) return;
      const uuid = e.domain.slice(DOMAIN_PREFIX.length);
      log.debug({ event: e }, 'libvirt lifecycle event');
      const s = servers.list().find((x) => x.metadata.uid === uuid);
      if (s) sync.queue.addAfter(`${s.metadata.namespace}/${s.metadata.name}`, 500);
    }, signal);
    const every = (seconds: number, fn: () => Promise<unknown>) => this.periodic(signal, seconds * 1000, fn);
    const running = [
      compute.run(signal),
      sync.run(signal),
      every(this.o.reportInterval ?? 10, () => this.report()),
      every(this.o.syncPowerStateInterval ?? 600, async () => {
        for (const s of servers.list()) if (s.status?.host === node) sync.queue.add(serverKey(s)[0]!);
      }),
      every(this.o.imageCacheManagerInterval ?? 2400, async () => {
        await sweepOrphans(deps);
        await this.driver.cache.cleanup(
          await this.driver.basesInUse(),
          this.o.removeUnusedOriginalMinimumAgeSeconds ?? 86400,
        );
      }),
    ];
    await Promise.all(running);
  }

  /** Heartbeat and the host's report (update_available_resource). */
  private async report(): Promise<void> {
    await this.heartbeats.beat(this.o.node, this.o.serviceDownTime ?? 60);
    const ch = await this.client
      .get<ComputeHost>(objectPath(COMPUTE_HOSTS, this.o.node))
      .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
    if (!ch) return; // the operator creates it for the labelled node
    const report = await hostReport(this.driver.libvirt, this.o.stateDir);
    const changed = (Object.keys(report) as (keyof typeof report)[]).some(
      (k) => JSON.stringify(ch.status?.[k]) !== JSON.stringify(report[k]),
    );
    if (changed) await patchStatus(this.client, COMPUTE_HOSTS, ch, report);
  }

  private async syncOne(key: string): Promise<void> {
    const s = this.informers.servers.get(key);
    if (!s || s.status?.host !== this.o.node) return;
    const observed = await this.driver.powerState(this.o.node, s.metadata.uid!);
    const decision = powerSync(s, observed);
    this.o.log.debug({ key, observed, recorded: s.status?.powerState, decision }, 'power state sync');
    if (decision.powerOff) await this.driver.powerOff(this.o.node, s.metadata.uid!);
    if (decision.status) await writeServerStatus(this.client, s, decision.status, this.clock);
    if (decision.stop) {
      await this.client.patch(objectPath(SERVERS, s.metadata.name!, s.metadata.namespace), {
        spec: { powerState: 'stopped' },
      });
    }
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    for (const i of Object.values(this.informers)) i.stop();
    await this.client.close();
  }

  /** Runs fn now and then every periodMs until signal aborts; failures are logged. */
  private async periodic(signal: AbortSignal, periodMs: number, fn: () => Promise<unknown>): Promise<void> {
    while (!signal.aborted) {
      await fn().catch((err: unknown) => this.o.log.warn({ err }, 'periodic task failed'));
      await new Promise<void>((resolve) => {
        const cancel = this.clock.after(periodMs, resolve);
        signal.addEventListener('abort', () => (cancel(), resolve()), { once: true });
      });
    }
  }
}
