// ImagePropertiesFilter (nova/scheduler/filters/image_props_filter.py): a host must support the
// image's architecture (hw_architecture, or image_properties_default_architecture when unset),
// hypervisor type (img_hv_type) and VM mode (hw_vm_mode), all three in one of its supported
// instances, and its hypervisor version must satisfy img_hv_requested_version (e.g. ">=6.0,<6.2").
// An image asking for none of the three passes anywhere (even with a version requirement); a host
// without a hypervisor version passes any version requirement.
//
// Image properties are read as Nova's ImageMetaProps.from_dict reads Glance's: the legacy names
// (architecture, hypervisor_type, vm_mode, hypervisor_version_requires, ...) stand for the current
// ones unless those are set too, and values are coerced as the fields do (architecture names
// canonicalised: amd64 → x86_64, i386 → i686; hypervisor types: xapi → xen; VM modes: pv → xen,
// hv and baremetal → hvm). A value Nova's ImageMetaProps would refuse (an unknown architecture, a
// malformed version predicate) throws ValueError: Nova never schedules such an image.
//
// Our HostState has no supported_instances list (Nova's compute driver reports it as
// [architecture, hypervisor type, VM mode] triples); we derive it:
//   - architecture: cpuInfo.arch (lower-cased, canonicalised as above), or 'x86_64' when absent;
//   - hypervisor type: hypervisorType lower-cased; 'qemu' and 'kvm' both stand for both 'kvm' and
//     'qemu', as Nova's libvirt driver (hypervisor_type QEMU for either virt_type) lists both
//     domain types of a KVM-capable host; any other type (e.g. 'fake', 'kubevirt') only itself;
//   - VM mode: 'hvm' (full virtualisation, all our drivers run).
// A host that has not reported its hypervisorType advertises nothing (Nova: no supported_instances
// before the compute node reports), so it fails any image that asks for one of the three.
// hypervisorVersion is Nova's integer encoding (major × 1000000 + minor × 1000 + patch).
import { Type } from 'typebox';
import { type Filter, type HostState, perRequest } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';
import { ValueError, pyInt, pyStrip } from '../utils.ts';

export const NAME = 'ImagePropertiesFilter';
export const REASON_NO_SUPPORTED_INSTANCES =
  'the image asks for an architecture, hypervisor type or VM mode, and the host advertises none';
export const REASON_UNSUPPORTED =
  "the host does not support the image's architecture, hypervisor type and VM mode together, or its hypervisor version";

/** nova.objects.fields.Architecture.ALL (nova/virt/arch.py). */
// prettier-ignore
export const ARCHITECTURES = [
  'alpha', 'armv6', 'armv7l', 'armv7b', 'aarch64', 'cris', 'i686', 'ia64', 'lm32', 'm68k', 'microblaze',
  'microblazeel', 'mips', 'mipsel', 'mips64', 'mips64el', 'openrisc', 'parisc', 'parisc64', 'ppc', 'ppcle',
  'ppc64', 'ppc64le', 'ppcemb', 's390', 's390x', 'sh4', 'sh4eb', 'sparc', 'sparc64', 'unicore32', 'x86_64',
  'xtensa', 'xtensaeb',
];

/** nova.objects.fields.HVType.ALL. */
// prettier-ignore
export const HV_TYPES = [
  'baremetal', 'bhyve', 'docker', 'fake', 'hyperv', 'ironic', 'kqemu', 'kvm', 'lxc', 'lxd', 'openvz',
  'parallels', 'phyp', 'qemu', 'test', 'uml', 'vbox', 'vz', 'vmware', 'xen', 'zvm', 'prsm',
];

/** nova.objects.fields.VMMode.ALL. */
export const VM_MODES = ['hvm', 'xen', 'uml', 'exe'];

export const OPTIONS = {
  image_properties_default_architecture: Type.String({ enum: ARCHITECTURES }),
};

function lowerArchitecture(name: string): string {
  const n = name.toLowerCase();
  if (['i386', 'i486', 'i586', 'x86_32', 'x86_32p'].includes(n)) return 'i686';
  if (n === 'amd64') return 'x86_64';
  return n;
}

/** fields.Architecture.canonicalize. */
export function canonicalizeArchitecture(name: string): string {
  const n = lowerArchitecture(name);
  if (!ARCHITECTURES.includes(n)) throw new ValueError(`Architecture name '${name}' is not valid`);
  return n;
}

