import { expect } from 'chai';
import type { AggregateInfo } from './framework.ts';
import {
  REASON_AGGREGATE,
  REASON_ISOLATED,
  REASON_ZONE,
  REASON_NO_TENANT_AGGREGATE,
  REASON_TRAIT_FORBIDDEN,
  REASON_TRAIT_MISSING,
  placementCheck,
  placementRequest,
  resourceRequest,
} from './placement.ts';
import { fakeHost, fakeSpec } from './testing.ts';

const flavor = (extraSpecs: Record<string, string>) => ({
  name: 'f',
  vcpus: 2,
  ram: 4096,
  disk: 40,
  ephemeral: 10,
  swap: 1536,
  extraSpecs,
});
const agg = (uuid: string, metadata: Record<string, string>, availabilityZone?: string): AggregateInfo => ({
  name: uuid,
  uuid,
  hosts: [],
  metadata,
  availabilityZone,
});

describe("Placement's part (resources, traits, request pre-filters)", () => {
  it('asks VCPU, MEMORY_MB and DISK_GB = root + ephemeral + swap rounded up to GiB', () => {
    expect(resourceRequest(fakeSpec({ flavor: flavor({}) })).resources).to.deep.equal({
      VCPU: 2,
      MEMORY_MB: 4096,
      DISK_GB: 52,
    });
  });

  it('resources:<RC> extra specs override the flavor; 0 drops a class; custom classes are asked too', () => {
    const r = resourceRequest(
      fakeSpec({
        flavor: flavor({ 'resources:VCPU': '6', 'resources:DISK_GB': '0', 'resources:CUSTOM_GPU': '1' }),
      }),
    );
    expect(r.resources).to.deep.equal({ VCPU: 6, MEMORY_MB: 4096, CUSTOM_GPU: 1 });
    // No Kova host offers a custom class.
    expect(
      placementCheck({ ...r, requiredAggregates: [], forbiddenAggregates: new Set() })(fakeHost('h')),
    ).to.equal('insufficient CUSTOM_GPU');
  });

  it('trait:X=required|forbidden from the flavor and traits:X=required from the image', () => {
    const spec = fakeSpec({
      flavor: flavor({ 'trait:HW_CPU_X86_AVX2': 'required', 'trait:CUSTOM_SLOW': 'forbidden' }),
      image: { properties: { 'traits:CUSTOM_SSD': 'required' } },
    });
    const check = placementCheck(placementRequest(spec, [], {}));
    expect(check(fakeHost('all', { traits: ['HW_CPU_X86_AVX2', 'CUSTOM_SSD'] }))).to.equal(undefined);
    expect(check(fakeHost('no-ssd', { traits: ['HW_CPU_X86_AVX2'] }))).to.equal(REASON_TRAIT_MISSING);
    expect(check(fakeHost('slow', { traits: ['HW_CPU_X86_AVX2', 'CUSTOM_SSD', 'CUSTOM_SLOW'] }))).to.equal(
      REASON_TRAIT_FORBIDDEN,
    );
  });

  it('limit_tenants_to_placement_aggregate: a tenant with filter_tenant_id aggregates gets only their hosts', () => {
    const aggs = [agg('mine', { filter_tenant_id: 'demo' }), agg('theirs', { filter_tenant_id_2: 'other' })];
    const req = placementRequest(fakeSpec(), aggs, { limit_tenants_to_placement_aggregate: true });
    const check = placementCheck(req);
    expect(check(fakeHost('in', { aggregates: [aggs[0]!] }))).to.equal(undefined);
    expect(check(fakeHost('out'))).to.equal(REASON_AGGREGATE);
    const other = placementRequest(fakeSpec({ projectId: 'nobody' }), aggs, {
      limit_tenants_to_placement_aggregate: true,
      placement_aggregate_required_for_tenants: true,
    });
    expect(placementCheck(other)(fakeHost('any'))).to.equal(REASON_NO_TENANT_AGGREGATE);
  });

  it('query_placement_for_availability_zone (default on): only hosts of the zone aggregate, if the zone has one', () => {
    const aggs = [agg('z1', {}, 'az1')];
    const check = placementCheck(placementRequest(fakeSpec({ availabilityZone: 'az1' }), aggs, {}));
    expect(check(fakeHost('in', { aggregates: aggs }))).to.equal(undefined);
    expect(check(fakeHost('out'))).to.equal(REASON_AGGREGATE);
    // The default zone restricts nothing (Nova leaves it to AvailabilityZoneFilter).
    expect(
      placementCheck(placementRequest(fakeSpec({ availabilityZone: 'nova' }), aggs, {}))(fakeHost('any')),
    ).to.equal(undefined);
  });

  it('a zone no aggregate defines is a node-label zone: only hosts labelled with it', () => {
    const check = placementCheck(placementRequest(fakeSpec({ availabilityZone: 'zone-b' }), [], {}));
    expect(check(fakeHost('b', { availabilityZone: 'zone-b' }))).to.equal(undefined);
    expect(check(fakeHost('a', { availabilityZone: 'zone-a' }))).to.equal(REASON_ZONE);
  });

  it('query_placement_for_image_type_support: requires COMPUTE_IMAGE_TYPE_<disk_format>', () => {
    const spec = fakeSpec({ image: { properties: { disk_format: 'qcow2' } } });
    const req = placementRequest(spec, [], { query_placement_for_image_type_support: true });
    expect(req.requiredTraits).to.deep.equal(['COMPUTE_IMAGE_TYPE_QCOW2']);
  });

  it('enable_isolated_aggregate_filtering: aggregates requiring a trait the request lacks are forbidden', () => {
    const gpu = agg('gpu', { 'trait:CUSTOM_GPU': 'required' });
    const plain = placementCheck(
      placementRequest(fakeSpec(), [gpu], { enable_isolated_aggregate_filtering: true }),
    );
    expect(plain(fakeHost('gpu-host', { aggregates: [gpu] }))).to.equal(REASON_ISOLATED);
    const wanting = fakeSpec({ flavor: flavor({ 'trait:CUSTOM_GPU': 'required' }) });
    const asks = placementCheck(
      placementRequest(wanting, [gpu], { enable_isolated_aggregate_filtering: true }),
    );
    expect(asks(fakeHost('gpu-host', { aggregates: [gpu], traits: ['CUSTOM_GPU'] }))).to.equal(undefined);
  });
});
