// The operator process: informers (always, so a standby is warm), and, while it leads, the
// controllers: server (Nova API/conductor), scheduler, compute hosts, and the compute manager of
// the in-process fake driver. Leadership lost means stop at once (onLostLeadership).
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type {
  Aggregate,
  ComputeHost,
  Flavor,
  Image,
  Keypair,
  Server,
  ProjectQuota,
  ServerAction,
  ServerGroup,
} from './api/v1alpha1/index.ts';
import { AggregateKind, ServerGroupKind } from './api/v1alpha1/index.ts';
import type { OperatorConfig } from './config.ts';
import {
  Heartbeats,
  computeReconciler,
  createSnapshotImage,
  HEARTBEAT_LABEL,
  sweepOrphans,
  type ComputeManagerDeps,
} from './controllers/compute.ts';
import {
  COMPUTE_HOSTS,
  DRIVER_LABEL,
  computeHostReconciler,
  type Node,
  type Pod,
} from './controllers/computehost.ts';
import { LEADER_LEASE, type Lease } from './kube/lease.ts';
import { FLAVORS, IMAGES, SERVERS, serverReconciler, serversAwaiting } from './controllers/server.ts';
import { serverGroupReconciler } from './controllers/servergroup.ts';
import { KEYPAIRS, keypairReconciler } from './controllers/keypair.ts';
import { aggregateReconciler } from './controllers/aggregate.ts';
import { PROJECT_QUOTAS, QUOTA_NAME, projectQuotaReconciler } from './controllers/projectquota.ts';
import {
  SERVER_ACTIONS,
  actionsOf,
  serverActionReconciler,
  writeActionStatus,
} from './controllers/serveraction.ts';
import { resolveServerGroup } from './compute/server.ts';
import type { VirtDriver } from './drivers/driver.ts';
import { FakeDriver } from './drivers/fake.ts';
import { KubeVirtDriver, type SubresourceClient } from './drivers/kubevirt/driver.ts';
import { KUBEVIRT_SCHEDULABLE_LABEL } from './drivers/kubevirt/manifest.ts';
import { syncPowerStates } from './drivers/kubevirt/sync.ts';
import { KubeClient, type KubeObject } from './kube/client.ts';
import { patchStatus } from './kube/writes.ts';
import { LEASES, NODES, PODS, type Resource, kovaResource } from './kube/resources.ts';
import { type Clock, realClock } from './runtime/clock.ts';
import { Controller } from './runtime/controller.ts';
import { EventRecorder } from './runtime/events.ts';
import { Informer, type InformerOptions } from './runtime/informer.ts';
import { LeaderElector } from './runtime/leaderelection.ts';
import { RuntimeMetrics } from './runtime/metrics.ts';
import { SchedulerCache, hostInventory } from './scheduler/cache.ts';
import { loadSchedulerConfig, validateSchedulerConfig, watchSchedulerConfig } from './scheduler/config.ts';
import { type SchedulerPlugins, buildPlugins } from './scheduler/registry.ts';
import { schedulerReconciler } from './scheduler/scheduler.ts';
import { Counter } from 'prom-client';

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  config: OperatorConfig;
  log: Logger;
  clock?: Clock;
  metrics?: RuntimeMetrics;
  /** How the KubeVirt driver reaches virt-api's subresources (default: through the apiserver). */
  kubevirtSubresources?: SubresourceClient;
  /** Called when leadership is lost; the process should exit (default: nothing). */
  onLostLeadership?: () => void;
}

const ORPHAN_SWEEP_MS = 60_000;

/** An in-process driver and which of its nodes report (heartbeat) as up. */
interface DriverService {
  driver: VirtDriver;
  reports: (n: Node) => boolean;
}

export class Operator {
  readonly identity: string;
  readonly metrics: RuntimeMetrics;
  readonly client: KubeClient;
  readonly fakeDriver?: FakeDriver;
  readonly kubevirtDriver?: KubeVirtDriver;
  readonly informers: {
    servers: Informer<Server>;
    flavors: Informer<Flavor>;
    images: Informer<Image>;
    computeHosts: Informer<ComputeHost>;
    aggregates: Informer<Aggregate>;
    keypairs: Informer<Keypair>;
    serverActions: Informer<ServerAction>;
    projectQuotas: Informer<ProjectQuota>;
    serverGroups: Informer<ServerGroup>;
    nodes: Informer<Node>;
    pods: Informer<Pod>;
    leases: Informer<Lease>;
  };
  private readonly options: OperatorOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly stopped = new AbortController();
  private elector?: LeaderElector;
  /** The scheduler's configuration and plugins; replaced when its config file changes. */
  private plugins: SchedulerPlugins;
  private stopWatching?: () => void;
  private leadingSince?: number;

