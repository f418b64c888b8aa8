import { expect } from 'chai';
import type { SchedulerConfig } from '../registry.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import { NAME, OPTIONS, REASON_TOO_MANY_INSTANCES, create } from './num_instances.ts';

const config = (o: Record<string, unknown>) => o as SchedulerConfig;

describe('NumInstancesFilter (Nova num_instances_filter.py)', () => {
  it('is named NumInstancesFilter', () => {
    expect(create(config({})).name)
      .to.equal(NAME)
      .and.equal('NumInstancesFilter');
  });

  it('passes a host below max_instances_per_host', () => {
    const f = create(config({ max_instances_per_host: 5 }));
    expect(f.hostPasses(fakeHost('host1', { numInstances: 4 }), fakeSpec())).to.equal(undefined);
  });

  it('fails a host at max_instances_per_host', () => {
    const f = create(config({ max_instances_per_host: 5 }));
    expect(f.hostPasses(fakeHost('host1', { numInstances: 5 }), fakeSpec())).to.equal(
      REASON_TOO_MANY_INSTANCES,
    );
  });

  it('max_instances_per_host defaults to 50', () => {
    const f = create(config({}));
    expect(f.hostPasses(fakeHost('h', { numInstances: 49 }), fakeSpec())).to.equal(undefined);
    expect(f.hostPasses(fakeHost('h', { numInstances: 50 }), fakeSpec())).to.equal(REASON_TOO_MANY_INSTANCES);
    expect(OPTIONS).to.have.nested.property('max_instances_per_host.default', 50);
  });

  it('ignores aggregate metadata max_instances_per_host', () => {
    const f = create(config({ max_instances_per_host: 5 }));
    const h = fakeHost('h', {
      numInstances: 5,
      aggregates: [{ name: 'a', uuid: 'u', hosts: ['h'], metadata: { max_instances_per_host: '10' } }],
    });
    expect(f.hostPasses(h, fakeSpec())).to.equal(REASON_TOO_MANY_INSTANCES);
  });
});
