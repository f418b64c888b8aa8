import { expect } from 'chai';
import type { HostState } from '../framework.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import {
  NAME,
  REASON_NO_SUPPORTED_INSTANCES,
  REASON_UNSUPPORTED,
  convertVersionToStr,
  create,
  imageMetaProp,
  supportedInstances,
} from './image_properties.ts';

const filter = create({} as never);
const image = (properties: Record<string, string>) => fakeSpec({ image: { properties } });
const V6_0_0 = 6000000;
// A KVM host: supported instances (x86_64, kvm, hvm) and (x86_64, qemu, hvm).
const kvm = (over: Partial<HostState> = {}) =>
  fakeHost('host1', {
    hypervisorType: 'QEMU',
    hypervisorVersion: V6_0_0,
    cpuInfo: { arch: 'x86_64' },
    ...over,
  });
const X86_KVM_HVM = { hw_architecture: 'x86_64', img_hv_type: 'kvm', hw_vm_mode: 'hvm' };

describe('ImagePropertiesFilter (Nova image_props_filter.py)', () => {
  it('is named ImagePropertiesFilter', () => {
    expect(filter.name).to.equal(NAME).and.equal('ImagePropertiesFilter');
  });

  it('passes the same instance properties and a satisfied version', () => {
    expect(
      filter.hostPasses(kvm(), image({ ...X86_KVM_HVM, img_hv_requested_version: '>=6.0,<6.2' })),
    ).to.equal(undefined);
  });

  it('uses image_properties_default_architecture for an image without hw_architecture', () => {
    const aarch64 = kvm({ cpuInfo: { arch: 'aarch64' } });
    const withDefault = create({ image_properties_default_architecture: 'x86_64' } as never);
    expect(withDefault.hostPasses(aarch64, image({}))).to.equal(REASON_UNSUPPORTED);
    expect(withDefault.hostPasses(kvm(), image({}))).to.equal(undefined);
    expect(filter.hostPasses(aarch64, image({}))).to.equal(undefined);
  });

  it('fails different instance properties', () => {
    const props = { hw_architecture: 'armv7l', img_hv_type: 'qemu', hw_vm_mode: 'hvm' };
    expect(filter.hostPasses(kvm(), image(props))).to.equal(REASON_UNSUPPORTED);
  });

  it('fails a different hypervisor version', () => {
    expect(filter.hostPasses(kvm(), image({ ...X86_KVM_HVM, img_hv_requested_version: '>=6.2' }))).to.equal(
      REASON_UNSUPPORTED,
    );
  });

  it('passes partial instance properties', () => {
    expect(filter.hostPasses(kvm(), image({ hw_architecture: 'x86_64', hw_vm_mode: 'hvm' }))).to.equal(
      undefined,
    );
  });

  it('fails partial instance properties (a VM mode the host lacks)', () => {
    expect(filter.hostPasses(kvm(), image({ hw_architecture: 'x86_64', hw_vm_mode: 'xen' }))).to.equal(
      REASON_UNSUPPORTED,
    );
  });

  it('passes without instance properties, even on a host that advertises nothing', () => {
    expect(filter.hostPasses(kvm(), image({}))).to.equal(undefined);
    expect(filter.hostPasses(fakeHost('bare'), image({ os_distro: 'ubuntu' }))).to.equal(undefined);
  });

  it('fails without host properties: no supported instances advertised', () => {
    const host = fakeHost('h', { hypervisorVersion: V6_0_0 });
    expect(filter.hostPasses(host, image(X86_KVM_HVM))).to.equal(REASON_NO_SUPPORTED_INSTANCES);
  });

  it('passes a version requirement on a host without hypervisor version', () => {
    const host = kvm({ hypervisorVersion: undefined });
    expect(filter.hostPasses(host, image({ ...X86_KVM_HVM, img_hv_requested_version: '>=6.0' }))).to.equal(
      undefined,
    );
  });

  it('fails an unsupported hypervisor version (5000 is 5.0)', () => {
    const host = kvm({ hypervisorVersion: 5000 });
    expect(filter.hostPasses(host, image({ ...X86_KVM_HVM, img_hv_requested_version: '>=6.0' }))).to.equal(
      REASON_UNSUPPORTED,
    );
  });

  it("pv mode compat: an old image's 'pv' is the xen VM mode (which our hosts do not run)", () => {
    expect(imageMetaProp({ hw_vm_mode: 'pv' }, 'hw_vm_mode')).to.equal('xen');
    expect(filter.hostPasses(kvm(), image({ hw_vm_mode: 'pv' }))).to.equal(REASON_UNSUPPORTED);
  });

  it('looks each asked value up anywhere in a supported instance, as Nova (`i not in supp_inst`)', () => {
    // (x86_64, xen, hvm) "contains" the VM mode xen: it is there as the hypervisor type.
    expect(filter.hostPasses(kvm({ hypervisorType: 'xen' }), image({ hw_vm_mode: 'pv' }))).to.equal(
      undefined,
    );
  });

  it("hvm mode compat: an old image's 'hv' is hvm", () => {
    expect(filter.hostPasses(kvm(), image({ hw_vm_mode: 'hv' }))).to.equal(undefined);
  });

  it("xen arch compat: an old image's 'x86_32' is i686", () => {
    expect(
      filter.hostPasses(kvm({ cpuInfo: { arch: 'i686' } }), image({ hw_architecture: 'x86_32' })),
    ).to.equal(undefined);
  });

  it("xen hv_type compat: an old image's 'xapi' is xen", () => {
    const host = kvm({ hypervisorType: 'xen', cpuInfo: { arch: 'i686' } });
    expect(filter.hostPasses(host, image({ img_hv_type: 'xapi' }))).to.equal(undefined);
  });

  it("baremetal vm_mode compat: an old image's 'baremetal' is hvm", () => {
    const host = kvm({ hypervisorType: 'baremetal', cpuInfo: { arch: 'i686' } });
    expect(filter.hostPasses(host, image({ hw_vm_mode: 'baremetal' }))).to.equal(undefined);
  });

  it('reads the legacy names architecture, hypervisor_type, vm_mode, hypervisor_version_requires', () => {
    expect(filter.hostPasses(kvm(), image({ architecture: 'aarch64' }))).to.equal(REASON_UNSUPPORTED);
    expect(filter.hostPasses(kvm(), image({ hypervisor_type: 'xen' }))).to.equal(REASON_UNSUPPORTED);
    expect(filter.hostPasses(kvm(), image({ vm_mode: 'exe' }))).to.equal(REASON_UNSUPPORTED);
    expect(
      filter.hostPasses(kvm(), image({ architecture: 'x86_64', hypervisor_version_requires: '>=7.0' })),
    ).to.equal(REASON_UNSUPPORTED);
  });

  it('the current name wins over the legacy one', () => {
    expect(filter.hostPasses(kvm(), image({ hw_architecture: 'x86_64', architecture: 'aarch64' }))).to.equal(
      undefined,
    );
  });

  it('canonicalises names: AMD64 is x86_64, KVM is kvm', () => {
    expect(filter.hostPasses(kvm(), image({ hw_architecture: 'AMD64', img_hv_type: 'KVM' }))).to.equal(
      undefined,
    );
  });

  it('a version requirement alone (no architecture, type or mode) passes anywhere', () => {
    expect(filter.hostPasses(kvm(), image({ img_hv_requested_version: '>=99.0' }))).to.equal(undefined);
  });

  it('compares versions as distutils StrictVersion (three parts, pre-releases)', () => {
    const host = kvm({ hypervisorVersion: 6001002 });
    const props = (v: string) => image({ hw_architecture: 'x86_64', img_hv_requested_version: v });
    expect(convertVersionToStr(6001002)).to.equal('6.1.2');
    expect(convertVersionToStr(5000)).to.equal('5.0');
    expect(filter.hostPasses(host, props('>=6.1.1,!=6.1.3'))).to.equal(undefined);
    expect(filter.hostPasses(host, props('==6.1'))).to.equal(REASON_UNSUPPORTED);
    expect(filter.hostPasses(host, props('>6.1.2b1'))).to.equal(undefined);
    expect(filter.hostPasses(host, props('< 6.1.2'))).to.equal(REASON_UNSUPPORTED);
  });

  it('throws ValueError for values Nova refuses in an image: unknown architecture, bad predicate', () => {
    expect(() => filter.hostPasses(kvm(), image({ hw_architecture: 'z80' }))).to.throw(
      "Architecture name 'z80' is not valid",
    );
    expect(() =>
      filter.hostPasses(kvm(), image({ ...X86_KVM_HVM, img_hv_requested_version: '>=6' })),
    ).to.throw('Version >=6 is not a valid predicate in field img_hv_requested_version');
  });

  it('derives supported instances: arch from cpu_info (x86_64 when absent); qemu and kvm both for QEMU/KVM', () => {
    expect(supportedInstances(kvm())).to.deep.equal([
      ['x86_64', 'kvm', 'hvm'],
      ['x86_64', 'qemu', 'hvm'],
    ]);
    expect(supportedInstances(fakeHost('f', { hypervisorType: 'fake' }))).to.deep.equal([
      ['x86_64', 'fake', 'hvm'],
    ]);
    expect(
      supportedInstances(fakeHost('k', { hypervisorType: 'KubeVirt', cpuInfo: { arch: 'AArch64' } })),
    ).to.deep.equal([['aarch64', 'kubevirt', 'hvm']]);
    expect(supportedInstances(fakeHost('none'))).to.deep.equal([]);
    expect(filter.hostPasses(kvm(), image({ img_hv_type: 'qemu' }))).to.equal(undefined);
    expect(
      filter.hostPasses(fakeHost('f', { hypervisorType: 'fake' }), image({ img_hv_type: 'kvm' })),
    ).to.equal(REASON_UNSUPPORTED);
  });
});
