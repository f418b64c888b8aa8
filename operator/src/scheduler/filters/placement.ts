// Placement's part of scheduling: a host must have room for the request's VCPU, MEMORY_MB and
// DISK_GB, given its allocation ratios and reserved amounts (already folded into host.limits).
// In Nova this happens in the Placement service before the filters run; here it is the first
// filter, so "No valid host" names it like any other.
import { type Filter, type HostState, type RequestSpec, requestedResources } from '../framework.ts';

export const NAME = 'Placement';
export const REASON_VCPU = 'insufficient VCPU';
export const REASON_MEMORY = 'insufficient MEMORY_MB';
export const REASON_DISK = 'insufficient DISK_GB';

export function create(): Filter {
  return {
    name: NAME,
    hostPasses(host: HostState, spec: RequestSpec) {
      const want = requestedResources(spec);
      if (host.used.vcpus + want.vcpus > host.limits.vcpus) return REASON_VCPU;
      if (host.used.memoryMb + want.memoryMb > host.limits.memoryMb) return REASON_MEMORY;
      if (host.used.diskGb + want.diskGb > host.limits.diskGb) return REASON_DISK;
      return undefined;
    },
  };
}