/** fields.HVType.canonicalize. */
export function canonicalizeHVType(name: string): string {
  let n = name.toLowerCase();
  if (n === 'xapi') n = 'xen';
  if (!HV_TYPES.includes(n)) throw new ValueError(`Hypervisor virt type '${name}' is not valid`);
  return n;
}

/** fields.VMMode.canonicalize. */
export function canonicalizeVMMode(mode: string): string {
  let n = mode.toLowerCase();
  if (n === 'pv') n = 'xen';
  if (n === 'hv' || n === 'baremetal') n = 'hvm';
  if (!VM_MODES.includes(n)) throw new ValueError(`Virtual machine mode '${mode}' is not valid`);
  return n;
}

// --- Image properties as Nova's ImageMetaProps holds them -------------------------------------

/** ImageMetaProps._legacy_property_map: legacy Glance name → current name. */
const LEGACY_PROPERTIES: [string, string][] = [
  ['architecture', 'hw_architecture'],
  ['owner_id', 'img_owner_id'],
  ['vmware_disktype', 'hw_disk_type'],
  ['vmware_image_version', 'img_version'],
  ['vmware_ostype', 'os_distro'],
  ['auto_disk_config', 'hw_auto_disk_config'],
  ['ipxe_boot', 'hw_ipxe_boot'],
  ['xenapi_device_id', 'hw_device_id'],
  ['xenapi_image_compression_level', 'img_compression_level'],
  ['vmware_linked_clone', 'img_linked_clone'],
  ['xenapi_use_agent', 'img_use_agent'],
  ['xenapi_skip_agent_inject_ssh', 'os_skip_agent_inject_ssh'],
  ['xenapi_skip_agent_inject_files_at_boot', 'os_skip_agent_inject_files_at_boot'],
  ['cache_in_nova', 'img_cache_in_nova'],
  ['vm_mode', 'hw_vm_mode'],
  ['bittorrent', 'img_bittorrent'],
  ['mappings', 'img_mappings'],
  ['block_device_mapping', 'img_block_device_mapping'],
  ['bdm_v2', 'img_bdm_v2'],
  ['root_device_name', 'img_root_device_name'],
  ['hypervisor_version_requires', 'img_hv_requested_version'],
  ['hypervisor_type', 'img_hv_type'],
];

// prettier-ignore
const INTEGER_FIELDS = new Set([
  'hw_cpu_cores', 'hw_cpu_sockets', 'hw_cpu_max_cores', 'hw_cpu_max_sockets', 'hw_cpu_max_threads',
  'hw_cpu_threads', 'hw_device_id', 'hw_numa_nodes', 'hw_serial_port_count', 'hw_video_ram',
  'img_compression_level', 'img_version',
]);

// prettier-ignore
const BOOLEAN_FIELDS = new Set([
  'hw_boot_menu', 'hw_ipxe_boot', 'hw_locked_memory', 'hw_mem_encryption', 'hw_pmu', 'hw_qemu_guest_agent',
  'hw_time_hpet', 'hw_vif_multiqueue_enabled', 'hw_ephemeral_encryption', 'img_bittorrent', 'img_bdm_v2',
  'img_cache_in_nova', 'img_linked_clone', 'img_use_agent', 'img_hide_hypervisor_id', 'os_require_quiesce',
  'os_skip_agent_inject_files_at_boot', 'os_skip_agent_inject_ssh',
]);

/** String and enum fields, kept as given (os_type lower-cased). */
// prettier-ignore
const STRING_FIELDS = new Set([
  'hw_auto_disk_config', 'hw_cpu_realtime_mask', 'hw_disk_type', 'hw_machine_type', 'hw_mem_page_size',
  'img_owner_id', 'img_root_device_name', 'img_signature', 'os_admin_user', 'os_command_line', 'os_distro',
  'hw_ephemeral_encryption_format', 'hw_rescue_device', 'hw_cpu_policy', 'hw_cpu_thread_policy',
  'img_config_drive', 'hw_cdrom_bus', 'hw_disk_bus', 'hw_floppy_bus', 'hw_rescue_bus', 'hw_firmware_type',
  'img_signature_hash_method', 'img_signature_key_type', 'hw_input_bus', 'os_type',
  'hw_pci_numa_affinity_policy', 'hw_pointer_model', 'hw_rng_model', 'hw_scsi_model', 'os_secure_boot',
  'hw_tpm_model', 'hw_tpm_version', 'img_signature_certificate_uuid', 'hw_vif_model', 'hw_viommu_model',
  'hw_video_model', 'hw_watchdog_action',
]);

