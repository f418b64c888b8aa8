// Operator configuration: defaults, overridden by a YAML file (--config), overridden by flags.
// Scheduler and compute options keep Nova's names and defaults (nova/conf/scheduler.py,
// nova/conf/compute.py), so a Nova operator's knowledge carries over.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { DriverOperation } from './drivers/driver.ts';
import type { SchedulerConfig } from './scheduler/registry.ts';

export interface ComputeConfig {
  /** Nova's initial_*_allocation_ratio defaults; a ComputeHost's spec overrides them. */
  cpu_allocation_ratio: number;
  ram_allocation_ratio: number;
  disk_allocation_ratio: number;
  reserved_host_cpus: number;
  reserved_host_memory_mb: number;
  reserved_host_disk_mb: number;
  /** A host is down when its heartbeat is older than this ([DEFAULT] service_down_time). */
  service_down_time: number;
  /** How often a compute service reports (report_interval). */
  report_interval: number;
  default_availability_zone: string;
  /** Seconds a deleted server stays SOFT_DELETED (restorable) before it is reclaimed; 0: delete at once. */
  reclaim_instance_interval: number;
  /** Seconds after which a VERIFY_RESIZE is confirmed automatically; 0: never. */
  resize_confirm_window: number;
  /** Seconds a SHELVED server keeps its host before it is offloaded; 0: at once, -1: never. */
  shelved_offload_time: number;
  /** Whether a resize may stay on the same host. */
  allow_resize_to_same_host: boolean;
  /** Seconds between syncs of the hypervisor's power states onto servers (KubeVirt driver); 0: never. */
  sync_power_state_interval: number;
}

export interface FakeDriverConfig {
  /** Run the fake driver for nodes labelled compute.kova.io/driver=fake. */
  enabled: boolean;
  stateDir: string;
  spawnDelayMs: number;
  failOnHosts: string[];
  /** Operations the fake driver lacks (to see how Kova answers a driver without one). */
  unsupported: DriverOperation[];
}

export interface KubeVirtDriverConfig {
  /** Run the KubeVirt driver for nodes labelled compute.kova.io/driver=kubevirt. */
  enabled: boolean;
  /** How long the driver waits for KubeVirt to carry out a step (start, stop, migrate...). */
  timeoutSeconds: number;
}

export interface OperatorConfig {
  /** Namespace of the operator's own objects (leases, heartbeats). */
  namespace: string;
  identity: string;
  leaderElection: {
    enabled: boolean;
    leaseDurationMs: number;
    renewDeadlineMs: number;
    retryPeriodMs: number;
  };
  metrics: { host: string; port: number };
  /** Scheduler options with Nova's names (validated; see scheduler/config.ts). */
  scheduler: Partial<SchedulerConfig>;
  /** A YAML file of scheduler options, reloaded when it changes; it replaces `scheduler`. */
  schedulerConfigFile?: string;
  compute: ComputeConfig;
  fake: FakeDriverConfig;
  kubevirt: KubeVirtDriverConfig;
  /** Workers of the server controller and compute manager. */
  workers: number;
  logLevel: string;
  /**
   * How long the instance actions of a deleted server stay readable (2.21), in seconds; then the
   * operator removes them. Kova's own: Nova keeps them until `nova-manage db archive_deleted_rows`.
   */
  deletedServerActionsRetention: number;
}

export const DEFAULT_CONFIG: OperatorConfig = {
  namespace: 'kova-system',
  identity: '',
  // A standby takes over at most leaseDuration + 2 × retryPeriod after the leader dies (≤ 12 s).
  leaderElection: { enabled: true, leaseDurationMs: 10_000, renewDeadlineMs: 7_000, retryPeriodMs: 1_000 },
  metrics: { host: '0.0.0.0', port: 8080 },
  scheduler: {},
  compute: {
    cpu_allocation_ratio: 4.0,
    ram_allocation_ratio: 1.0,
    disk_allocation_ratio: 1.0,
    reserved_host_cpus: 0,
    reserved_host_memory_mb: 512,
    reserved_host_disk_mb: 0,
    service_down_time: 60,
    report_interval: 10,
    default_availability_zone: 'nova',
    reclaim_instance_interval: 0,
    resize_confirm_window: 0,
    shelved_offload_time: 0,
    allow_resize_to_same_host: false,
    sync_power_state_interval: 600,
  },
  fake: { enabled: false, stateDir: '/var/lib/kova/fake', spawnDelayMs: 0, failOnHosts: [], unsupported: [] },
  kubevirt: { enabled: true, timeoutSeconds: 300 },
  workers: 4,
  logLevel: 'info',
  deletedServerActionsRetention: 7 * 24 * 3600,
};

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

function merge<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (!over) return base;
  const out = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(over)) {
    const b = (base as Record<string, unknown>)[k];
    out[k] =
      v && typeof v === 'object' && !Array.isArray(v) && b && typeof b === 'object'
        ? merge(b, v as never)
        : v;
  }
  return out as T;
}

export function loadConfig(file?: string, overrides?: DeepPartial<OperatorConfig>): OperatorConfig {
  const fromFile = file ? (parse(readFileSync(file, 'utf8')) as DeepPartial<OperatorConfig>) : undefined;
  return merge(merge(DEFAULT_CONFIG, fromFile), overrides);
}

export type { DeepPartial };
