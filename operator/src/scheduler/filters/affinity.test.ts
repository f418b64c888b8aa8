import { expect } from 'chai';
import type { InstanceOnHost, RequestSpec } from '../framework.ts';
import { fakeHost, fakeSpec } from '../testing.ts';
import {
  NAME_DIFFERENT_HOST,
  NAME_SAME_HOST,
  NAME_SERVER_GROUP_AFFINITY,
  NAME_SERVER_GROUP_ANTI_AFFINITY,
  NAME_SIMPLE_CIDR_AFFINITY,
  REASON_GROUP_FULL,
  REASON_INVALID_CIDR_HINT,
  REASON_NOT_DIFFERENT_HOST,
  REASON_NOT_SAME_HOST,
  REASON_NOT_WITH_GROUP,
  REASON_NO_HOST_IP,
  REASON_OUTSIDE_CIDR,
  createDifferentHost,
  createSameHost,
  createServerGroupAffinity,
  createServerGroupAntiAffinity,
  createSimpleCidrAffinity,
  getSchedulerHint,
  parseNetwork,
} from './affinity.ts';

const server = (uuid: string): InstanceOnHost => ({ uuid, projectId: 'demo', flavorName: 'm1.small' });
const hostWith = (name: string, ...uuids: string[]) => fakeHost(name, { instances: uuids.map(server) });
const hints = (schedulerHints: Record<string, unknown>) => fakeSpec({ schedulerHints });
type Group = NonNullable<RequestSpec['instanceGroup']>;
const group = (policy: Group['policy'], memberHosts: string[], maxServerPerHost?: number) =>
  fakeSpec({ instanceGroup: { uuid: 'g-1', policy, memberHosts, maxServerPerHost } });

describe('Nova scheduler hints (RequestSpec.get_scheduler_hint)', () => {
  it('returns a one-value list as the value, a longer list as the list, and the default when absent', () => {
    expect(getSchedulerHint(hints({ same_host: ['a'] }), 'same_host')).to.equal('a');
    expect(getSchedulerHint(hints({ same_host: 'a' }), 'same_host')).to.equal('a');
    expect(getSchedulerHint(hints({ same_host: ['a', 'b'] }), 'same_host')).to.deep.equal(['a', 'b']);
    expect(getSchedulerHint(hints({}), 'cidr', '/24')).to.equal('/24');
  });

  it('coerces numbers and booleans to strings as the hints field does (Python str())', () => {
    expect(getSchedulerHint(hints({ cidr: 24 }), 'cidr')).to.equal('24');
    expect(getSchedulerHint(hints({ x: [true, 1] }), 'x')).to.deep.equal(['True', '1']);
  });
});

describe('DifferentHostFilter (Nova affinity_filter.py)', () => {
  const f = createDifferentHost();

  it('is named DifferentHostFilter', () => {
    expect(f.name).to.equal(NAME_DIFFERENT_HOST).and.equal('DifferentHostFilter');
  });

  it('passes a host running none of the different_host servers', () => {
    expect(f.hostPasses(hostWith('host1', 'different'), hints({ different_host: ['same'] }))).to.equal(
      undefined,
    );
  });

  it('fails a host running one of them', () => {
    expect(f.hostPasses(hostWith('host1', 'same'), hints({ different_host: ['same'] }))).to.equal(
      REASON_NOT_DIFFERENT_HOST,
    );
    expect(f.hostPasses(hostWith('host1', 'b'), hints({ different_host: ['a', 'b'] }))).to.equal(
      REASON_NOT_DIFFERENT_HOST,
    );
  });

  it('takes a single uuid string as well as a list', () => {
    expect(f.hostPasses(hostWith('host1', 'same'), hints({ different_host: 'same' }))).to.equal(
      REASON_NOT_DIFFERENT_HOST,
    );
  });

  it('passes every host without the hint (or with an empty one)', () => {
    expect(f.hostPasses(hostWith('host1', 'same'), hints({}))).to.equal(undefined);
    expect(f.hostPasses(hostWith('host1', 'same'), hints({ different_host: [] }))).to.equal(undefined);
    expect(f.hostPasses(hostWith('host1', 'same'), hints({ different_host: '' }))).to.equal(undefined);
  });
});

