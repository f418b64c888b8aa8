import { expect } from 'chai';
import { instancesAllowed, limitsOf } from './quota.ts';
import { apiErrorOf } from './testdata.ts';

const flavor = { vcpus: 2, ram: 1024 };

describe('server create quota (compute/utils.py check_num_instances_quota)', () => {
  const limits = limitsOf(undefined);

  it('uses the defaults without a ProjectQuota: 10 instances, 20 cores, 51200 MiB', () => {
    expect(limits).to.deep.equal({ instances: 10, cores: 20, ram: 51200 });
  });

  it('allows max_count when it fits and reduces it to what fits when min_count still does', () => {
    expect(instancesAllowed(limits, { instances: 0, cores: 0, ram: 0 }, flavor, 1, 5)).to.equal(5);
    expect(instancesAllowed(limits, { instances: 7, cores: 14, ram: 7168 }, flavor, 1, 5)).to.equal(3);
  });

  it("refuses with Nova's TooManyInstances message when not even min_count fits", () => {
    const e = apiErrorOf(() =>
      instancesAllowed(limits, { instances: 10, cores: 20, ram: 10240 }, flavor, 1, 1),
    );
    expect(e.code).to.equal(403);
    expect(e.message).to.equal(
      'Quota exceeded for instances, cores: Requested 1, 2, but already used 10, 20 of 10, 20 instances, cores',
    );
    const range = apiErrorOf(() =>
      instancesAllowed(limits, { instances: 8, cores: 16, ram: 0 }, flavor, 3, 4),
    );
    expect(range.message).to.equal(
      'Quota exceeded for instances, cores: Requested 3-4, 8, but already used 8, 16 of 10, 20 instances, cores',
    );
  });

  it('treats -1 as unlimited', () => {
    const unlimited = { instances: -1, cores: -1, ram: -1 };
    expect(instancesAllowed(unlimited, { instances: 1000, cores: 5000, ram: 1e7 }, flavor, 1, 50)).to.equal(
      50,
    );
  });
});
