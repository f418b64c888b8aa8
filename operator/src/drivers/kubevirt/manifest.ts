// The KubeVirt VirtualMachine that realises a Server, built purely from what the compute manager
// knows: the server's flavor copy, its image, its keys and user data, and the host Kova chose.
// Nothing here reads the cluster, so it is unit-tested field by field.
import type { V1VirtualMachine } from './types.ts';
import type { Instance } from '../driver.ts';
import { guestHostname } from '../../compute/hostname.ts';

export const KUBEVIRT_API_VERSION = 'kubevirt.io/v1';
/** Labels on the VirtualMachine (and its VMI template) linking back to the Server. */
export const UUID_LABEL = 'compute.kova.io/instance-uuid';
export const SERVER_LABEL = 'compute.kova.io/server';
export const HOST_LABEL = 'compute.kova.io/host';
/** KubeVirt's own label on nodes where virt-handler runs and VMs can be scheduled. */
export const KUBEVIRT_SCHEDULABLE_LABEL = 'kubevirt.io/schedulable';
/** The annotation carrying the server's Nova metadata (KubeVirt writes its own meta_data.json). */
export const METADATA_ANNOTATION = 'compute.kova.io/metadata';

/**
 * The runStrategy of a running server: KubeVirt re-runs a failed VMI but not one whose guest shut
 * itself down, which stays off (Nova's SHUTOFF) until started. Halted: stopped.
 */
export const RUNNING = 'RerunOnFailure';
export const STOPPED = 'Halted';
export type RunStrategy = typeof RUNNING | typeof STOPPED;

/** Where the root disk comes from (the Image's source). */
export type RootDiskSource =
  | { containerDisk: string }
  /** Imported by CDI into a DataVolume of the flavor's root disk size. */
  | { url: string }
  /** A file present on every node (KubeVirt's hostDisk). */
  | { nodePath: string };

export interface VmManifestInput {
  instance: Instance;
  /** The owning Server (ownerReference: deleting the Server deletes the VM). */
  owner: { apiVersion: string; kind: string; name: string; uid: string };
  root: RootDiskSource;
  /** Guest hostname (the server's hostname, else derived from its name). */
  hostname: string;
  /** Secret holding the keypair's public key, propagated through the config drive. */
  keysSecret?: string;
  /** The host's allocation ratios: guest size ÷ ratio is what the pod requests. */
  ratios: { vcpus: number; memoryMb: number };
  /** runStrategy RUNNING, else STOPPED. */
  running: boolean;
}

/** The VirtualMachine is named after its Server, in the Server's namespace. */
export function vmName(instance: Pick<Instance, 'key'>): string {
  return instance.key.split('/')[1]!;
}

export function vmNamespace(instance: Pick<Instance, 'key'>): string {
  return instance.key.split('/')[0]!;
}

/**
 * The VirtualMachineInstance's hostname: a DNS label, as KubeVirt demands. From 2.94 a server's
 * hostname may be an FQDN (and have '_'): the guest gets its first label; KubeVirt has no place
 * for the domain (a VMI's subdomain is a Service's name, not a DNS domain).
 */
export function vmiHostname(hostname: string): string {
  return guestHostname(hostname.split('.').find(Boolean) ?? '');
}

/** CPU the pod requests for vcpus at an allocation ratio: millicores, at least 1m. */
export function cpuRequest(vcpus: number, ratio: number): string {
  return `${Math.max(1, Math.ceil((vcpus * 1000) / ratio))}m`;
}

/** Memory the pod requests for ram MiB at an allocation ratio. */
export function memoryRequest(ramMb: number, ratio: number): string {
  return `${Math.max(1, Math.ceil(ramMb / ratio))}Mi`;
}

