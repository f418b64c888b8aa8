import { expect } from 'chai';
import type { AggregateInfo } from '../framework.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { NAME, REASON_OTHER_TENANTS, create } from './aggregate_multitenancy_isolation.ts';

const filter = create();
const agg = (name: string, metadata: Record<string, string>): AggregateInfo => ({
  name,
  uuid: `uuid-${name}`,
  hosts: ['host1'],
  metadata,
});
const host = (...metadata: Record<string, string>[]) =>
  fakeHost('host1', { aggregates: metadata.map((m, i) => agg(`agg${i}`, m)) });
const spec = fakeSpec({ projectId: 'my_tenantid' });

describe('AggregateMultiTenancyIsolation (Nova aggregate_multitenancy_isolation.py)', () => {
  it('is named AggregateMultiTenancyIsolation', () => {
    expect(filter.name).to.equal(NAME).and.equal('AggregateMultiTenancyIsolation');
  });

  it('passes the project named in filter_tenant_id', () => {
    expect(filter.hostPasses(host({ filter_tenant_id: 'my_tenantid' }), spec)).to.equal(undefined);
  });

  it('passes a project in a comma-separated filter_tenant_id', () => {
    expect(filter.hostPasses(host({ filter_tenant_id: 'my_tenantid, mytenantid2' }), spec)).to.equal(
      undefined,
    );
  });

  it('fails another project', () => {
    expect(filter.hostPasses(host({ filter_tenant_id: 'other_tenantid' }), spec)).to.equal(
      REASON_OTHER_TENANTS,
    );
  });

  it('fails a project not in a comma-separated filter_tenant_id', () => {
    expect(filter.hostPasses(host({ filter_tenant_id: 'other_tenantid,other_tenantid2' }), spec)).to.equal(
      REASON_OTHER_TENANTS,
    );
  });

  it('passes any project on a host without filter_tenant_id metadata', () => {
    expect(filter.hostPasses(host(), spec)).to.equal(undefined);
    expect(filter.hostPasses(host({ availability_zone: 'az1', ssd: 'true' }), spec)).to.equal(undefined);
  });

  it('a host in several isolated aggregates takes the projects of any of them', () => {
    const h = host({ filter_tenant_id: 'a' }, { filter_tenant_id: 'my_tenantid' }, { ssd: 'true' });
    expect(filter.hostPasses(h, spec)).to.equal(undefined);
    expect(filter.hostPasses(h, fakeSpec({ projectId: 'b' }))).to.equal(REASON_OTHER_TENANTS);
  });

  it('ignores the numbered keys (filter_tenant_id2, filter_tenant_id:1): only the placement pre-filter reads them', () => {
    expect(
      filter.hostPasses(host({ filter_tenant_id2: 'other', 'filter_tenant_id:1': 'other' }), spec),
    ).to.equal(undefined);
    const h = host({ filter_tenant_id: 'other', filter_tenant_id2: 'my_tenantid' });
    expect(filter.hostPasses(h, spec)).to.equal(REASON_OTHER_TENANTS);
  });

  it('an empty filter_tenant_id isolates the host from every project', () => {
    expect(filter.hostPasses(host({ filter_tenant_id: '' }), spec)).to.equal(REASON_OTHER_TENANTS);
  });
});