describe('SameHostFilter (Nova affinity_filter.py)', () => {
  const f = createSameHost();

  it('is named SameHostFilter', () => {
    expect(f.name).to.equal(NAME_SAME_HOST).and.equal('SameHostFilter');
  });

  it('passes a host running one of the same_host servers', () => {
    expect(f.hostPasses(hostWith('host1', 'same'), hints({ same_host: ['same'] }))).to.equal(undefined);
    expect(f.hostPasses(hostWith('host1', 'x', 'b'), hints({ same_host: ['a', 'b'] }))).to.equal(undefined);
  });

  it('fails a host running none of them, an empty host included', () => {
    expect(f.hostPasses(hostWith('host1', 'different'), hints({ same_host: ['same'] }))).to.equal(
      REASON_NOT_SAME_HOST,
    );
    expect(f.hostPasses(hostWith('host1'), hints({ same_host: 'same' }))).to.equal(REASON_NOT_SAME_HOST);
  });

  it('passes every host without the hint', () => {
    expect(f.hostPasses(hostWith('host1', 'different'), hints({}))).to.equal(undefined);
    expect(f.hostPasses(hostWith('host1', 'different'), hints({ same_host: [] }))).to.equal(undefined);
  });
});

describe('SimpleCIDRAffinityFilter (Nova affinity_filter.py)', () => {
  const f = createSimpleCidrAffinity();
  const host = fakeHost('host1', { hostIp: '10.8.1.1' });

  it('is named SimpleCIDRAffinityFilter', () => {
    expect(f.name).to.equal(NAME_SIMPLE_CIDR_AFFINITY).and.equal('SimpleCIDRAffinityFilter');
  });

  it('passes a host whose IP is in build_near_host_ip/cidr', () => {
    expect(f.hostPasses(host, hints({ cidr: ['/24'], build_near_host_ip: ['10.8.1.100'] }))).to.equal(
      undefined,
    );
  });

  it('fails a host outside that network', () => {
    expect(f.hostPasses(host, hints({ cidr: ['/32'], build_near_host_ip: ['10.8.1.100'] }))).to.equal(
      REASON_OUTSIDE_CIDR,
    );
    expect(f.hostPasses(host, hints({ cidr: '/24', build_near_host_ip: '10.8.2.100' }))).to.equal(
      REASON_OUTSIDE_CIDR,
    );
  });

  it('defaults cidr to /24', () => {
    expect(f.hostPasses(host, hints({ build_near_host_ip: '10.8.1.200' }))).to.equal(undefined);
    expect(f.hostPasses(host, hints({ build_near_host_ip: '10.8.0.1' }))).to.equal(REASON_OUTSIDE_CIDR);
  });

  it('passes every host without build_near_host_ip', () => {
    expect(f.hostPasses(host, hints({}))).to.equal(undefined);
    expect(f.hostPasses(host, hints({ cidr: '/8' }))).to.equal(undefined);
  });

  it('takes netmask and hostmask prefixes as netaddr does', () => {
    expect(f.hostPasses(host, hints({ cidr: '/255.255.0.0', build_near_host_ip: '10.8.99.1' }))).to.equal(
      undefined,
    );
    expect(f.hostPasses(host, hints({ cidr: '/0.0.0.255', build_near_host_ip: '10.8.1.77' }))).to.equal(
      undefined,
    );
    expect(f.hostPasses(host, hints({ cidr: '/0.0.0.255', build_near_host_ip: '10.8.2.77' }))).to.equal(
      REASON_OUTSIDE_CIDR,
    );
  });

  it('works with IPv6, and never matches an address of the other IP version', () => {
    const v6 = fakeHost('v6', { hostIp: '2001:db8::10' });
    expect(f.hostPasses(v6, hints({ cidr: '/64', build_near_host_ip: '2001:db8::1' }))).to.equal(undefined);
    expect(f.hostPasses(v6, hints({ cidr: '/64', build_near_host_ip: '2001:db8:0:1::1' }))).to.equal(
      REASON_OUTSIDE_CIDR,
    );
    expect(f.hostPasses(v6, hints({ cidr: '/0', build_near_host_ip: '10.0.0.1' }))).to.equal(
      REASON_OUTSIDE_CIDR,
    );
  });

  it('fails every host on a build_near_host_ip/cidr netaddr rejects (Nova raises AddrFormatError)', () => {
    for (const h of [
      { cidr: '/33', build_near_host_ip: '10.8.1.100' },
      { cidr: '/24', build_near_host_ip: 'not-an-ip' },
      { cidr: '/255.0.255.0', build_near_host_ip: '10.8.1.100' },
      { cidr: '/24', build_near_host_ip: ['10.8.1.1', '10.8.1.2'] },
    ])
      expect(f.hostPasses(host, hints(h))).to.equal(REASON_INVALID_CIDR_HINT);
  });

  it('fails a host without an IP address', () => {
    expect(f.hostPasses(fakeHost('noip'), hints({ build_near_host_ip: '10.8.1.100' }))).to.equal(
      REASON_NO_HOST_IP,
    );
  });

  it('parses networks as netaddr.IPNetwork: bare addresses, partial IPv4, IPv4 tails in IPv6', () => {
    expect(parseNetwork('10.8.1.100')).to.deep.equal({ version: 4, value: 0x0a080164n, prefixlen: 32 });
    expect(parseNetwork('10.8/16')).to.deep.equal({ version: 4, value: 0x0a080000n, prefixlen: 16 });
    expect(parseNetwork('::ffff:10.0.0.1/96')).to.deep.equal({
      version: 6,
      value: 0xffff0a000001n,
      prefixlen: 96,
    });
    expect(parseNetwork('1::2::3/64')).to.equal(undefined);
    expect(parseNetwork('10.0.0.1/')).to.equal(undefined);
  });
});

