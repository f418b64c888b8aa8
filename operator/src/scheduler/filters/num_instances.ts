// NumInstancesFilter (nova/scheduler/filters/num_instances_filter.py): a host with
// max_instances_per_host (default 50) servers or more takes no more.
import { Type } from 'typebox';
import type { Filter, HostState } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';

export const NAME = 'NumInstancesFilter';
export const REASON_TOO_MANY_INSTANCES = 'host has too many instances (max_instances_per_host)';

export const OPTION = 'max_instances_per_host';
export const DEFAULT_MAX_INSTANCES_PER_HOST = 50;
export const OPTIONS = { [OPTION]: Type.Integer({ minimum: 1, default: DEFAULT_MAX_INSTANCES_PER_HOST }) };

/** The option's value: [filter_scheduler] max_instances_per_host. */
export function maxInstancesPerHost(config: SchedulerConfig): number {
  return Number(config[OPTION] ?? DEFAULT_MAX_INSTANCES_PER_HOST);
}

/** The filter with a per-host limit (AggregateNumInstancesFilter supplies its own). */
export function numInstancesFilter(name: string, maxInstances: (host: HostState) => number): Filter {
  return {
    name,
    hostPasses: (host) => (host.numInstances < maxInstances(host) ? undefined : REASON_TOO_MANY_INSTANCES),
  };
}

export function create(config: SchedulerConfig): Filter {
  const max = maxInstancesPerHost(config);
  return numInstancesFilter(NAME, () => max);
}
