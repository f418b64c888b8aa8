// Nova's HostState attributes by their Nova names, for the plugins that name them in data:
// JsonFilter queries (`$free_ram_mb`) and ComputeCapabilitiesFilter's `capabilities:` extra specs
// (`capabilities:cpu_info:arch`). Values are in Nova's units.
import type { HostState } from './framework.ts';

/** The Nova attribute `name` of a host, or undefined when it has none. */
export function novaAttribute(host: HostState, name: string): unknown {
  switch (name) {
    case 'host':
    case 'nodename':
    case 'hypervisor_hostname':
      return host.name;
    case 'host_ip':
      return host.hostIp;
    case 'vcpus_total':
      return host.total.vcpus;
    case 'vcpus_used':
      return host.used.vcpus;
    case 'total_usable_ram_mb':
      return host.total.memoryMb;
    case 'free_ram_mb':
      return host.total.memoryMb - host.used.memoryMb;
    case 'total_usable_disk_gb':
      return host.total.diskGb;
    case 'free_disk_mb':
      return (host.total.diskGb - host.used.diskGb) * 1024;
    case 'disk_mb_used':
      return host.used.diskGb * 1024;
    case 'num_instances':
      return host.numInstances;
    case 'num_io_ops':
      return host.numIoOps;
    case 'failed_builds':
      return host.failedBuilds;
    case 'hypervisor_type':
      return host.hypervisorType;
    case 'hypervisor_version':
      return host.hypervisorVersion;
    case 'cpu_info':
      return host.cpuInfo;
    case 'cpu_allocation_ratio':
      return host.allocationRatios.vcpus;
    case 'ram_allocation_ratio':
      return host.allocationRatios.memoryMb;
    case 'disk_allocation_ratio':
      return host.allocationRatios.diskGb;
    case 'availability_zone':
      return host.availabilityZone;
    case 'metrics':
      return host.metrics;
    case 'traits':
      return host.traits;
    default:
      return undefined;
  }
}

/**
 * A dotted or scoped path into a host's attributes: ['cpu_info', 'arch'] reads host.cpuInfo.arch.
 * Strings holding JSON are parsed on the way, as Nova's ComputeCapabilitiesFilter does.
 */
export function novaAttributePath(host: HostState, path: readonly string[]): unknown {
  if (!path.length) return undefined;
  let value: unknown = novaAttribute(host, path[0]!);
  for (const part of path.slice(1)) {
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value);
      } catch {
        return undefined;
      }
    }
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