  private constructor(options: OperatorOptions, client: KubeClient, metrics: RuntimeMetrics) {
    this.options = options;
    this.client = client;
    this.metrics = metrics;
    this.clock = options.clock ?? realClock;
    this.log = options.log;
    const { config } = options;
    this.identity = config.identity || `${hostname()}-${process.pid}`;
    const inf = <T extends KubeObject>(r: Resource, o: InformerOptions = {}) =>
      new Informer<T>(client, r, { clock: this.clock, log: this.log, resyncMs: 10 * 60_000, ...o });
    this.informers = {
      servers: inf<Server>(SERVERS),
      flavors: inf<Flavor>(FLAVORS),
      images: inf<Image>(IMAGES),
      computeHosts: inf<ComputeHost>(COMPUTE_HOSTS),
      aggregates: inf<Aggregate>(kovaResource(AggregateKind)),
      keypairs: inf<Keypair>(KEYPAIRS),
      serverActions: inf<ServerAction>(SERVER_ACTIONS),
      projectQuotas: inf<ProjectQuota>(PROJECT_QUOTAS),
      serverGroups: inf<ServerGroup>(kovaResource(ServerGroupKind)),
      nodes: inf<Node>(NODES, { labelSelector: DRIVER_LABEL }),
      pods: inf<Pod>(PODS),
      leases: inf<Lease>(LEASES, { namespace: config.namespace, labelSelector: HEARTBEAT_LABEL }),
    };
    const { schedulerConfigFile } = config;
    this.plugins = buildPlugins(
      schedulerConfigFile
        ? loadSchedulerConfig(schedulerConfigFile)
        : validateSchedulerConfig(config.scheduler),
    );
    if (schedulerConfigFile) {
      this.stopWatching = watchSchedulerConfig(
        schedulerConfigFile,
        (c) => {
          this.plugins = buildPlugins(c);
          this.log.info({ file: schedulerConfigFile }, 'scheduler configuration reloaded');
        },
        (err) =>
          this.log.error(
            { err, file: schedulerConfigFile },
            'scheduler configuration refused; keeping the previous one',
          ),
      );
    }
    if (config.fake.enabled) {
      this.fakeDriver = new FakeDriver({
        stateDir: config.fake.stateDir,
        spawnDelayMs: config.fake.spawnDelayMs,
        failOnHosts: config.fake.failOnHosts,
        unsupported: config.fake.unsupported,
      });
    }
    if (config.kubevirt.enabled) {
      const { computeHosts, images } = this.informers;
      this.kubevirtDriver = new KubeVirtDriver({
        client,
        ...(options.kubevirtSubresources ? { subresources: options.kubevirtSubresources } : {}),
        ratios: (host) => {
          const ch = computeHosts.get(host);
          const inv = ch && hostInventory(ch, config.compute);
          return (
            inv?.ratios ?? {
              vcpus: config.compute.cpu_allocation_ratio,
              memoryMb: config.compute.ram_allocation_ratio,
            }
          );
        },
        images: () => images.list(),
        timeoutMs: config.kubevirt.timeoutSeconds * 1000,
      });
    }
  }

  private get eliminations(): Counter<'filter'> {
    const name = 'kova_scheduler_filter_eliminations_total';
    return (
      (this.metrics.registry.getSingleMetric(name) as Counter<'filter'> | undefined) ??
      new Counter({
        name,
        help: 'Hosts removed by each scheduler filter.',
        labelNames: ['filter'],
        registers: [this.metrics.registry],
      })
    );
  }

  static async create(options: OperatorOptions): Promise<Operator> {
    const metrics = options.metrics ?? new RuntimeMetrics();
    const client = await KubeClient.create(options.kubeConfig, {
      onRequest: metrics.countRequest,
      userAgent: 'kova-operator',
    });
    return new Operator(options, client, metrics);
  }

