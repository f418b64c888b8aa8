// Nova's affinity filters (nova/scheduler/filters/affinity_filter.py), several plugins in one file
// as in Nova; each has its NAME_<X> constant and create<X>() function:
//
// - ServerGroupAffinityFilter: a server of an "affinity" group goes where the group's other
//   members are; the first member goes anywhere.
// - ServerGroupAntiAffinityFilter: a server of an "anti-affinity" group goes to a host with fewer
//   than max_server_per_host (rule, default 1) members of its group.
// - SameHostFilter: hint same_host (server uuids): a host running at least one of them.
// - DifferentHostFilter: hint different_host (server uuids): a host running none of them.
// - SimpleCIDRAffinityFilter: hints build_near_host_ip and cidr (default "/24"): a host whose IP
//   is in that network.
//
// Each passes every host when its group policy or hint is absent. Where Nova raises on malformed
// hint data (netaddr's AddrFormatError on a bad build_near_host_ip or cidr), which fails the whole
// request, these fail every host instead: the request still ends in NoValidHost.
import type { Filter, HostState, RequestSpec } from '../framework.ts';
import { ValueError, pyInt } from '../utils.ts';

export const NAME_SERVER_GROUP_AFFINITY = 'ServerGroupAffinityFilter';
export const NAME_SERVER_GROUP_ANTI_AFFINITY = 'ServerGroupAntiAffinityFilter';
export const NAME_SAME_HOST = 'SameHostFilter';
export const NAME_DIFFERENT_HOST = 'DifferentHostFilter';
export const NAME_SIMPLE_CIDR_AFFINITY = 'SimpleCIDRAffinityFilter';

export const REASON_NOT_WITH_GROUP = 'host has no member of the server group (affinity)';
export const REASON_GROUP_FULL = 'host has max_server_per_host members of the server group (anti-affinity)';
export const REASON_NOT_SAME_HOST = 'host runs none of the same_host servers';
export const REASON_NOT_DIFFERENT_HOST = 'host runs one of the different_host servers';
export const REASON_OUTSIDE_CIDR = 'host IP is outside the build_near_host_ip/cidr network';
export const REASON_INVALID_CIDR_HINT = 'build_near_host_ip/cidr is not a valid IP network';
export const REASON_NO_HOST_IP = 'host has no valid IP address';

/**
 * Nova's RequestSpec.get_scheduler_hint: hints are stored as lists of strings (numbers and
 * booleans coerced as Python's str() does); a list of one value is returned as that value, a
 * longer (or empty) list as the list, an absent hint as `dflt`.
 */
export function getSchedulerHint(spec: RequestSpec, name: string, dflt?: unknown): unknown {
  const raw = spec.schedulerHints?.[name];
  if (raw === undefined || raw === null) return dflt;
  const values = (Array.isArray(raw) ? raw : [raw]).map((v: unknown) => {
    if (typeof v === 'boolean') return v ? 'True' : 'False';
    if (typeof v === 'number') return String(v);
    return v;
  });
  return values.length === 1 ? values[0] : values;
}

/** Python truthiness of a hint value: '', [] and absent are false. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== undefined && v !== null && v !== '' && v !== false && v !== 0;
}

/** Nova's filters.utils.instance_uuids_overlap: does the host run any of these servers? */
function instanceUuidsOverlap(host: HostState, uuids: unknown): boolean {
  const wanted = new Set((Array.isArray(uuids) ? uuids : [uuids]).map(String));
  return host.instances.some((i) => wanted.has(i.uuid));
}

/** The hosts of the group's other members on this host (Nova: host_state.instances ∩ group.members). */
function membersOn(host: HostState, spec: RequestSpec): number {
  return spec.instanceGroup?.memberHosts.filter((h) => h === host.name).length ?? 0;
}

export function createServerGroupAffinity(): Filter {
  return {
    name: NAME_SERVER_GROUP_AFFINITY,
    appliesTo: (spec) =>
      spec.instanceGroup?.policy === 'affinity' && spec.instanceGroup.memberHosts.length > 0,
    hostPasses(host, spec) {
      const group = spec.instanceGroup;
      if (group?.policy !== 'affinity') return undefined;
      // No member placed yet: any host will do.
      if (!group.memberHosts.length) return undefined;
      return group.memberHosts.includes(host.name) ? undefined : REASON_NOT_WITH_GROUP;
    },
  };
}

export function createServerGroupAntiAffinity(): Filter {
  return {
    name: NAME_SERVER_GROUP_ANTI_AFFINITY,
    appliesTo: (spec) => spec.instanceGroup?.policy === 'anti-affinity',
    hostPasses(host, spec) {
      const group = spec.instanceGroup;
      if (group?.policy !== 'anti-affinity') return undefined;
      // A move may check the host the server is on: never reject it for itself.
      if (host.instances.some((i) => i.uuid === spec.instanceUuid)) return undefined;
      const maxServerPerHost = group.maxServerPerHost ?? 1;
      return membersOn(host, spec) < maxServerPerHost ? undefined : REASON_GROUP_FULL;
    },
  };
}

export function createSameHost(): Filter {
  return {
    name: NAME_SAME_HOST,
    hostPasses(host, spec) {
      const uuids = getSchedulerHint(spec, 'same_host');
      if (!truthy(uuids)) return undefined;
      return instanceUuidsOverlap(host, uuids) ? undefined : REASON_NOT_SAME_HOST;
    },
  };
}

export function createDifferentHost(): Filter {
  return {
    name: NAME_DIFFERENT_HOST,
    hostPasses(host, spec) {
      const uuids = getSchedulerHint(spec, 'different_host');
      if (!truthy(uuids)) return undefined;
      return instanceUuidsOverlap(host, uuids) ? REASON_NOT_DIFFERENT_HOST : undefined;
    },
  };
}

