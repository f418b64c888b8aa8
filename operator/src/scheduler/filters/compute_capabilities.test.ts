import { expect } from 'chai';
import type { HostState, InstanceOnHost } from '../framework.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { NAME, REASON_MISMATCH, REASON_MISSING, create, novaStats } from './compute_capabilities.ts';

const filter = create();
const spec = (extraSpecs: Record<string, string>) =>
  fakeSpec({ flavor: { name: 'f', vcpus: 1, ram: 1024, disk: 1, ephemeral: 0, swap: 0, extraSpecs } });
const passes = (host: HostState, extraSpecs: Record<string, string>) =>
  filter.hostPasses(host, spec(extraSpecs));

const CPU_INFO = {
  vendor: 'Intel',
  model: 'core2duo',
  arch: 'i686',
  features: ['lahf_lm', 'rdtscp'],
  topology: { cores: 1, threads: 1, sockets: 1 },
};
// 1024 MB free RAM, as Nova's tests' host_state {'free_ram_mb': 1024}.
const base = (over: Partial<HostState> = {}) =>
  fakeHost('host1', { total: { vcpus: 16, memoryMb: 1024, diskGb: 0 }, ...over });
const inst = (uuid: string, over: Partial<InstanceOnHost> = {}): InstanceOnHost => ({
  uuid,
  projectId: 'p1',
  flavorName: 'f',
  vmState: 'active',
  ...over,
});
// Two active servers: stats num_vm_active = '2', num_proj_p1 = '1', num_proj_p2 = '1'.
const withStats = base({ instances: [inst('a'), inst('b', { projectId: 'p2' })] });