/** The raw Glance value behind an ImageMetaProps field: current name, else its legacy name. */
function rawProperty(props: Record<string, string>, name: string): string | undefined {
  if (Object.hasOwn(props, name)) return props[name];
  let value: string | undefined;
  for (const [legacy, current] of LEGACY_PROPERTIES) {
    if (current === name && Object.hasOwn(props, legacy)) value = props[legacy];
  }
  const adapter = Object.hasOwn(props, 'vmware_adaptertype') ? props.vmware_adaptertype : undefined;
  if (adapter === 'ide') {
    if (name === 'hw_disk_bus') value = 'ide';
  } else if (adapter) {
    if (name === 'hw_disk_bus') value = 'scsi';
    if (name === 'hw_scsi_model') value = adapter;
  }
  return value;
}

/** oslo strutils.bool_from_string (not strict, default False). */
function boolFromString(s: string): boolean {
  return ['1', 't', 'true', 'on', 'y', 'yes'].includes(pyStrip(s).toLowerCase());
}

/**
 * ImageMetaProps.from_dict(props).get(name): the typed value of image property `name`, or
 * undefined when unset or not an ImageMetaProps field (Nova drops other Glance properties).
 * Integers are numbers, flexible booleans booleans, traits_required and hw_numa_mem lists.
 * Not modelled (always undefined): hw_numa_cpus, img_mappings, img_block_device_mapping.
 */
export function imageMetaProp(props: Record<string, string>, name: string): unknown {
  if (name === 'traits_required') {
    const traits = Object.entries(props)
      .filter(([k, v]) => k.startsWith('trait:') && v === 'required')
      .map(([k]) => k.slice(6));
    return traits.length ? traits : undefined;
  }
  if (name === 'hw_numa_mem') {
    const mem: number[] = [];
    for (let i = 0; Object.hasOwn(props, `hw_numa_mem.${i}`); i++)
      mem.push(pyInt(props[`hw_numa_mem.${i}`]!));
    return mem.length ? mem : undefined;
  }
  const raw = rawProperty(props, name);
  if (raw === undefined) return undefined;
  if (name === 'hw_architecture' || name === 'hw_emulation_architecture')
    return canonicalizeArchitecture(raw);
  if (name === 'img_hv_type') return canonicalizeHVType(raw);
  if (name === 'hw_vm_mode') return canonicalizeVMMode(raw);
  if (name === 'img_hv_requested_version') {
    try {
      new VersionPredicate(`check (${raw})`);
    } catch {
      throw new ValueError(`Version ${raw} is not a valid predicate in field img_hv_requested_version`);
    }
    return raw;
  }
  if (name === 'os_type') return raw.toLowerCase();
  if (INTEGER_FIELDS.has(name)) return pyInt(raw);
  if (BOOLEAN_FIELDS.has(name)) return boolFromString(raw);
  if (STRING_FIELDS.has(name)) return raw;
  return undefined;
}

// --- Versions (distutils StrictVersion and VersionPredicate, oslo versionutils) --------------

/** versionutils.convert_version_to_str: 6001002 → '6.1.2'. */
export function convertVersionToStr(versionInt: number): string {
  const numbers: string[] = [];
  const factor = 1000;
  let v = versionInt;
  while (v !== 0) {
    numbers.unshift(String(v - Math.floor(v / factor) * factor));
    v = Math.floor(v / factor);
  }
  return numbers.join('.');
}

/** distutils.version.StrictVersion: "1.2", "1.2.3", "1.2a1", "1.2.3b4". */
class StrictVersion {
  readonly version: [number, number, number];
  readonly prerelease?: [string, number];

  constructor(s: string) {
    const m = /^(\d+)\.(\d+)(\.(\d+))?([ab](\d+))?\n?$/.exec(s);
    if (!m) throw new ValueError(`invalid version number '${s}'`);
    this.version = [Number(m[1]), Number(m[2]), m[4] ? Number(m[4]) : 0];
    if (m[5]) this.prerelease = [m[5][0]!, Number(m[6])];
  }

