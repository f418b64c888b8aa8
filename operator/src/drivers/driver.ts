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
  /** Nova's user_id: the user who created the server, when known (its keypair is theirs). */
  userId?: string;
  /** Attach a config drive (Nova's instance.config_drive); reported by diagnostics(). */
  configDrive?: boolean;
  /** The Keypair to inject (key_name), and the guest's hostname (2.90): what a config drive carries. */
  keyName?: string;
  hostname?: string;
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

/**
 * The server actions a driver may implement: Nova's ComputeDriver.capabilities, as far as they
 * decide whether the API offers an action. The compute manager checks `capabilities` before asking;
 * a driver still refuses an operation it lacks with NotSupported.
 */
export const DRIVER_OPERATIONS = [
  'powerOff',
  'powerOn',
  'reboot',
  'pause',
  'unpause',
  'suspend',
  'resume',
  'rescue',
  'unrescue',
  'rebuild',
  'snapshot',
  'migrate',
  'liveMigrate',
  'triggerCrashDump',
  'consoleOutput',
  'diagnostics',
] as const;
export type DriverOperation = (typeof DRIVER_OPERATIONS)[number];

/**
 * What each driver type implements, for the API side that knows only a host's driver name (as
 * DRIVER_TRAITS). A driver instance may offer less (its own `capabilities`); it refuses the rest.
 * KubeVirt has no managed save (suspend), no rescue boot and no NMI injection; Kova does not use
 * its VirtualMachineSnapshots yet (an Image has no source that could name one).
 */
export const DRIVER_CAPABILITIES: Record<string, ReadonlySet<DriverOperation>> = {
  fake: new Set(DRIVER_OPERATIONS),
  // Live migration needs a second libvirt node with shared storage: not offered yet.
  libvirt: new Set(DRIVER_OPERATIONS.filter((op) => op !== 'liveMigrate')),
  kubevirt: new Set<DriverOperation>([
    'powerOff',
    'powerOn',
    'reboot',
    'pause',
    'unpause',
    'rebuild',
    'migrate',
    'liveMigrate',
    'consoleOutput',
    'diagnostics',
  ]),
};

/**
 * An operation on an instance failed: the instance is not on that host (Nova's InstanceNotFound),
 * or it is in a state the hypervisor cannot act on (InstanceNotRunning, InstanceFaultRollback...).
 */
export class DriverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriverError';
  }
}

/** The driver does not implement this operation (Nova's NotImplementedError; the API answers 501/409). */
export class NotSupported extends Error {
  readonly operation: DriverOperation;
  constructor(operation: DriverOperation, driver: string) {
    super(`the ${driver} driver does not support ${operation}`);
    this.name = 'NotSupported';
    this.operation = operation;
  }
}

/** What an uploaded snapshot image is (Glance's size and checksum). */
export interface SnapshotResult {
  /** Bytes. */
  size: number;
  /** md5, hex (Glance's checksum). */
  checksum: string;
  /** Where the data is kept, when the driver keeps it on its node (the libvirt driver). */
  nodePath?: string;
}

/** nova/objects/diagnostics.py, as the 2.48 server diagnostics view renders them. */
export interface CpuDiagnostics {
  id: number | null;
  /** CPU time, ns. */
  time: number | null;
  /** Percent. */
  utilisation: number | null;
}

export interface NicDiagnostics {
  mac_address: string | null;
  rx_octets: number | null;
  rx_errors: number | null;
  rx_drop: number | null;
  rx_packets: number | null;
  rx_rate: number | null;
  tx_octets: number | null;
  tx_errors: number | null;
  tx_drop: number | null;
  tx_packets: number | null;
  tx_rate: number | null;
}

export interface DiskDiagnostics {
  read_bytes: number | null;
  read_requests: number | null;
  write_bytes: number | null;
  write_requests: number | null;
  errors_count: number | null;
}

/** get_instance_diagnostics (GET /servers/{id}/diagnostics, microversion 2.48). */
export interface InstanceDiagnostics {
  state: DriverPowerState;
  /** Nova's HypervisorDriverField: 'libvirt', 'fake', ... */
  driver: string;
  hypervisor: string | null;
  hypervisor_os: string | null;
  /** Seconds. */
  uptime: number | null;
  config_drive: boolean;
  num_cpus: number;
  num_disks: number;
  num_nics: number;
  /** MiB. */
  memory_details: { maximum: number | null; used: number | null };
  cpu_details: CpuDiagnostics[];
  nic_details: NicDiagnostics[];
  disk_details: DiskDiagnostics[];
}

