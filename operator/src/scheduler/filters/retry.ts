// Hosts where an earlier attempt of this build failed are not tried again (Nova's alternates:
// a rescheduled build goes to another host; the old RetryFilter did the same).
import type { Filter } from '../framework.ts';

export const NAME = 'RetryFilter';
export const REASON_FAILED_BEFORE = 'an earlier attempt to build here failed';

export function create(): Filter {
  return {
    name: NAME,
    appliesTo: (spec) => spec.ignoreHosts.length > 0,
    hostPasses(host, spec) {
      return spec.ignoreHosts.includes(host.name) ? REASON_FAILED_BEFORE : undefined;
    },
  };
}
