// AggregateNumInstancesFilter (nova/scheduler/filters/num_instances_filter.py): NumInstancesFilter
// with the limit from the metadata max_instances_per_host of the host's aggregates (the smallest
// when several set it); a host in no such aggregate, or with any value that is not an integer,
// gets the option max_instances_per_host (default 50).
import type { Filter } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';
import { aggregateValuesFromKey, pyInt, validateNumValues } from '../utils.ts';
import {
  OPTION,
  OPTIONS as NUM_INSTANCES_OPTIONS,
  maxInstancesPerHost,
  numInstancesFilter,
} from './num_instances.ts';

export const NAME = 'AggregateNumInstancesFilter';
export { REASON_TOO_MANY_INSTANCES } from './num_instances.ts';
export const OPTIONS = NUM_INSTANCES_OPTIONS;

export function create(config: SchedulerConfig): Filter {
  const dflt = maxInstancesPerHost(config);
  return numInstancesFilter(NAME, (host) => {
    try {
      return validateNumValues(aggregateValuesFromKey(host, OPTION), dflt, pyInt);
    } catch {
      return dflt; // "Could not decode max_instances_per_host"
    }
  });
}
