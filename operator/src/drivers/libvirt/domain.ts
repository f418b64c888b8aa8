// The domain XML of an instance, as a pure function of what Nova's libvirt driver reads: the
// flavor copy (vCPUs, RAM, root/ephemeral/swap disks), the image's hw_* and os_* properties, and
// the paths of the instance's disks (nova/virt/libvirt/driver.py _get_guest_config, blockinfo.py).
//
// XML is written with the few lines below instead of a library: the document is small, fixed in
// shape, and only needs escaping; a dependency would add nothing but weight.

/** An XML element: name, attributes, children (elements or text). */
export interface XmlNode {
  name: string;
  attrs?: Record<string, string | number | undefined>;
  children?: (XmlNode | string | undefined | false)[];
}

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderXml(node: XmlNode, indent = ''): string {
  const attrs = Object.entries(node.attrs ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeXml(String(v))}"`)
    .join('');
  const kids = (node.children ?? []).filter((c): c is XmlNode | string => !!c || c === '');
  if (kids.length === 0) return `${indent}<${node.name}${attrs}/>`;
  if (kids.every((c) => typeof c === 'string')) {
    return `${indent}<${node.name}${attrs}>${escapeXml(kids.join(''))}</${node.name}>`;
  }
  const inner = kids
    .map((c) => (typeof c === 'string' ? `${indent}  ${escapeXml(c)}` : renderXml(c, `${indent}  `)))
    .join('\n');
  return `${indent}<${node.name}${attrs}>\n${inner}\n${indent}</${node.name}>`;
}

const el = (
  name: string,
  attrs?: XmlNode['attrs'],
  ...children: XmlNode['children'] & unknown[]
): XmlNode => ({
  name,
  attrs,
  children,
});

export type DiskBus = 'virtio' | 'scsi' | 'sata' | 'ide' | 'usb';

export interface DiskFile {
  path: string;
  format: 'qcow2' | 'raw';
  /** The read-only base a qcow2 overlay is backed by (pinned, so libvirt does not relabel it). */
  backing?: { path: string; format: 'qcow2' | 'raw' };
}

export interface DomainSpec {
  /** The libvirt domain name. */
  name: string;
  /** The Nova id, also the domain's UUID. */
  uuid: string;
  displayName: string;
  /** The Server's namespace/name. */
  key: string;
  /** 'qemu' (software emulation) or 'kvm' (hardware virtualisation): Nova's [libvirt] virt_type. */
  virtType: 'qemu' | 'kvm';
  flavor: { name: string; vcpus: number; ram: number; disk: number; ephemeral: number; swap: number };
  /** The image's properties (hw_*, os_*). */
  imageProperties: Record<string, string>;
  root: DiskFile;
  ephemeral?: DiskFile;
  swap?: DiskFile;
  /** The config drive ISO. */
  configDrive?: string;
  /** Rescue boot: this disk boots first, the instance's root comes second. */
  rescue?: DiskFile;
  /** Direct kernel boot (the image's kernel_id / ramdisk_id). */
  kernel?: string;
  ramdisk?: string;
  /** Where the serial console is logged. */
  consoleLog: string;
  mac: string;
}

/** The device name prefix of a bus (blockinfo.get_dev_prefix_for_disk_bus). */
function devPrefix(bus: DiskBus): string {
  if (bus === 'virtio') return 'vd';
  if (bus === 'ide') return 'hd';
  return 'sd';
}

const DISK_BUSES: readonly DiskBus[] = ['virtio', 'scsi', 'sata', 'ide', 'usb'];
const VIF_MODELS = ['virtio', 'e1000', 'e1000e', 'rtl8139', 'ne2k_pci', 'pcnet'] as const;

/** A property that must be one of values; a clear error otherwise (Nova's InvalidImageProperty...). */
function choice<T extends string>(
  props: Record<string, string>,
  key: string,
  values: readonly T[],
  fallback: T,
): T {
  const v = props[key];
  if (v === undefined || v === '') return fallback;
  if (!(values as readonly string[]).includes(v)) {
    throw new Error(`image property ${key}=${v} is not one of ${values.join(', ')}`);
  }
  return v as T;
}