export function createSimpleCidrAffinity(): Filter {
  return {
    name: NAME_SIMPLE_CIDR_AFFINITY,
    hostPasses(host, spec) {
      const cidr = getSchedulerHint(spec, 'cidr', '/24');
      const near = getSchedulerHint(spec, 'build_near_host_ip');
      if (!truthy(near)) return undefined;
      if (typeof near !== 'string' || typeof cidr !== 'string') return REASON_INVALID_CIDR_HINT;
      const net = parseNetwork(near + cidr);
      if (!net) return REASON_INVALID_CIDR_HINT;
      const ip = host.hostIp === undefined ? undefined : parseAddress(host.hostIp);
      if (!ip) return REASON_NO_HOST_IP;
      return networkContains(net, ip) ? undefined : REASON_OUTSIDE_CIDR;
    },
  };
}

// --- IP addresses and networks, as netaddr parses them ---

export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

export interface IpNetwork extends IpAddress {
  prefixlen: number;
}

const WIDTH = { 4: 32, 6: 128 } as const;

/** inet_pton(AF_INET): four decimal octets, no leading zeros. */
function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    value = (value << 8n) | BigInt(p);
  }
  return value;
}

/** inet_pton(AF_INET6): eight groups of 1-4 hex digits, one "::" at most, an IPv4 tail allowed. */
function parseIPv6(s: string): bigint | undefined {
  const dbl = s.indexOf('::');
  if (dbl !== s.lastIndexOf('::')) return undefined;
  const split = (part: string) => (part === '' ? [] : part.split(':'));
  const left = dbl < 0 ? split(s) : split(s.slice(0, dbl));
  const right = dbl < 0 ? [] : split(s.slice(dbl + 2));
  const words = (pieces: string[], lastOfAddress: boolean): bigint[] | undefined => {
    const out: bigint[] = [];
    for (const [i, p] of pieces.entries()) {
      if (lastOfAddress && i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(BigInt(`0x${p}`));
      else return undefined;
    }
    return out;
  };
  const l = words(left, dbl < 0);
  const r = words(right, true);
  if (!l || !r) return undefined;
  const count = l.length + r.length;
  if (dbl < 0 ? count !== 8 : count > 7) return undefined;
  const all = [...l, ...Array<bigint>(8 - count).fill(0n), ...r];
  return all.reduce((acc, w) => (acc << 16n) | w, 0n);
}

/** netaddr.IPAddress(str): IPv4 or IPv6. */
export function parseAddress(s: string): IpAddress | undefined {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return { version: 4, value: v4 };
  const v6 = parseIPv6(s);
  return v6 === undefined ? undefined : { version: 6, value: v6 };
}

/** Python's int(str), or undefined where it raises ValueError. */
function intOrUndefined(s: string): number | undefined {
  try {
    return pyInt(s);
  } catch (err) {
    if (err instanceof ValueError) return undefined;
    throw err;
  }
}

/** netaddr's expand_partial_address: "10.8" → "10.8.0.0". */
function expandPartialIPv4(s: string): string | undefined {
  if (s.includes(':')) return undefined;
  const tokens = s.split('.').map(intOrUndefined);
  if (tokens.some((t) => t === undefined) || tokens.length < 1 || tokens.length > 4) return undefined;
  while (tokens.length < 4) tokens.push(0);
  return tokens.join('.');
}

/** A netmask (ones then zeros) or hostmask (zeros then ones) as a prefix length. */
function maskPrefix(mask: bigint, width: number): number | undefined {
  const max = (1n << BigInt(width)) - 1n;
  const isPow2 = (v: bigint) => (v & (v - 1n)) === 0n;
  const inverted = (mask ^ max) + 1n;
  if (isPow2(inverted)) return width - (inverted.toString(2).length - 1);
  const host = mask + 1n;
  if (isPow2(host)) return width - (host.toString(2).length - 1);
  return undefined;
}

/**
 * netaddr.IPNetwork(str) (non-strict: host bits may be set): "addr/prefixlen", "addr/netmask",
 * "addr/hostmask" or a bare address (a /32 or /128); IPv4 tried first, partial IPv4 expanded.
 */
export function parseNetwork(s: string): IpNetwork | undefined {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const prefix = slash < 0 ? undefined : s.slice(slash + 1);
  for (const version of [4, 6] as const) {
    let value = version === 4 ? parseIPv4(addr) : parseIPv6(addr);
    if (value === undefined && version === 4) {
      const expanded = expandPartialIPv4(addr);
      value = expanded === undefined ? undefined : parseIPv4(expanded);
    }
    if (value === undefined) continue;
    const width = WIDTH[version];
    let prefixlen: number | undefined = width;
    if (prefix !== undefined) {
      prefixlen = intOrUndefined(prefix);
      if (prefixlen === undefined) {
        const mask = version === 4 ? parseIPv4(prefix) : parseIPv6(prefix);
        prefixlen = mask === undefined ? undefined : maskPrefix(mask, width);
      }
    }
    if (prefixlen === undefined || prefixlen < 0 || prefixlen > width) continue;
    return { version, value, prefixlen };
  }
  return undefined;
}

/** netaddr's `IPAddress in IPNetwork`: same version and same network bits. */
export function networkContains(net: IpNetwork, ip: IpAddress): boolean {
  if (net.version !== ip.version) return false;
  const shift = BigInt(WIDTH[net.version] - net.prefixlen);
  return ip.value >> shift === net.value >> shift;
}
