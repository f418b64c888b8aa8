// AllHostsFilter (nova/scheduler/filters/all_hosts_filter.py): a no-op; every host passes.
import type { Filter } from '../framework.ts';

export const NAME = 'AllHostsFilter';

export function create(): Filter {
  return {
    name: NAME,
    hostPasses: () => undefined,
  };
}