  get leading(): boolean {
    return this.leadingSince !== undefined;
  }

  /** Informer caches filled. */
  async synced(): Promise<void> {
    await Promise.all(Object.values(this.informers).map((i) => i.synced));
  }

  /** Runs until stop(): informers always; controllers while leading. */
  async run(): Promise<void> {
    for (const i of Object.values(this.informers)) void i.start();
    await this.synced();
    const { config } = this.options;
    if (!config.leaderElection.enabled) {
      await this.lead(this.stopped.signal);
      return;
    }
    this.elector = new LeaderElector({
      client: this.client,
      namespace: config.namespace,
      name: LEADER_LEASE,
      identity: this.identity,
      leaseDurationMs: config.leaderElection.leaseDurationMs,
      renewDeadlineMs: config.leaderElection.renewDeadlineMs,
      retryPeriodMs: config.leaderElection.retryPeriodMs,
      clock: this.clock,
      log: this.log,
      onStartedLeading: (signal) => this.lead(signal),
      onStoppedLeading: () => {
        if (this.stopped.signal.aborted) return;
        this.log.error({ identity: this.identity }, 'leadership lost');
        this.options.onLostLeadership?.();
      },
      onNewLeader: (leader) => this.log.info({ leader }, 'new leader'),
    });
    await this.elector.run();
  }

  /** The scheduler's current configuration. */
  get schedulerConfig() {
    return this.plugins.config;
  }

  async stop(): Promise<void> {
    this.stopped.abort();
    this.stopWatching?.();
    await this.elector?.stop();
    for (const i of Object.values(this.informers)) i.stop();
    await this.client.close();
  }

