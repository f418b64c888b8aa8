import { expect } from 'chai';
import { defaultQuotas, formatQuotaSet, limitsView, projectLimits } from './quotas.ts';
import { limited } from './servergroups.ts';

describe('quota views (quota_sets.py, views/limits.py)', () => {
  it('takes a ProjectQuota limit where set and the default elsewhere', () => {
    const limits = projectLimits({
      apiVersion: 'compute.kova.io/v1alpha1',
      kind: 'ProjectQuota',
      metadata: { name: 'default', namespace: 'p' },
      spec: { instances: 3, ram: -1 },
    });
    expect(limits).to.include({ instances: 3, ram: -1, cores: 20, injected_files: 5, fixed_ips: -1 });
  });

  it('formats a quota set as Nova: id first, then the resources in sorted order, minus the filtered ones', () => {
    const body = formatQuotaSet('abc', defaultQuotas(), ['fixed_ips', 'floating_ips']);
    expect(Object.keys(body.quota_set)).to.deep.equal([
      'id',
      'cores',
      'injected_file_content_bytes',
      'injected_file_path_bytes',
      'injected_files',
      'instances',
      'key_pairs',
      'metadata_items',
      'ram',
      'security_group_rules',
      'security_groups',
      'server_group_members',
      'server_groups',
    ]);
  });

  it('builds absolute limits with both metadata names before 2.39 and usage only for the counted resources', () => {
    const used = { instances: 2, cores: 4, ram: 1024, server_groups: 1 };
    const old = limitsView(defaultQuotas(), used, [], true).limits;
    expect(old.rate).to.deep.equal([]);
    expect(old.absolute).to.include({
      maxServerMeta: 128,
      maxImageMeta: 128,
      maxPersonality: 5,
      maxSecurityGroupRules: -1,
      totalInstancesUsed: 2,
      totalCoresUsed: 4,
      totalRAMUsed: 1024,
      totalServerGroupsUsed: 1,
      totalFloatingIpsUsed: 0,
    });
    const at257 = limitsView(
      defaultQuotas(),
      used,
      [
        'floating_ips',
        'security_groups',
        'security_group_rules',
        'injected_files',
        'injected_file_content_bytes',
      ],
      false,
    ).limits.absolute;
    expect(at257).to.not.have.any.keys(
      'maxImageMeta',
      'maxPersonality',
      'totalFloatingIpsUsed',
      'maxSecurityGroups',
    );
    expect(at257).to.include({ maxTotalInstances: 10, maxServerGroupMembers: 10 });
  });

  it('pages server groups with offset and limit as common.limited (0 or no limit: 1000)', () => {
    const items = Array.from({ length: 5 }, (_, i) => i);
    expect(limited(items, { offset: '1', limit: '2' })).to.deep.equal([1, 2]);
    expect(limited(items, { limit: '0' })).to.deep.equal(items);
    expect(limited(items, { offset: '9' })).to.deep.equal([]);
  });
});
