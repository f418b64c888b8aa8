// ComputeCapabilitiesFilter (nova/scheduler/filters/compute_capabilities_filter.py): each flavor
// extra spec `capabilities:<attr>[:<key>...]`, or unscoped `<attr>` naming an attribute of Nova's
// HostState (or a key of its stats), must match the host's value with extra_specs_ops
// ("capabilities:cpu_info:features": "<all-in> aes avx", "free_ram_mb": ">= 4096",
// "capabilities:hypervisor_type": "s== QEMU"). Other scopes (hw:, quota:, trait:, resources:,
// aggregate_instance_extra_specs:, ...) and unscoped keys that are no HostState attribute are
// ignored; a capability the host lacks fails it.
//
// As in Nova, the first path element is a HostState attribute (host_attributes.ts's names), or
// when that is unset a key of the host's stats; each further element is a key of the dict reached,
// a JSON string being parsed first; anything else is missing. The value is compared as Python's
// str() prints it: cpu_info whole as the JSON text the driver reports, lists as "['aes', 'avx']",
// the allocation ratios as floats ("16.0").
//
// Where our HostState lacks what Nova's has:
//   - stats: derived from the servers on the host as Nova's resource tracker counts them
//     (nova/compute/stats.py): num_instances, num_vm_<vm_state>, num_task_<task_state>,
//     num_proj_<project_id>, io_workload, failed_builds (as strings). num_os_type_<os_type> is
//     missing (we do not know a server's os_type).
//   - supported_instances: derived as ImagePropertiesFilter does (image_properties.ts).
//   - uuid, pci_stats, numa_topology, limits, metrics, aggregates, instances, service, cell_uuid,
//     updated are attributes (so unscoped specs naming them are checked) without a value we can
//     print as Nova would: a spec on them fails the host.
// Like Nova's, a numeric operator on a non-numeric value throws ValueError (see extra_specs_ops.ts).
import type { Filter, HostState } from '../framework.ts';
import { match } from '../extra_specs_ops.ts';
import { novaAttribute } from '../host_attributes.ts';
import { pyFloatRepr, pyJsonDumps, pyStr } from '../utils.ts';
import { supportedInstances } from './image_properties.ts';

export const NAME = 'ComputeCapabilitiesFilter';
export const REASON_MISSING = 'the host lacks a capability the flavor extra_specs ask for';
export const REASON_MISMATCH = 'a host capability does not match the flavor extra_specs';

const SCOPE = 'capabilities';

/** The attributes of Nova's HostState (nova/scheduler/host_manager.py), Zed. */
// prettier-ignore
const HOST_STATE_ATTRIBUTES = new Set([
  'host', 'nodename', 'uuid', 'total_usable_ram_mb', 'total_usable_disk_gb', 'disk_mb_used', 'free_ram_mb',
  'free_disk_mb', 'vcpus_total', 'vcpus_used', 'pci_stats', 'numa_topology', 'num_instances', 'num_io_ops',
  'failed_builds', 'host_ip', 'hypervisor_type', 'hypervisor_version', 'hypervisor_hostname', 'cpu_info',
  'supported_instances', 'limits', 'metrics', 'aggregates', 'instances', 'ram_allocation_ratio',
  'cpu_allocation_ratio', 'disk_allocation_ratio', 'cell_uuid', 'updated', 'stats', 'service',
]);

/** Attributes of ours that are not Nova's plain values (see the header): never matched. */
// prettier-ignore
const OPAQUE_ATTRIBUTES = new Set([
  'uuid', 'pci_stats', 'numa_topology', 'limits', 'metrics', 'aggregates', 'instances', 'service', 'cell_uuid',
  'updated',
]);

const FLOAT_ATTRIBUTES = new Set(['cpu_allocation_ratio', 'ram_allocation_ratio', 'disk_allocation_ratio']);

