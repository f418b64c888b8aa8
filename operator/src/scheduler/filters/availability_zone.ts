// AvailabilityZoneFilter (nova/scheduler/filters/availability_zone_filter.py): when the request
// names a zone, the host must be in it. A host in no zone aggregate is in the default zone
// (default_availability_zone, "nova").
import type { Filter } from '../framework.ts';

export const NAME = 'AvailabilityZoneFilter';
export const REASON_OTHER_ZONE = 'host is in another availability zone';

export function create(): Filter {
  return {
    name: NAME,
    hostPasses(host, spec) {
      if (!spec.availabilityZone) return undefined;
      return host.availabilityZone === spec.availabilityZone ? undefined : REASON_OTHER_ZONE;
    },
  };
}
