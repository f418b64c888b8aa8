import { expect } from 'chai';
import type { AggregateInfo } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { NAME, REASON_IMAGE_PROPERTY, create } from './aggregate_image_properties_isolation.ts';

const filter = create({} as SchedulerConfig);
const agg = (name: string, metadata: Record<string, string>): AggregateInfo => ({
  name,
  uuid: `uuid-${name}`,
  hosts: ['host1'],
  metadata,
});
const host = (...metadata: Record<string, string>[]) =>
  fakeHost('host1', { aggregates: metadata.map((m, i) => agg(`agg${i}`, m)) });
const image = (properties: Record<string, string>) => fakeSpec({ image: { properties } });

describe('AggregateImagePropertiesIsolation (Nova aggregate_image_properties_isolation.py)', () => {
  it('is named AggregateImagePropertiesIsolation', () => {
    expect(filter.name).to.equal(NAME).and.equal('AggregateImagePropertiesIsolation');
  });

  it('passes an image property equal to the aggregate metadata', () => {
    expect(filter.hostPasses(host({ hw_vm_mode: 'hvm' }), image({ hw_vm_mode: 'hvm' }))).to.equal(undefined);
  });

  it('passes an image property among comma-separated aggregate values', () => {
    expect(filter.hostPasses(host({ hw_vm_mode: 'hvm,xen' }), image({ hw_vm_mode: 'hvm' }))).to.equal(
      undefined,
    );
  });

  it('fails an image property value with a stray comma', () => {
    expect(
      filter.hostPasses(host({ os_distro: 'windows,linux' }), image({ os_distro: 'windows,' })),
    ).to.equal(REASON_IMAGE_PROPERTY);
  });

  it('passes several matching properties (integers compared as printed)', () => {
    const h = host({ hw_vm_mode: 'hvm', hw_cpu_cores: '2' });
    expect(filter.hostPasses(h, image({ hw_vm_mode: 'hvm', hw_cpu_cores: '2' }))).to.equal(undefined);
    expect(filter.hostPasses(h, image({ hw_vm_mode: 'hvm', hw_cpu_cores: '02' }))).to.equal(undefined);
  });

  it('passes an image without the property the aggregate sets', () => {
    expect(filter.hostPasses(host({ hw_vm_mode: 'hvm' }), image({}))).to.equal(undefined);
  });

  it('passes any image on a host without aggregate metadata', () => {
    expect(filter.hostPasses(host(), image({ hw_vm_mode: 'hvm' }))).to.equal(undefined);
  });

  it('fails an image property not in the aggregate values', () => {
    expect(filter.hostPasses(host({ hw_vm_mode: 'hvm' }), image({ hw_vm_mode: 'xen' }))).to.equal(
      REASON_IMAGE_PROPERTY,
    );
  });

  it('fails when one of several properties does not match', () => {
    const h = host({ hw_vm_mode: 'hvm', hw_cpu_cores: '1' });
    expect(filter.hostPasses(h, image({ hw_vm_mode: 'hvm', hw_cpu_cores: '2' }))).to.equal(
      REASON_IMAGE_PROPERTY,
    );
  });

  it('with a namespace and separator, only the keys in the namespace count', () => {
    const f = create({
      aggregate_image_properties_isolation_namespace: 'hw',
      aggregate_image_properties_isolation_separator: '_',
    } as never);
    const h = host({ hw_vm_mode: 'hvm', img_owner_id: 'foo' });
    expect(f.hostPasses(h, image({ hw_vm_mode: 'hvm', img_owner_id: 'wrong' }))).to.equal(undefined);
    expect(f.hostPasses(h, image({ hw_vm_mode: 'xen', img_owner_id: 'foo' }))).to.equal(
      REASON_IMAGE_PROPERTY,
    );
    expect(filter.hostPasses(h, image({ hw_vm_mode: 'hvm', img_owner_id: 'wrong' }))).to.equal(
      REASON_IMAGE_PROPERTY,
    );
  });

  it("the default separator is '.'", () => {
    const f = create({ aggregate_image_properties_isolation_namespace: 'hw' } as never);
    expect(f.hostPasses(host({ hw_vm_mode: 'hvm' }), image({ hw_vm_mode: 'xen' }))).to.equal(undefined);
  });

  it('ignores metadata keys that are no image property (custom metadata), even if the image has it', () => {
    expect(filter.hostPasses(host({ os: 'linux' }), image({ os_type: 'linux' }))).to.equal(undefined);
    expect(filter.hostPasses(host({ os: 'linux' }), image({ os: 'windows' }))).to.equal(undefined);
  });

  it('passes a matching os_type and fails another', () => {
    expect(filter.hostPasses(host({ os_type: 'linux' }), image({ os_type: 'linux' }))).to.equal(undefined);
    expect(filter.hostPasses(host({ os_type: 'windows' }), image({ os_type: 'linux' }))).to.equal(
      REASON_IMAGE_PROPERTY,
    );
  });

  it('reads image properties as ImageMetaProps: os_type lower-cased, legacy names, canonical architectures', () => {
    expect(filter.hostPasses(host({ os_type: 'linux' }), image({ os_type: 'Linux' }))).to.equal(undefined);
    expect(filter.hostPasses(host({ hw_architecture: 'x86_64' }), image({ architecture: 'amd64' }))).to.equal(
      undefined,
    );
    // The legacy name itself is no ImageMetaProps field.
    expect(filter.hostPasses(host({ architecture: 'aarch64' }), image({ architecture: 'x86_64' }))).to.equal(
      undefined,
    );
  });

  it('prints flexible booleans as True/False; a false property never restricts', () => {
    expect(
      filter.hostPasses(host({ hw_qemu_guest_agent: 'True' }), image({ hw_qemu_guest_agent: 'yes' })),
    ).to.equal(undefined);
    expect(
      filter.hostPasses(host({ hw_qemu_guest_agent: 'yes' }), image({ hw_qemu_guest_agent: 'yes' })),
    ).to.equal(REASON_IMAGE_PROPERTY);
    expect(
      filter.hostPasses(host({ hw_qemu_guest_agent: 'True' }), image({ hw_qemu_guest_agent: 'no' })),
    ).to.equal(undefined);
  });

  it('pools the values of several aggregates', () => {
    const h = host({ os_distro: 'ubuntu' }, { os_distro: 'centos' });
    expect(filter.hostPasses(h, image({ os_distro: 'centos' }))).to.equal(undefined);
    expect(filter.hostPasses(h, image({ os_distro: 'debian' }))).to.equal(REASON_IMAGE_PROPERTY);
  });
});