  /** The controllers, until signal aborts. */
  private async lead(signal: AbortSignal): Promise<void> {
    this.leadingSince = this.clock.now();
    this.log.info({ identity: this.identity }, 'leading: starting controllers');
    const { config } = this.options;
    const {
      servers,
      flavors,
      images,
      computeHosts,
      aggregates,
      serverGroups,
      keypairs,
      serverActions,
      projectQuotas,
      nodes,
      pods,
      leases,
    } = this.informers;
    const base = { clock: this.clock, log: this.log, metrics: this.metrics };
    const events = new EventRecorder({
      client: this.client,
      controller: 'compute.kova.io/operator',
      instance: this.identity,
      log: this.log,
      clock: this.clock,
    });
    const mayWrite = () => !signal.aborted;
    const serverKey = (s: Server) => [`${s.metadata.namespace}/${s.metadata.name}`];
    const pending = (s: Server) => !s.status?.vmState;

    const serverController = new Controller({
      ...base,
      name: 'server',
      workers: config.workers,
      reconcile: serverReconciler({
        client: this.client,
        timers: () => config.compute,
        servers,
        flavors,
        images,
        serverGroups,
        computeHosts,
        events,
        ...base,
      }),
    })
      .watch(servers, serverKey)
      .watch(flavors, () => serversAwaiting(servers, pending))
      .watch(images, () => serversAwaiting(servers, pending))
      .watch(computeHosts, (ch) =>
        serversAwaiting(
          servers,
          (s) => !!s.metadata.deletionTimestamp && s.status?.host === ch.metadata.name,
        ),
      );

    const cache = new SchedulerCache({
      servers,
      computeHosts,
      aggregates,
      nodes,
      serverGroups,
      config: config.compute,
      clock: this.clock,
    });
    const scheduler = new Controller({
      ...base,
      name: 'scheduler',
      workers: 1, // one decision at a time: the cache never hands out the same room twice
      reconcile: schedulerReconciler({
        client: this.client,
        servers,
        images,
        cache,
        plugins: () => this.plugins,
        events,
        finishAction: async (server, message) => {
          const act = serverActions.get(`${server.metadata.namespace}/${server.status?.action?.name}`);
          if (!act || act.status?.phase === 'Succeeded' || act.status?.phase === 'Failed') return;
          const now = new Date(this.clock.now()).toISOString();
          await writeActionStatus(this.client, act, {
            ...act.status,
            phase: 'Failed',
            finishTime: now,
            message,
          });
        },
        mayWrite,
        eliminations: this.eliminations,
        ...base,
      }),
    }).watch(servers, serverKey);

    const hostController = new Controller({
      ...base,
      name: 'computehost',
      workers: 2,
      reconcile: computeHostReconciler({
        client: this.client,
        namespace: config.namespace,
        nodes,
        pods,
        leases,
        servers,
        computeHosts,
        config: config.compute,
        ...base,
      }),
    })
      .watch(nodes)
      .watch(computeHosts)
      .watch(pods, (p) => [p.spec.nodeName])
      .watch(leases, (l) => [l.metadata.labels?.[HEARTBEAT_LABEL]])
      // Usage is for display (the scheduler counts servers itself): refresh it at most every 2 s.
      .watch(servers, (s) => [s.status?.host], { delayMs: 2000 });

    const groupController = new Controller({
      ...base,
      name: 'servergroup',
      reconcile: serverGroupReconciler({ client: this.client, servers, serverGroups }),
    })
      .watch(serverGroups)
      .watch(servers, (s) => {
        const g = resolveServerGroup(s, serverGroups.list());
        return [g && `${g.metadata.namespace}/${g.metadata.name}`];
      });

    const actionController = new Controller({
      ...base,
      name: 'serveraction',
      workers: config.workers,
      reconcile: serverActionReconciler({
        client: this.client,
        servers,
        flavors,
        reclaimInstanceInterval: () => config.compute.reclaim_instance_interval,
        deletedServerActionsRetention: () => config.deletedServerActionsRetention,
        actions: serverActions,
        computeHosts,
        events,
        ...base,
      }),
    })
      .watch(serverActions)
      // A refused or queued action is looked at again when its server changes.
      .watch(servers, (s) =>
        actionsOf(serverActions, s, servers.get(`${s.metadata.namespace}/${s.metadata.name}`) === undefined),
      );

    const quotaController = new Controller({
      ...base,
      name: 'projectquota',
      reconcile: projectQuotaReconciler({
        client: this.client,
        quotas: projectQuotas,
        servers,
        serverGroups,
      }),
    })
      .watch(projectQuotas)
      // Usage is for display (enforcement counts at admission): refresh it at most every 2 s.
      .watch(servers, (s) => [`${s.metadata.namespace}/${QUOTA_NAME}`], { delayMs: 2000 })
      .watch(serverGroups, (g) => [`${g.metadata.namespace}/${QUOTA_NAME}`]);

    const running = [
      quotaController.run(signal),
      actionController.run(signal),
      serverController.run(signal),
      scheduler.run(signal),
      hostController.run(signal),
      groupController.run(signal),
      new Controller({
        ...base,
        name: 'keypair',
        reconcile: keypairReconciler({ client: this.client, keypairs, clock: this.clock }),
      })
        .watch(keypairs)
        .run(signal),
      new Controller({
        ...base,
        name: 'aggregate',
        reconcile: aggregateReconciler({ client: this.client, aggregates }),
      })
        .watch(aggregates)
        .run(signal),
    ];

    const drivers: DriverService[] = [];
    if (this.fakeDriver) drivers.push({ driver: this.fakeDriver, reports: () => true });
    if (this.kubevirtDriver) {
      // A KubeVirt node reports (so its host is up and schedulable) only while KubeVirt marks it
      // schedulable, i.e. virt-handler runs there: a node without KubeVirt is never chosen.
      drivers.push({
        driver: this.kubevirtDriver,
        reports: (n) => n.metadata.labels?.[KUBEVIRT_SCHEDULABLE_LABEL] === 'true',
      });
    }
    const compute = { servers, serverActions, images, nodes, events, base };
    for (const service of drivers) running.push(...this.serveDriver(signal, service, compute));
    const syncEvery = config.compute.sync_power_state_interval;
    if (this.kubevirtDriver && syncEvery > 0) {
      // What KubeVirt did by itself (a guest shut down, a VMI failed) shows on the servers.
      const sync = {
        client: this.client,
        servers: () => servers.list(),
        ownsHost: (h: string) => nodes.get(h)?.metadata.labels?.[DRIVER_LABEL] === 'kubevirt',
        clock: this.clock,
        signal,
      };
      running.push(
        this.periodic(signal, syncEvery * 1000, () => syncPowerStates(sync).then(() => undefined)),
      );
    }
    await Promise.all(running);
    this.leadingSince = undefined;
  }

