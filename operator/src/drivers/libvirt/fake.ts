// An in-memory libvirt behind the Libvirt interface, for the unit tests of the driver and agent
// logic: domains are defined, started, shut down (the guest obeys ACPI unless told to ignore it),
// paused and saved as libvirtd does, and every change is a lifecycle event.
import {
  LibvirtError,
  type DomainInfo,
  type DomainState,
  type LifecycleEvent,
  type Libvirt,
  type NodeInfo,
  type VersionInfo,
} from './libvirt.ts';

interface FakeDomain {
  xml: string;
  state: DomainState;
  managedSave: boolean;
  nmis: number;
}

export class FakeLibvirt implements Libvirt {
  readonly domains = new Map<string, FakeDomain>();
  /** Guests that ignore the ACPI power button (no ACPI daemon). */
  readonly ignoreAcpi = new Set<string>();
  /** Every call, as `verb name`. */
  readonly calls: string[] = [];
  private listeners: ((e: LifecycleEvent) => void)[] = [];

  private get(name: string): FakeDomain {
    const d = this.domains.get(name);
    if (!d) throw new LibvirtError(`error: failed to get domain '${name}'`);
    return d;
  }

  private emit(domain: string, event: string, detail: string): void {
    for (const l of this.listeners) l({ domain, event, detail });
  }

  private set(name: string, state: DomainState, event: string, detail: string): void {
    this.get(name).state = state;
    this.emit(name, event, detail);
  }

  private active(name: string): FakeDomain {
    const d = this.get(name);
    if (d.state === 'shut off')
      throw new LibvirtError(`error: Requested operation is not valid: domain is not running`);
    return d;
  }

  async version(): Promise<VersionInfo> {
    return { libvirt: 9_000_000, hypervisorType: 'QEMU', hypervisorVersion: 7_002_022 };
  }
  async nodeInfo(): Promise<NodeInfo> {
    return { cpus: 4, mhz: 2600, sockets: 1, cores: 4, threads: 1, memoryKiB: 8 * 1024 * 1024 };
  }
  async capabilities(): Promise<string> {
    return '<capabilities><host><cpu><arch>x86_64</arch><model>qemu64</model><vendor>AMD</vendor><topology sockets="1" dies="1" cores="4" threads="1"/><feature name="sse4.2"/></cpu></host></capabilities>';
  }
  async listDomainNames(): Promise<string[]> {
    return [...this.domains.keys()];
  }
  private info(name: string): DomainInfo {
    const d = this.get(name);
    return { name, state: d.state, managedSave: d.managedSave };
  }
  async domain(name: string): Promise<DomainInfo | undefined> {
    return this.domains.has(name) ? this.info(name) : undefined;
  }
  async define(xml: string): Promise<void> {
    const name = /<name>([^<]+)<\/name>/.exec(xml)?.[1];
    if (!name) throw new LibvirtError('error: XML has no domain name');
    this.calls.push(`define ${name}`);
    const d = this.domains.get(name);
    if (d) d.xml = xml;
    else this.domains.set(name, { xml, state: 'shut off', managedSave: false, nmis: 0 });
    this.emit(name, 'Defined', d ? 'Updated' : 'Added');
  }
  async undefine(name: string): Promise<void> {
    this.calls.push(`undefine ${name}`);
    this.get(name);
    this.domains.delete(name);
    this.emit(name, 'Undefined', 'Removed');
  }
  async start(name: string): Promise<void> {
    this.calls.push(`start ${name}`);
    const d = this.get(name);
    if (d.state !== 'shut off')
      throw new LibvirtError('error: Requested operation is not valid: domain is already running');
    const restored = d.managedSave;
    d.managedSave = false;
    this.set(name, 'running', 'Started', restored ? 'Restored' : 'Booted');
  }
  async shutdown(name: string): Promise<void> {
    this.calls.push(`shutdown ${name}`);
    this.active(name);
    if (!this.ignoreAcpi.has(name)) this.set(name, 'shut off', 'Stopped', 'Shutdown');
  }
  async destroy(name: string): Promise<void> {
    this.calls.push(`destroy ${name}`);
    this.active(name);
    this.set(name, 'shut off', 'Stopped', 'Destroyed');
  }
  async suspend(name: string): Promise<void> {
    this.calls.push(`suspend ${name}`);
    this.active(name);
    this.set(name, 'paused', 'Suspended', 'Paused');
  }
  async resume(name: string): Promise<void> {
    this.calls.push(`resume ${name}`);
    if (this.active(name).state !== 'paused') throw new LibvirtError('error: domain is not paused');
    this.set(name, 'running', 'Resumed', 'Unpaused');
  }
  async managedSave(name: string): Promise<void> {
    this.calls.push(`managedsave ${name}`);
    this.active(name).managedSave = true;
    this.set(name, 'shut off', 'Stopped', 'Saved');
  }
  async managedSaveRemove(name: string): Promise<void> {
    this.calls.push(`managedsave-remove ${name}`);
    this.get(name).managedSave = false;
  }
  async injectNmi(name: string): Promise<void> {
    this.active(name).nmis++;
  }
  async dumpXml(name: string): Promise<string> {
    return this.get(name).xml;
  }
  async domStats(name: string): Promise<Record<string, string>> {
    const d = this.active(name);
    const mem = Number(/<memory unit="MiB">(\d+)</.exec(d.xml)?.[1] ?? 0) * 1024;
    return {
      'state.state': '1',
      'cpu.time': '1000000000',
      'balloon.current': String(mem),
      'vcpu.current': /<vcpu[^>]*>(\d+)</.exec(d.xml)?.[1] ?? '1',
      'vcpu.0.time': '500000000',
      'net.count': '1',
      'net.0.rx.bytes': '1234',
      'block.count': String((d.xml.match(/<disk /g) ?? []).length),
      'block.0.rd.bytes': '4096',
    };
  }
  watchEvents(onEvent: (e: LifecycleEvent) => void, signal: AbortSignal): void {
    this.listeners.push(onEvent);
    signal.addEventListener('abort', () => (this.listeners = this.listeners.filter((l) => l !== onEvent)), {
      once: true,
    });
  }
}