describe('ComputeCapabilitiesFilter (Nova compute_capabilities_filter.py)', () => {
  it('is named ComputeCapabilitiesFilter', () => {
    expect(filter.name).to.equal(NAME).and.equal('ComputeCapabilitiesFilter');
  });

  it('passes without extra specs', () => {
    expect(passes(base(), {})).to.equal(undefined);
  });

  it('fails without the capability: capabilities:cpu_info:vendor on an empty cpu_info', () => {
    expect(passes(base({ cpuInfo: {} }), { 'capabilities:cpu_info:vendor': 'Intel' })).to.equal(
      REASON_MISSING,
    );
    expect(passes(base(), { 'capabilities:cpu_info:vendor': 'Intel' })).to.equal(REASON_MISSING);
  });

  it('passes capabilities:cpu_info:vendor matching the host cpu_info', () => {
    expect(passes(base({ cpuInfo: CPU_INFO }), { 'capabilities:cpu_info:vendor': 'Intel' })).to.equal(
      undefined,
    );
    expect(passes(base({ cpuInfo: CPU_INFO }), { 'capabilities:cpu_info:vendor': 'AMD' })).to.equal(
      REASON_MISMATCH,
    );
  });

  it('backward compatibility: unscoped cpu_info compares the whole cpu_info JSON text', () => {
    const text =
      '{"vendor": "Intel", "model": "core2duo", "arch": "i686", "features": ["lahf_lm", "rdtscp"], ' +
      '"topology": {"cores": 1, "threads": 1, "sockets": 1}}';
    expect(passes(base({ cpuInfo: CPU_INFO }), { cpu_info: text })).to.equal(undefined);
    expect(passes(base({ cpuInfo: CPU_INFO }), { cpu_info: '' })).to.equal(REASON_MISMATCH);
  });

  it('parses a JSON string on the way down; a string that is not JSON is a missing capability', () => {
    const host = base({ cpuInfo: { topology: '{"cores": 4}', bogus: 'cpu_info' } });
    expect(passes(host, { 'capabilities:cpu_info:topology:cores': '4' })).to.equal(undefined);
    expect(passes(host, { 'capabilities:cpu_info:bogus:vendor': 'Intel' })).to.equal(REASON_MISSING);
  });

  it('passes simple unscoped extra specs naming stats keys', () => {
    expect(passes(withStats, { num_vm_active: '2', num_proj_p1: '1' })).to.equal(undefined);
  });

  it('fails simple unscoped extra specs naming stats keys that do not match', () => {
    expect(passes(withStats, { num_vm_active: '2', num_proj_p1: '222' })).to.equal(REASON_MISMATCH);
  });

  it('passes simple extra specs with the capabilities scope', () => {
    expect(passes(withStats, { 'capabilities:num_vm_active': '2' })).to.equal(undefined);
  });

  it('ignores an unscoped key that happens to be the scope name', () => {
    expect(passes(withStats, { capabilities: '1' })).to.equal(undefined);
  });

  it("ignores the user's self-defined, irrelevant unscoped specs", () => {
    expect(passes(withStats, { XXYY: '1', group_policy: 'none' })).to.equal(undefined);
  });

  it('ignores extra specs of other scopes', () => {
    const specs = {
      'wrong_scope:opt1': '1',
      'hw:cpu_policy': 'dedicated',
      'aggregate_instance_extra_specs:ssd': 'true',
      'trait:CUSTOM_X': 'required',
    };
    expect(passes(withStats, specs)).to.equal(undefined);
  });

  it('passes multi-level specs with the scope; unscoped keys with a colon are another scope', () => {
    const host = base({ cpuInfo: { topology: { cores: 1, b: { aa: 2 } } } });
    expect(
      passes(host, { 'cpu_info:topology': 'ignored', 'capabilities:cpu_info:topology:b:aa': '2' }),
    ).to.equal(undefined);
  });

  it('backward compatibility: free_ram_mb >= 300 passes, <= 300 fails', () => {
    expect(passes(base(), { free_ram_mb: '>= 300' })).to.equal(undefined);
    expect(passes(base(), { free_ram_mb: '<= 300' })).to.equal(REASON_MISMATCH);
  });

  it('backward compatibility: vcpus_used <= 20 passes, >= 20 fails', () => {
    expect(passes(base(), { vcpus_used: '<= 20' })).to.equal(undefined);
    expect(passes(base(), { vcpus_used: '>= 20' })).to.equal(REASON_MISMATCH);
  });

  it('backward compatibility: free_disk_mb "0" passes a full disk, "1" fails it', () => {
    expect(passes(base(), { free_disk_mb: '0' })).to.equal(undefined);
    expect(passes(base(), { free_disk_mb: '1' })).to.equal(REASON_MISMATCH);
  });

  it('a HostState attribute that is unset fails the host, scoped or not', () => {
    expect(passes(base(), { hypervisor_type: 'QEMU' })).to.equal(REASON_MISSING);
    expect(passes(base({ hypervisorType: 'QEMU' }), { hypervisor_type: 'QEMU' })).to.equal(undefined);
    expect(passes(base({ hypervisorType: 'QEMU' }), { 'capabilities:hypervisor_type': 's== QEMU' })).to.equal(
      undefined,
    );
  });

  it('compares lists as Python prints them: <all-in> on cpu_info features', () => {
    const host = base({ cpuInfo: { features: ['aes', 'avx', 'sse4_2'] } });
    expect(passes(host, { 'capabilities:cpu_info:features': '<all-in> aes avx' })).to.equal(undefined);
    expect(passes(host, { 'capabilities:cpu_info:features': '<all-in> aes avx512f' })).to.equal(
      REASON_MISMATCH,
    );
    expect(passes(host, { 'capabilities:cpu_info:features': "['aes', 'avx', 'sse4_2']" })).to.equal(
      undefined,
    );
  });

  it('does not index into lists (Nova looks up attributes, not indexes)', () => {
    const host = base({ cpuInfo: { features: ['aes'] } });
    expect(passes(host, { 'capabilities:cpu_info:features:0': 'aes' })).to.equal(REASON_MISSING);
  });

  it('prints the allocation ratios as floats, as Nova does', () => {
    const host = base({ allocationRatios: { vcpus: 16, memoryMb: 1.5, diskGb: 1 } });
    expect(passes(host, { cpu_allocation_ratio: '16.0', ram_allocation_ratio: '1.5' })).to.equal(undefined);
    expect(passes(host, { cpu_allocation_ratio: '16' })).to.equal(REASON_MISMATCH);
    expect(passes(host, { cpu_allocation_ratio: '>= 16' })).to.equal(undefined);
  });

  it('names only Nova HostState attributes: availability_zone and traits are none of them', () => {
    const host = base({ availabilityZone: 'az1', traits: ['HW_CPU_X86_AVX'] });
    expect(passes(host, { availability_zone: 'other', traits: 'x' })).to.equal(undefined);
    expect(passes(host, { 'capabilities:availability_zone': 'az1' })).to.equal(REASON_MISSING);
  });

  it('fails specs on HostState attributes we cannot print as Nova does (numa_topology, metrics, ...)', () => {
    expect(passes(base(), { numa_topology: 'x' })).to.equal(REASON_MISSING);
    expect(
      passes(base({ metrics: { 'cpu.percent': 5 } }), { 'capabilities:metrics:cpu.percent': '5' }),
    ).to.equal(REASON_MISSING);
  });

  it("derives the compute node's stats from the servers on the host, as Nova's resource tracker", () => {
    const host = base({
      failedBuilds: 3,
      instances: [
        inst('a', { vmState: 'building', taskState: 'spawning' }),
        inst('b', { taskState: 'image_snapshot' }),
        inst('c'),
      ],
    });
    expect(Object.fromEntries(novaStats(host))).to.deep.equal({
      num_instances: '3',
      num_vm_building: '1',
      num_vm_active: '2',
      num_task_spawning: '1',
      num_task_image_snapshot: '1',
      num_task_None: '1',
      num_proj_p1: '3',
      io_workload: '2',
      failed_builds: '3',
    });
    expect(passes(host, { io_workload: '<= 1' })).to.equal(REASON_MISMATCH);
    expect(passes(host, { 'capabilities:stats:num_task_None': '1' })).to.equal(undefined);
  });

  it('throws ValueError for a numeric operator on a non-numeric capability, as Nova raises', () => {
    expect(() => passes(base({ hypervisorType: 'QEMU' }), { hypervisor_type: '>= 1' })).to.throw(
      /could not convert string to float: 'QEMU'/,
    );
  });
});
