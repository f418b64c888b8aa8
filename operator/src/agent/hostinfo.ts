// What a libvirt node reports about itself (Nova's get_available_resource): vCPUs, memory, local
// disk, the hypervisor's type and version, and cpu_info in Nova's JSON shape.
import { readFile, statfs } from 'node:fs/promises';
import type { ComputeHost } from '../api/v1alpha1/index.ts';
import type { Libvirt } from '../drivers/libvirt/libvirt.ts';

type HostStatus = NonNullable<ComputeHost['status']>;

/** Nova's cpu_info from `virsh capabilities`: arch, model, vendor, topology, features. */
export function cpuInfoOf(capabilitiesXml: string): Record<string, unknown> {
  const cpu = /<host>[\s\S]*?<cpu>([\s\S]*?)<\/cpu>/.exec(capabilitiesXml)?.[1] ?? '';
  const text = (tag: string) => new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(cpu)?.[1];
  const attr = (name: string) => Number(new RegExp(`<topology[^>]*\\b${name}="(\\d+)"`).exec(cpu)?.[1] ?? 1);
  const features = [...cpu.matchAll(/<feature[^>]*name="([^"]+)"/g)].map((m) => m[1]!).sort();
  return {
    arch: text('arch') ?? 'x86_64',
    model: text('model') ?? '',
    vendor: text('vendor') ?? '',
    topology: { cells: 1, sockets: attr('sockets'), cores: attr('cores'), threads: attr('threads') },
    features,
  };
}

/** MemTotal of /proc/meminfo, MiB (undefined where there is none). */
export async function memTotalMb(): Promise<number | undefined> {
  const text = await readFile('/proc/meminfo', 'utf8').catch(() => '');
  const kib = /^MemTotal:\s+(\d+) kB/m.exec(text)?.[1];
  return kib ? Math.floor(Number(kib) / 1024) : undefined;
}

/** The ComputeHost status fields the agent owns. */
export async function hostReport(libvirt: Libvirt, stateDir: string): Promise<Partial<HostStatus>> {
  const [version, node, caps, fs] = await Promise.all([
    libvirt.version(),
    libvirt.nodeInfo(),
    libvirt.capabilities(),
    statfs(stateDir),
  ]);
  return {
    hypervisorType: version.hypervisorType,
    hypervisorVersion: version.hypervisorVersion,
    cpuInfo: cpuInfoOf(caps),
    capacity: {
      vcpus: node.cpus,
      // `virsh nodeinfo` under-reports memory on some machines: nodememstats, else /proc/meminfo.
      memoryMb: node.memoryKiB > 0 ? Math.floor(node.memoryKiB / 1024) : ((await memTotalMb()) ?? 0),
      localGb: Math.floor((fs.blocks * fs.bsize) / 2 ** 30),
    },
  };
}