function positiveInt(props: Record<string, string>, key: string): number | undefined {
  const v = props[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`image property ${key}=${v} is not a positive integer`);
  return n;
}

/** The vCPU topology: hw_cpu_sockets/cores/threads, the rest filled in to make vcpus. */
export function cpuTopology(
  vcpus: number,
  props: Record<string, string>,
): { sockets: number; cores: number; threads: number } | undefined {
  const sockets = positiveInt(props, 'hw_cpu_sockets');
  const cores = positiveInt(props, 'hw_cpu_cores');
  const threads = positiveInt(props, 'hw_cpu_threads');
  if (!sockets && !cores && !threads) return undefined;
  const t = threads ?? 1;
  const c = cores ?? Math.max(1, Math.floor(vcpus / ((sockets ?? 1) * t)));
  const s = sockets ?? Math.max(1, Math.floor(vcpus / (c * t)));
  if (s * c * t !== vcpus) {
    throw new Error(`cannot fit ${vcpus} vCPUs in ${s} sockets × ${c} cores × ${t} threads`);
  }
  return { sockets: s, cores: c, threads: t };
}

function diskXml(file: DiskFile, bus: DiskBus, dev: string, extra: XmlNode[] = []): XmlNode {
  const backing = file.backing
    ? el(
        'backingStore',
        { type: 'file' },
        el('format', { type: file.backing.format }),
        // The base is shared by every instance of the image: readable by all, never relabelled.
        el('source', { file: file.backing.path }, el('seclabel', { model: 'dac', relabel: 'no' })),
        el('backingStore'),
      )
    : undefined;
  return el(
    'disk',
    { type: 'file', device: 'disk' },
    el('driver', { name: 'qemu', type: file.format, cache: 'none' }),
    el('source', { file: file.path }),
    backing,
    el('target', { dev, bus }),
    ...extra,
  );
}