export type RebootType = 'SOFT' | 'HARD';

/**
 * Every instance operation names the host and the Nova uuid. An operation the driver lacks throws
 * NotSupported (checked first); an instance not on that host throws DriverError. Operations that
 * set a state are idempotent: asking for the state the instance is already in changes nothing.
 */
export interface VirtDriver {
  readonly type: 'fake' | 'libvirt' | 'kubevirt';
  /** The server actions this driver implements (ComputeDriver.capabilities). */
  readonly capabilities: ReadonlySet<DriverOperation>;
  hostInfo(host: string): Promise<HostInfo>;
  /** Nova ids of the instances the hypervisor has on host (list_instance_uuids). */
  listInstances(host: string): Promise<string[]>;
  /** Creates and boots the instance; idempotent: an existing instance of this uuid is kept. */
  spawn(instance: Instance): Promise<SpawnResult>;
  /** Stops and removes the instance and its disks; idempotent. */
  destroy(host: string, uuid: string): Promise<void>;
  powerState(host: string, uuid: string): Promise<DriverPowerState | undefined>;

  /** power_off: → 'shutdown', from any state; no-op when shut down. */
  powerOff(host: string, uuid: string): Promise<void>;
  /** power_on: → 'running', from any state (a fresh boot); no-op when running. */
  powerOn(host: string, uuid: string): Promise<void>;
  /**
   * reboot: → 'running'; always reboots. SOFT needs a running guest (else DriverError, as libvirt's
   * shutdown-and-start); HARD works from any state.
   */
  reboot(host: string, uuid: string, type: RebootType): Promise<void>;
  /** pause: running → 'paused'; no-op when paused; DriverError from other states. */
  pause(host: string, uuid: string): Promise<void>;
  /** unpause: paused → 'running'; no-op when running; DriverError from other states. */
  unpause(host: string, uuid: string): Promise<void>;
  /** suspend: running or paused → 'suspended'; no-op when suspended; DriverError from other states. */
  suspend(host: string, uuid: string): Promise<void>;
  /** resume: suspended → 'running'; no-op when running; DriverError from other states. */
  resume(host: string, uuid: string): Promise<void>;
  /**
   * rescue: boots the rescue image (default: the instance's own image) from any state → 'running',
   * rescued; no-op when already running rescued from that image.
   */
  rescue(host: string, uuid: string, rescueImageRef?: string): Promise<void>;
  /** unrescue: boots the instance's own disk again → 'running'; no-op when not rescued. */
  unrescue(host: string, uuid: string): Promise<void>;
  /**
   * rebuild: re-creates the instance on instance.host from instance.imageRef with instance.flavor;
   * same uuid and addresses, 'running', not rescued.
   */
  rebuild(instance: Instance): Promise<void>;
  /** snapshot: uploads the instance's disk as image imageName; its state is unchanged. */
  snapshot(host: string, uuid: string, imageName: string): Promise<SnapshotResult>;
  /**
   * Cold migration or resize (migrate_disk_and_power_off + finish_migration): moves the instance from
   * fromHost to instance.host (may be the same host, for a resize there) with instance.flavor; it ends
   * 'shutdown' if it was shut down, else 'running'. Idempotent: an instance already on instance.host
   * with that flavor is left alone (and a copy left on fromHost by an interrupted move is removed).
   * Resize confirm is destroy(fromHost) (a no-op here, the source is gone); revert is migrate back.
   */
  migrate(instance: Instance, fromHost: string): Promise<void>;
  /**
   * live_migration: moves a running or paused instance to toHost keeping its power state
   * (DriverError from other states, or when toHost is host). Idempotent: an instance already on
   * toHost and gone from host is left alone.
   */
  liveMigrate(host: string, uuid: string, toHost: string): Promise<void>;
  /** trigger_crash_dump: injects an NMI (DriverError unless running or paused); not idempotent. */
  triggerCrashDump(host: string, uuid: string): Promise<void>;
  /** get_console_output: the last `length` lines of the console log; -1 or undefined: all; 0: ''. */
  consoleOutput(host: string, uuid: string, length?: number): Promise<string>;
  /** get_instance_diagnostics. */
  diagnostics(host: string, uuid: string): Promise<InstanceDiagnostics>;
}
