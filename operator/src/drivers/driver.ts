// The virt driver interface, modelled on nova/virt/driver.py ComputeDriver: what the compute
// manager asks of a hypervisor. One instance of a driver may serve many hosts (the fake driver
// stands for many fake nodes; the KubeVirt driver for every KubeVirt node), so calls name the host.

/** What a driver is told about a server (Nova's Instance, as far as drivers read it). */
export interface Instance {
  /** Nova id: the Server's metadata.uid. */
  uuid: string;
  /** The Server's namespace/name. */
  key: string;
  displayName: string;
  host: string;
  flavor: { name: string; vcpus: number; ram: number; disk: number; ephemeral: number; swap: number };
  imageRef?: string;
  userData?: string;
  metadata?: Record<string, string>;
}

export interface Address {
  network: string;
  version: 4 | 6;
  addr: string;
  type: 'fixed' | 'floating';
  macAddr?: string;
}

export interface SpawnResult {
  addresses: Address[];
}

/** What a host offers, as the driver sees it (get_available_resource). */
export interface HostInfo {
  hypervisorType: string;
  hypervisorVersion: number;
}

/**
 * Placement traits each driver gives its hosts: the image types it can boot
 * (COMPUTE_IMAGE_TYPE_*, for query_placement_for_image_type_support).
 */
export const DRIVER_TRAITS: Record<string, string[]> = {
  fake: ['COMPUTE_IMAGE_TYPE_RAW', 'COMPUTE_IMAGE_TYPE_QCOW2', 'COMPUTE_IMAGE_TYPE_ISO'],
  libvirt: ['COMPUTE_IMAGE_TYPE_RAW', 'COMPUTE_IMAGE_TYPE_QCOW2', 'COMPUTE_IMAGE_TYPE_ISO'],
  kubevirt: ['COMPUTE_IMAGE_TYPE_RAW', 'COMPUTE_IMAGE_TYPE_QCOW2'],
};

export type DriverPowerState = 'pending' | 'running' | 'paused' | 'shutdown' | 'crashed' | 'suspended';

/** A build failure the compute manager may retry on another host (Nova's RescheduledException). */
export class BuildFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildFailure';
  }
}

export interface VirtDriver {
  readonly type: 'fake' | 'libvirt' | 'kubevirt';
  hostInfo(host: string): Promise<HostInfo>;
  /** Nova ids of the instances the hypervisor has on host (list_instance_uuids). */
  listInstances(host: string): Promise<string[]>;
  /** Creates and boots the instance; idempotent: an existing instance of this uuid is kept. */
  spawn(instance: Instance): Promise<SpawnResult>;
  /** Stops and removes the instance and its disks; idempotent. */
  destroy(host: string, uuid: string): Promise<void>;
  powerState(host: string, uuid: string): Promise<DriverPowerState | undefined>;
}