describe('ServerGroupAffinityFilter (Nova affinity_filter.py)', () => {
  const f = createServerGroupAffinity();
  const host = fakeHost('host1');

  it('is named ServerGroupAffinityFilter', () => {
    expect(f.name).to.equal(NAME_SERVER_GROUP_AFFINITY).and.equal('ServerGroupAffinityFilter');
  });

  it('passes every host for a request without a group, or with another policy', () => {
    expect(f.hostPasses(host, fakeSpec())).to.equal(undefined);
    expect(f.hostPasses(host, group('anti-affinity', ['host2']))).to.equal(undefined);
    expect(f.hostPasses(host, group('soft-affinity', ['host2']))).to.equal(undefined);
  });

  it('passes every host while no member is placed', () => {
    expect(f.hostPasses(host, group('affinity', []))).to.equal(undefined);
  });

  it('passes a host of the group', () => {
    expect(f.hostPasses(host, group('affinity', ['host1']))).to.equal(undefined);
    expect(f.hostPasses(host, group('affinity', ['host2', 'host1']))).to.equal(undefined);
  });

  it('fails a host without a member of the group', () => {
    expect(f.hostPasses(host, group('affinity', ['host2']))).to.equal(REASON_NOT_WITH_GROUP);
  });
});

describe('ServerGroupAntiAffinityFilter (Nova affinity_filter.py)', () => {
  const f = createServerGroupAntiAffinity();
  const host = fakeHost('host1');

  it('is named ServerGroupAntiAffinityFilter', () => {
    expect(f.name).to.equal(NAME_SERVER_GROUP_ANTI_AFFINITY).and.equal('ServerGroupAntiAffinityFilter');
  });

  it('passes every host for a request without a group, or with another policy', () => {
    expect(f.hostPasses(host, fakeSpec())).to.equal(undefined);
    expect(f.hostPasses(host, group('affinity', ['host1']))).to.equal(undefined);
    expect(f.hostPasses(host, group('soft-anti-affinity', ['host1']))).to.equal(undefined);
  });

  it('passes a host without a member of the group', () => {
    expect(f.hostPasses(host, group('anti-affinity', []))).to.equal(undefined);
    expect(f.hostPasses(host, group('anti-affinity', ['host2']))).to.equal(undefined);
  });

  it('fails a host with a member of the group (max_server_per_host defaults to 1)', () => {
    expect(f.hostPasses(host, group('anti-affinity', ['host1']))).to.equal(REASON_GROUP_FULL);
  });

  it('passes a host with fewer than max_server_per_host members, fails one with that many', () => {
    expect(f.hostPasses(host, group('anti-affinity', ['host1', 'host2'], 2))).to.equal(undefined);
    expect(f.hostPasses(host, group('anti-affinity', ['host1', 'host2', 'host1'], 2))).to.equal(
      REASON_GROUP_FULL,
    );
    expect(f.hostPasses(host, group('anti-affinity', ['host1', 'host1'], 3))).to.equal(undefined);
  });

  it('never rejects the host the server itself is on (move operations)', () => {
    const source = fakeHost('host1', { instances: [server('uuid-1')] });
    expect(f.hostPasses(source, group('anti-affinity', ['host1']))).to.equal(undefined);
  });
});
