// AggregateIoOpsFilter (nova/scheduler/filters/io_ops_filter.py): IoOpsFilter with the limit from
// the metadata max_io_ops_per_host of the host's aggregates (the smallest when several set it); a
// host in no such aggregate, or with any value that is not an integer, gets the option
// max_io_ops_per_host (default 8).
import type { Filter } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';
import { aggregateValuesFromKey, pyInt, validateNumValues } from '../utils.ts';
import { OPTION, OPTIONS as IO_OPS_OPTIONS, ioOpsFilter, maxIoOpsPerHost } from './io_ops.ts';

export const NAME = 'AggregateIoOpsFilter';
export { REASON_TOO_MANY_IO_OPS } from './io_ops.ts';
export const OPTIONS = IO_OPS_OPTIONS;

export function create(config: SchedulerConfig): Filter {
  const dflt = maxIoOpsPerHost(config);
  return ioOpsFilter(NAME, (host) => {
    try {
      return validateNumValues(aggregateValuesFromKey(host, OPTION), dflt, pyInt);
    } catch {
      return dflt; // "Could not decode max_io_ops_per_host"
    }
  });
}