/** The domain XML of spec. Throws on an image property it cannot honour. */
export function domainXml(spec: DomainSpec): string {
  const props = spec.imageProperties;
  const diskBus = choice(props, 'hw_disk_bus', DISK_BUSES, 'virtio');
  const machine = props.hw_machine_type || 'pc';
  const q35 = machine.includes('q35');
  const cdromBus = choice(
    props,
    'hw_cdrom_bus',
    ['ide', 'sata', 'scsi', 'usb'] as const,
    q35 ? 'sata' : 'ide',
  );
  const vifModel = choice(props, 'hw_vif_model', VIF_MODELS, 'virtio');
  const firmware = choice(props, 'hw_firmware_type', ['bios', 'uefi'] as const, 'bios');
  const video = choice(props, 'hw_video_model', ['vga', 'cirrus', 'virtio', 'qxl', 'none'] as const, 'vga');
  const topology = cpuTopology(spec.flavor.vcpus, props);
  if (firmware === 'uefi' && spec.kernel) throw new Error('hw_firmware_type=uefi with a kernel_id image');

  // Device names in Nova's order: root, ephemeral, swap on the disk bus; the config drive last.
  const names = new Map<DiskBus, number>();
  const next = (bus: DiskBus) => {
    const i = names.get(bus) ?? 0;
    names.set(bus, i + 1);
    return devPrefix(bus) + String.fromCharCode(97 + i);
  };
  const disks: XmlNode[] = [];
  if (spec.rescue) disks.push(diskXml(spec.rescue, diskBus, next(diskBus), [el('boot', { order: 1 })]));
  disks.push(diskXml(spec.root, diskBus, next(diskBus), spec.rescue ? [] : [el('boot', { order: 1 })]));
  if (spec.ephemeral) disks.push(diskXml(spec.ephemeral, diskBus, next(diskBus)));
  if (spec.swap) disks.push(diskXml(spec.swap, diskBus, next(diskBus)));
  if (spec.configDrive) {
    // IDE and SATA CD-ROMs name after the disks of their own bus.
    if (cdromBus === 'ide' && diskBus !== 'ide') names.set('ide', Math.max(names.get('ide') ?? 0, 3));
    disks.push(
      el(
        'disk',
        { type: 'file', device: 'cdrom' },
        el('driver', { name: 'qemu', type: 'raw' }),
        el('source', { file: spec.configDrive }),
        el('target', { dev: next(cdromBus), bus: cdromBus }),
        el('readonly'),
      ),
    );
  }
  const cmdline = props.os_command_line ?? (spec.kernel ? 'console=ttyS0' : undefined);
  const os = el(
    'os',
    firmware === 'uefi' ? { firmware: 'efi' } : undefined,
    el('type', { arch: props.architecture || 'x86_64', machine }, 'hvm'),
    spec.kernel && el('kernel', undefined, spec.kernel),
    spec.kernel && spec.ramdisk && el('initrd', undefined, spec.ramdisk),
    spec.kernel && cmdline && el('cmdline', undefined, cmdline),
    props.hw_boot_menu === 'true' && el('bootmenu', { enable: 'yes' }),
  );
  const f = spec.flavor;
  const metadata = el(
    'metadata',
    undefined,
    el(
      'kova:instance',
      { 'xmlns:kova': 'https://kova.io/xmlns/libvirt/instance/1.0' },
      el('kova:name', undefined, spec.displayName),
      el('kova:server', undefined, spec.key),
      el(
        'kova:flavor',
        { name: f.name },
        el('kova:memory', undefined, String(f.ram)),
        el('kova:disk', undefined, String(f.disk)),
        el('kova:swap', undefined, String(f.swap)),
        el('kova:ephemeral', undefined, String(f.ephemeral)),
        el('kova:vcpus', undefined, String(f.vcpus)),
      ),
      spec.rescue && el('kova:rescue', undefined, 'true'),
    ),
  );
  const domain = el(
    'domain',
    { type: spec.virtType },
    el('name', undefined, spec.name),
    el('uuid', undefined, spec.uuid),
    el('title', undefined, spec.displayName),
    metadata,
    el('memory', { unit: 'MiB' }, String(f.ram)),
    el('currentMemory', { unit: 'MiB' }, String(f.ram)),
    el('vcpu', { placement: 'static' }, String(f.vcpus)),
    os,
    el('features', undefined, el('acpi'), el('apic')),
    topology &&
      el(
        'cpu',
        undefined,
        el('topology', {
          sockets: topology.sockets,
          dies: 1,
          cores: topology.cores,
          threads: topology.threads,
        }),
      ),
    el('clock', { offset: props.os_type === 'windows' ? 'localtime' : 'utc' }),
    el('on_poweroff', undefined, 'destroy'),
    el('on_reboot', undefined, 'restart'),
    el('on_crash', undefined, 'destroy'),
    el(
      'devices',
      undefined,
      ...disks,
      el('interface', { type: 'user' }, el('mac', { address: spec.mac }), el('model', { type: vifModel })),
      // The serial console: a pty for interactive use, everything it prints kept in consoleLog.
      el(
        'serial',
        { type: 'pty' },
        el('log', { file: spec.consoleLog, append: 'on' }),
        el('target', { port: 0 }),
      ),
      el('console', { type: 'pty' }, el('target', { type: 'serial', port: 0 })),
      video !== 'none' && el('video', undefined, el('model', { type: video })),
      props.hw_pointer_model === 'usbtablet' && el('input', { type: 'tablet', bus: 'usb' }),
      props.hw_qemu_guest_agent === 'yes' &&
        el('channel', { type: 'unix' }, el('target', { type: 'virtio', name: 'org.qemu.guest_agent.0' })),
      props.hw_rng_model === 'virtio' &&
        el('rng', { model: 'virtio' }, el('backend', { model: 'random' }, '/dev/urandom')),
      el('memballoon', { model: 'virtio' }, el('stats', { period: 10 })),
    ),
  );
  return renderXml(domain) + '\n';
}