/** The root disk's volume, and the DataVolume CDI imports it into (from a URL). */
function rootVolume(
  name: string,
  root: RootDiskSource,
  diskGb: number,
  labels: Record<string, string>,
): { volume: object; dataVolumeTemplates: object[] } {
  if ('containerDisk' in root) {
    return {
      volume: { name: 'root', containerDisk: { image: root.containerDisk } },
      dataVolumeTemplates: [],
    };
  }
  if ('nodePath' in root) {
    return {
      volume: { name: 'root', hostDisk: { path: root.nodePath, type: 'Disk' } },
      dataVolumeTemplates: [],
    };
  }
  return {
    volume: { name: 'root', dataVolume: { name: `${name}-root` } },
    dataVolumeTemplates: [
      {
        metadata: { name: `${name}-root`, labels },
        spec: {
          source: { http: { url: root.url } },
          storage: { resources: { requests: { storage: `${Math.max(diskGb, 1)}Gi` } } },
        },
      },
    ],
  };
}

/** The VirtualMachine for an instance on instance.host. */
export function buildVirtualMachine(input: VmManifestInput): V1VirtualMachine {
  const { instance, owner, root, ratios } = input;
  const name = vmName(instance);
  const f = instance.flavor;
  const labels = { [UUID_LABEL]: instance.uuid, [SERVER_LABEL]: name, [HOST_LABEL]: instance.host };

  const disks: object[] = [{ name: 'root', bootOrder: 1, disk: { bus: 'virtio' } }];
  const { volume, dataVolumeTemplates } = rootVolume(name, root, f.disk, labels);
  const volumes: object[] = [volume];
  // Nova's ephemeral and swap disks: blank, sized by the flavor, gone with the VM.
  if (f.ephemeral > 0) {
    disks.push({ name: 'ephemeral0', disk: { bus: 'virtio' } });
    volumes.push({ name: 'ephemeral0', emptyDisk: { capacity: `${f.ephemeral}Gi` } });
  }
  if (f.swap > 0) {
    disks.push({ name: 'swap', disk: { bus: 'virtio' } });
    volumes.push({ name: 'swap', emptyDisk: { capacity: `${f.swap}Mi` } });
  }
  // The config drive (OpenStack format, label config-2): KubeVirt writes meta_data.json (uuid,
  // hostname, public_keys) and user_data from this volume.
  disks.push({ name: 'config-2', disk: { bus: 'virtio' } });
  volumes.push({
    name: 'config-2',
    cloudInitConfigDrive: instance.userData ? { userDataBase64: instance.userData } : { userData: '' },
  });

  const metadata = instance.metadata ?? {};
  return {
    apiVersion: KUBEVIRT_API_VERSION,
    kind: 'VirtualMachine',
    metadata: {
      name,
      namespace: vmNamespace(instance),
      labels,
      annotations: Object.keys(metadata).length
        ? { [METADATA_ANNOTATION]: JSON.stringify(metadata) }
        : undefined,
      ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      runStrategy: input.running ? RUNNING : STOPPED,
      ...(dataVolumeTemplates.length ? { dataVolumeTemplates } : {}),
      template: {
        metadata: { labels },
        spec: {
          hostname: input.hostname,
          // Exactly the node Kova's scheduler chose, so kube-scheduler agrees with it.
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [
                  { matchFields: [{ key: 'metadata.name', operator: 'In', values: [instance.host] }] },
                ],
              },
            },
          },
          domain: {
            // Nova's default topology: one socket per vCPU.
            cpu: { sockets: f.vcpus, cores: 1, threads: 1 },
            memory: { guest: `${f.ram}Mi` },
            // What the pod asks of the node: the guest divided by the host's allocation ratios.
            resources: {
              requests: {
                cpu: cpuRequest(f.vcpus, ratios.vcpus),
                memory: memoryRequest(f.ram, ratios.memoryMb),
              },
            },
            firmware: { uuid: instance.uuid },
            devices: { disks, interfaces: [{ name: 'default', masquerade: {} }] },
          },
          networks: [{ name: 'default', pod: {} }],
          volumes,
          ...(input.keysSecret
            ? {
                accessCredentials: [
                  {
                    sshPublicKey: {
                      source: { secret: { secretName: input.keysSecret } },
                      propagationMethod: { configDrive: {} },
                    },
                  },
                ],
              }
            : {}),
        },
      },
    },
  } as V1VirtualMachine;
}
