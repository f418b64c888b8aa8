// IoOpsFilter (nova/scheduler/filters/io_ops_filter.py): a host with max_io_ops_per_host
// (default 8) servers or more in an I/O-heavy state (building, resizing, migrating, rebuilding,
// snapshotting, backing up, rescuing, unshelving: HostState.numIoOps) takes no more.
import { Type } from 'typebox';
import type { Filter, HostState } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';

export const NAME = 'IoOpsFilter';
export const REASON_TOO_MANY_IO_OPS = 'host has too many concurrent I/O operations (max_io_ops_per_host)';

export const OPTION = 'max_io_ops_per_host';
export const DEFAULT_MAX_IO_OPS_PER_HOST = 8;
export const OPTIONS = { [OPTION]: Type.Integer({ minimum: 0, default: DEFAULT_MAX_IO_OPS_PER_HOST }) };

/** The option's value: [filter_scheduler] max_io_ops_per_host. */
export function maxIoOpsPerHost(config: SchedulerConfig): number {
  return Number(config[OPTION] ?? DEFAULT_MAX_IO_OPS_PER_HOST);
}

/** The filter with a per-host limit (AggregateIoOpsFilter supplies its own). */
export function ioOpsFilter(name: string, maxIoOps: (host: HostState) => number): Filter {
  return {
    name,
    hostPasses: (host) => (host.numIoOps < maxIoOps(host) ? undefined : REASON_TOO_MANY_IO_OPS),
  };
}

export function create(config: SchedulerConfig): Filter {
  const max = maxIoOpsPerHost(config);
  return ioOpsFilter(NAME, () => max);
}