  /**
   * The compute manager of one in-process driver for the nodes labelled with its type: builds,
   * actions and deletes of their servers, heartbeats of the nodes that `reports`, orphan sweeps.
   */
  private serveDriver(
    signal: AbortSignal,
    { driver, reports }: DriverService,
    c: {
      servers: Informer<Server>;
      serverActions: Informer<ServerAction>;
      images: Informer<Image>;
      nodes: Informer<Node>;
      events: EventRecorder;
      base: { clock: Clock; log: Logger; metrics: RuntimeMetrics };
    },
  ): Promise<void>[] {
    const { config } = this.options;
    const { servers, serverActions, images, nodes, events, base } = c;
    const ours = (n: Node | undefined) => n?.metadata.labels?.[DRIVER_LABEL] === driver.type;
    const hosts = () =>
      nodes
        .list()
        .filter(ours)
        .map((n) => n.metadata.name!);
    const reporting = () =>
      nodes
        .list()
        .filter((n) => ours(n) && reports(n))
        .map((n) => n.metadata.name!);
    const deps: ComputeManagerDeps = {
      client: this.client,
      driver,
      servers,
      ownsHost: (h) => ours(nodes.get(h)),
      hosts,
      maxAttempts: () => this.plugins.config.max_attempts,
      actions: () => serverActions.list(),
      shelvedOffloadTime: () => config.compute.shelved_offload_time,
      images: () => images.list(),
      createSnapshotImage: (s, name, metadata, size, checksum) =>
        createSnapshotImage(this.client, s, name, metadata, size, checksum),
      events,
      ...base,
    };
    const serverKey = (s: Server) => [`${s.metadata.namespace}/${s.metadata.name}`];
    const compute = new Controller({
      ...base,
      name: `compute-${driver.type}`,
      workers: config.workers,
      reconcile: computeReconciler(deps),
    })
      .watch(servers, serverKey)
      .watch(serverActions, (a) => [`${a.metadata.namespace}/${a.spec.server}`]);
    // A node just labelled for this driver reports at once, not at the next interval.
    const reported = new Set<string>();
    const reportNew = (n: Node) => {
      const name = n.metadata.name!;
      if (signal.aborted || reported.has(name) || !ours(n) || !reports(n)) return;
      reported.add(name);
      this.heartbeat(driver, [name]).catch((err: unknown) =>
        this.log.warn({ err, host: name }, 'first heartbeat failed'),
      );
    };
    nodes.addHandler({ add: reportNew, update: (_old, n) => reportNew(n) });
    return [
      compute.run(signal),
      this.periodic(signal, config.compute.report_interval * 1000, () => this.heartbeat(driver, reporting())),
      this.periodic(signal, ORPHAN_SWEEP_MS, () => sweepOrphans(deps).then(() => undefined)),
    ];
  }

  private heartbeats?: Heartbeats;
  private async heartbeat(driver: VirtDriver, hosts: string[]): Promise<void> {
    this.heartbeats ??= new Heartbeats(this.client, this.options.config.namespace, this.identity, this.clock);
    const duration = this.options.config.compute.service_down_time;
    await Promise.all(hosts.map((h) => this.heartbeats!.beat(h, duration)));
    // The service's report also says what the hypervisor is (Nova's update_available_resource).
    for (const h of hosts) {
      const ch = this.informers.computeHosts.get(h);
      if (!ch) continue;
      const info = await driver.hostInfo(h);
      if (
        ch.status?.hypervisorType === info.hypervisorType &&
        ch.status.hypervisorVersion === info.hypervisorVersion
      )
        continue;
      await patchStatus(this.client, COMPUTE_HOSTS, ch, info);
    }
  }

  /** Runs fn now and then every periodMs until signal aborts; failures are logged. */
  private async periodic(signal: AbortSignal, periodMs: number, fn: () => Promise<void>): Promise<void> {
    while (!signal.aborted) {
      await fn().catch((err: unknown) => this.log.warn({ err }, 'periodic task failed'));
      await new Promise<void>((resolve) => {
        const cancel = this.clock.after(periodMs, resolve);
        signal.addEventListener('abort', () => (cancel(), resolve()), { once: true });
      });
    }
  }
}