/** The I/O-heavy states of nova/compute/stats.py's io_workload. */
const IO_VM_STATES = ['building'];
// prettier-ignore
const IO_TASK_STATES = [
  'resize_migrating', 'rebuilding', 'resize_prep', 'image_snapshot', 'image_backup', 'rescuing', 'unshelving',
];

/** The compute node's stats as Nova's resource tracker keeps them (values are strings). */
export function novaStats(host: HostState): Map<string, string> {
  const counts = new Map<string, number>();
  const inc = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const i of host.instances) {
    inc('num_instances');
    inc(`num_vm_${i.vmState ?? 'None'}`);
    inc(`num_task_${i.taskState ?? 'None'}`);
    inc(`num_proj_${i.projectId}`);
  }
  const stats = new Map<string, string>();
  for (const [k, v] of counts) stats.set(k, String(v));
  let io = 0;
  for (const s of IO_VM_STATES) io += counts.get(`num_vm_${s}`) ?? 0;
  for (const s of IO_TASK_STATES) io += counts.get(`num_task_${s}`) ?? 0;
  stats.set('io_workload', String(io));
  stats.set('failed_builds', String(host.failedBuilds));
  return stats;
}

const OPAQUE = Symbol('opaque');

function hostAttribute(host: HostState, name: string, stats: () => Map<string, string>): unknown {
  let value: unknown;
  if (HOST_STATE_ATTRIBUTES.has(name)) {
    if (OPAQUE_ATTRIBUTES.has(name)) return OPAQUE;
    if (name === 'stats') value = Object.fromEntries(stats());
    else if (name === 'supported_instances') value = supportedInstances(host);
    else value = novaAttribute(host, name);
  }
  // If the attribute is unset, Nova looks in the stats.
  return value ?? stats().get(name);
}

/** _get_capabilities: the value at scope, or undefined. */
function capability(host: HostState, scope: string[], stats: () => Map<string, string>): unknown {
  let cap: unknown = hostAttribute(host, scope[0]!, stats);
  for (const part of scope.slice(1)) {
    if (cap === undefined || cap === null || cap === OPAQUE) return undefined;
    if (typeof cap === 'string') {
      try {
        cap = JSON.parse(cap);
      } catch {
        return undefined;
      }
    }
    if (cap === null || typeof cap !== 'object' || Array.isArray(cap)) return undefined;
    cap = Object.hasOwn(cap, part) ? (cap as Record<string, unknown>)[part] : undefined;
  }
  return cap === null ? undefined : cap;
}

/** str(cap) as Nova prints the value it compares. */
function capabilityString(scope: string[], cap: unknown): string {
  if (scope.length === 1 && scope[0] === 'cpu_info' && typeof cap === 'object') return pyJsonDumps(cap);
  if (scope.length === 1 && FLOAT_ATTRIBUTES.has(scope[0]!) && typeof cap === 'number')
    return pyFloatRepr(cap);
  return pyStr(cap);
}

export function create(): Filter {
  return {
    name: NAME,
    // No extra specs: nothing to check (Nova returns True at once).
    appliesTo: (spec) => Object.keys(spec.flavor.extraSpecs).length > 0,
    hostPasses(host, spec) {
      let cachedStats: Map<string, string> | undefined;
      const stats = () => (cachedStats ??= novaStats(host));
      for (const [key, req] of Object.entries(spec.flavor.extraSpecs)) {
        // Either not scope format, or in capabilities scope.
        const scope = key.split(':');
        if (scope.length === 1) {
          if (!HOST_STATE_ATTRIBUTES.has(key) && !stats().has(key)) continue;
        } else if (scope[0] !== SCOPE) {
          continue;
        } else {
          scope.shift();
        }
        const cap = capability(host, scope, stats);
        if (cap === undefined || cap === OPAQUE) return REASON_MISSING;
        if (!match(capabilityString(scope, cap), req)) return REASON_MISMATCH;
      }
      return undefined;
    },
  };
}
