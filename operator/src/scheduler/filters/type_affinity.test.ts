import { expect } from 'chai';
import type { AggregateInfo } from '../framework.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { NAME, REASON_OTHER_FLAVORS, create } from './type_affinity.ts';

const filter = create();
const agg = (name: string, metadata: Record<string, string>): AggregateInfo => ({
  name,
  uuid: `uuid-${name}`,
  hosts: ['fake_host'],
  metadata,
});
const host = (...metadata: Record<string, string>[]) =>
  fakeHost('fake_host', { aggregates: metadata.map((m, i) => agg(`agg${i}`, m)) });
const flavor = (name: string) =>
  fakeSpec({ flavor: { name, vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0, extraSpecs: {} } });

describe('AggregateTypeAffinityFilter (Nova type_filter.py)', () => {
  it('is named AggregateTypeAffinityFilter', () => {
    expect(filter.name).to.equal(NAME).and.equal('AggregateTypeAffinityFilter');
  });

  it('passes any flavor when no aggregate of the host sets instance_type', () => {
    expect(filter.hostPasses(host(), flavor('fake1'))).to.equal(undefined);
    expect(filter.hostPasses(host({ ssd: 'true' }), flavor('fake1'))).to.equal(undefined);
  });

  it('a single instance_type (legacy single value) admits that flavor only', () => {
    const h = host({ instance_type: 'fake1' });
    expect(filter.hostPasses(h, flavor('fake1'))).to.equal(undefined);
    expect(filter.hostPasses(h, flavor('fake2'))).to.equal(REASON_OTHER_FLAVORS);
  });

  it('several aggregates with one instance_type each admit any of those flavors', () => {
    const h = host({ instance_type: 'fake1' }, { instance_type: 'fake2' });
    expect(filter.hostPasses(h, flavor('fake1'))).to.equal(undefined);
    expect(filter.hostPasses(h, flavor('fake2'))).to.equal(undefined);
    expect(filter.hostPasses(h, flavor('fake3'))).to.equal(REASON_OTHER_FLAVORS);
  });

  it('a comma-separated instance_type admits each listed flavor, whitespace trimmed', () => {
    const h = host({ instance_type: 'fake1, fake2' });
    expect(filter.hostPasses(h, flavor('fake1'))).to.equal(undefined);
    expect(filter.hostPasses(h, flavor('fake2'))).to.equal(undefined);
    expect(filter.hostPasses(h, flavor('fake3'))).to.equal(REASON_OTHER_FLAVORS);
  });

  it('compares flavor names exactly (no substring, case-sensitive)', () => {
    const h = host({ instance_type: 'm1.small' });
    expect(filter.hostPasses(h, flavor('m1.smal'))).to.equal(REASON_OTHER_FLAVORS);
    expect(filter.hostPasses(h, flavor('M1.small'))).to.equal(REASON_OTHER_FLAVORS);
  });
});