  compare(other: StrictVersion): number {
    for (let i = 0; i < 3; i++)
      if (this.version[i] !== other.version[i]) return this.version[i]! - other.version[i]!;
    const a = this.prerelease;
    const b = other.prerelease;
    if (!a && !b) return 0;
    if (a && !b) return -1;
    if (!a && b) return 1;
    if (a![0] !== b![0]) return a![0] < b![0] ? -1 : 1;
    return a![1] - b![1];
  }
}

const COMPARISONS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0,
  '<=': (c) => c <= 0,
  '==': (c) => c === 0,
  '>': (c) => c > 0,
  '>=': (c) => c >= 0,
  '!=': (c) => c !== 0,
};

/** distutils.versionpredicate.VersionPredicate: "name (>=6.0,<6.2)". */
class VersionPredicate {
  readonly pred: [string, StrictVersion][] = [];

  constructor(s: string) {
    const str = s.trim();
    if (!str) throw new ValueError('empty package restriction');
    const m = /^\s*([a-z_]\w*(?:\.[a-z_]\w*)*)(.*)/i.exec(str);
    if (!m) throw new ValueError(`bad package name in '${str}'`);
    const paren = m[2]!.trim();
    if (!paren) return;
    const p = /^\s*\((.*)\)\s*$/.exec(paren);
    if (!p) throw new ValueError(`expected parenthesized list: '${paren}'`);
    for (const cond of p[1]!.split(',')) {
      const c = /^\s*(<=|>=|<|>|!=|==)\s*([^\s,]+)\s*$/.exec(cond);
      if (!c) throw new ValueError(`bad package restriction syntax: '${cond}'`);
      this.pred.push([c[1]!, new StrictVersion(c[2]!)]);
    }
  }

  satisfiedBy(version: string): boolean {
    const v = new StrictVersion(version);
    return this.pred.every(([op, ver]) => COMPARISONS[op]!(v.compare(ver)));
  }
}

// --- The host's supported instances ----------------------------------------------------------

/** The host's supported_instances, derived as the header says: [arch, hv_type, vm_mode] triples. */
export function supportedInstances(host: HostState): string[][] {
  if (!host.hypervisorType) return [];
  const cpuArch = host.cpuInfo?.arch;
  const arch = typeof cpuArch === 'string' && cpuArch ? lowerArchitecture(cpuArch) : 'x86_64';
  const hv = host.hypervisorType.toLowerCase();
  const hvTypes = hv === 'qemu' || hv === 'kvm' ? ['kvm', 'qemu'] : [hv];
  return hvTypes.map((t) => [arch, t, 'hvm']);
}

export function create(config: SchedulerConfig): Filter {
  const defaultArch = config.image_properties_default_architecture;
  const defaultImgArch = typeof defaultArch === 'string' && defaultArch ? defaultArch : undefined;
  // What the image asks for depends on the request only: parse it once, not once per host.
  const wants = perRequest((spec) => {
    const props = spec.image?.properties ?? {};
    const imgArch = (imageMetaProp(props, 'hw_architecture') as string | undefined) ?? defaultImgArch;
    return {
      checked: [
        imgArch === undefined ? undefined : canonicalizeArchitecture(imgArch),
        imageMetaProp(props, 'img_hv_type') as string | undefined,
        imageMetaProp(props, 'hw_vm_mode') as string | undefined,
      ],
      versionRequired: imageMetaProp(props, 'img_hv_requested_version') as string | undefined,
    };
  });
  return {
    name: NAME,
    // Supported everywhere if no compute-related instance properties are specified.
    appliesTo: (spec) => wants(spec).checked.some((p) => p),
    hostPasses(host, spec) {
      const { checked, versionRequired } = wants(spec);
      // Supported if no compute-related instance properties are specified.
      if (!checked.some((p) => p)) return undefined;

      const supported = supportedInstances(host);
      if (!supported.length) return REASON_NO_SUPPORTED_INSTANCES;

      const hypervisorVersion = host.hypervisorVersion;
      const versionOk = () => {
        if (!(hypervisorVersion && versionRequired)) return true;
        return new VersionPredicate(`image_prop (${versionRequired})`).satisfiedBy(
          convertVersionToStr(hypervisorVersion),
        );
      };
      for (const inst of supported) {
        if (checked.every((p) => !p || inst.includes(p)) && versionOk()) return undefined;
      }
      return REASON_UNSUPPORTED;
    },
  };
}
