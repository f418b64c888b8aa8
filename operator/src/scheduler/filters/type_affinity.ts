// AggregateTypeAffinityFilter (nova/scheduler/filters/type_filter.py): a host in aggregates with
// metadata instance_type (a flavor name, or a comma-separated list of them) takes only those
// flavors; a host in several such aggregates, the flavors of any of them; a host in none takes
// every flavor. Names are compared with the flavor's name, whitespace around each trimmed.
import type { Filter } from '../framework.ts';
import { aggregateValuesFromKey, pyStrip } from '../utils.ts';

export const NAME = 'AggregateTypeAffinityFilter';
export const REASON_OTHER_FLAVORS = "the host's aggregates take other flavors (instance_type)";

export function create(): Filter {
  return {
    name: NAME,
    hostPasses(host, spec) {
      const aggregateVals = aggregateValuesFromKey(host, 'instance_type');
      for (const val of aggregateVals) {
        if (val.split(',').map(pyStrip).includes(spec.flavor.name)) return undefined;
      }
      return aggregateVals.size ? REASON_OTHER_FLAVORS : undefined;
    },
  };
}
