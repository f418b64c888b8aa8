// ComputeFilter (nova/scheduler/filters/compute_filter.py): the host's compute service must be
// enabled and up.
import type { Filter } from '../framework.ts';

export const NAME = 'ComputeFilter';
export const REASON_DISABLED = 'compute service is disabled';
export const REASON_DOWN = 'compute service is down';

export function create(): Filter {
  return {
    name: NAME,
    hostPasses(host) {
      if (!host.enabled) return REASON_DISABLED;
      if (!host.up) return REASON_DOWN;
      return undefined;
    },
  };
}
