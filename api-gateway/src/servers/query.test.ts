import { expect } from 'chai';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { APIVersionRequest } from '../microversion.ts';
import { parseListQuery, selectServers } from './query.ts';
import { activeServer, apiErrorOf } from './testdata.ts';

const v = (s: string) => APIVersionRequest.parse(s);
const member = { isAdmin: false, projectId: 'proj-a' };
const admin = { isAdmin: true, projectId: 'admin' };

function server(
  i: number,
  overrides: Partial<Server['spec']> = {},
  created = `2026-11-24T10:0${i}:00Z`,
): Server {
  const s = activeServer({ name: `srv-${i}`, ...overrides });
  s.metadata.uid = `00000000-0000-0000-0000-00000000000${i}`;
  s.metadata.creationTimestamp = created;
  s.metadata.managedFields = [{ time: created }];
  return s;
}

function q(version: string, query: string, caller = member, isDetail = true) {
  return parseListQuery(v(version), [...new URLSearchParams(query)], caller, isDetail);
}

describe('server list queries (ServersController._get_servers)', () => {
  const servers = [server(1, { tags: ['a', 'b'] }), server(2, { tags: ['b'] }), server(3)];
  const ids = (r: { servers: Server[] }) => r.servers.map((s) => s.spec.name);

  it('sorts by created_at desc by default and by any sort_key/sort_dir pair', () => {
    expect(ids(selectServers(q('2.1', ''), servers))).to.deep.equal(['srv-3', 'srv-2', 'srv-1']);
    expect(ids(selectServers(q('2.1', 'sort_key=display_name&sort_dir=asc'), servers))).to.deep.equal([
      'srv-1',
      'srv-2',
      'srv-3',
    ]);
  });

  it('pages with limit and marker (the entries after the marker in sort order)', () => {
    const first = selectServers(q('2.1', 'limit=2'), servers);
    expect(ids(first)).to.deep.equal(['srv-3', 'srv-2']);
    expect(first.maxItems).to.equal(2);
    const marker = first.servers[1]!.metadata.uid;
    expect(ids(selectServers(q('2.1', `limit=2&marker=${marker}`), servers))).to.deep.equal(['srv-1']);
    expect(apiErrorOf(() => selectServers(q('2.1', 'marker=nope'), servers)).message).to.equal(
      'marker [nope] not found',
    );
  });

  it('filters by name regex, status, flavor, image, ip, tags and changes-since', () => {
    expect(ids(selectServers(q('2.1', 'name=^srv-[12]$'), servers))).to.deep.equal(['srv-2', 'srv-1']);
    expect(ids(selectServers(q('2.1', 'status=active'), servers))).to.have.length(3);
    expect(ids(selectServers(q('2.1', 'status=SHUTOFF'), servers))).to.deep.equal([]);
    expect(ids(selectServers(q('2.1', 'flavor=2'), servers))).to.have.length(3);
    expect(ids(selectServers(q('2.1', 'image=other'), servers))).to.deep.equal([]);
    expect(ids(selectServers(q('2.1', 'ip=10\\.0\\.0\\.5'), servers))).to.have.length(3);
    expect(ids(selectServers(q('2.26', 'tags=a,b'), servers))).to.deep.equal(['srv-1']);
    expect(ids(selectServers(q('2.26', 'not-tags-any=a'), servers))).to.deep.equal(['srv-3', 'srv-2']);
    expect(ids(selectServers(q('2.1', 'changes-since=2026-11-24T10:02:00Z'), servers))).to.deep.equal([
      'srv-3',
      'srv-2',
    ]);
    expect(ids(selectServers(q('2.66', 'changes-before=2026-11-24T10:02:00Z'), servers))).to.deep.equal([
      'srv-2',
      'srv-1',
    ]);
  });

  it('ignores filters a member may not use before 2.75 and refuses unknown ones from 2.75', () => {
    expect(ids(selectServers(q('2.74', 'host=elsewhere&bogus=1'), servers))).to.have.length(3);
    expect(ids(selectServers(q('2.74', 'host=elsewhere', admin), servers))).to.deep.equal([]);
    expect(apiErrorOf(() => q('2.75', 'bogus=1')).message).to.equal(
      "Additional properties are not allowed ('bogus' was unexpected)",
    );
  });

  it('answers bad values with 400s and admin-only options with 403s, in Nova words', () => {
    const cases: [string, string, number, string][] = [
      [
        '2.1',
        'limit=-1',
        400,
        "Invalid input for query parameters limit. Value: -1. '-1' does not match '^[0-9]*$'",
      ],
      [
        '2.1',
        'limit=abc',
        400,
        "Invalid input for query parameters limit. Value: abc. 'abc' does not match '^[0-9]*$'",
      ],
      [
        '2.1',
        'changes-since=yesterday',
        400,
        "Invalid input for query parameters changes-since. Value: yesterday. 'yesterday' is not a 'date-time'",
      ],
      ['2.1', 'name=(', 400, "Invalid input for query parameters name. Value: (. '(' is not a 'regex'"],
      [
        '2.1',
        'sort_dir=sideways',
        400,
        "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'",
      ],
      ['2.38', 'status=nonsense', 400, 'Invalid status value'],
      [
        '2.66',
        'changes-since=2026-11-24T10:00:00Z&changes-before=2026-11-23T10:00:00Z',
        400,
        'The value of changes-since must be less than or equal to changes-before.',
      ],
      [
        '2.73',
        'locked=maybe',
        400,
        "Unrecognized value 'maybe', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'",
      ],
      [
        '2.1',
        'all_tenants=1',
        403,
        "Policy doesn't allow os_compute_api:servers:detail:get_all_tenants to be performed.",
      ],
      ['2.1', 'sort_key=host', 403, 'Only administrators can sort servers by host'],
      [
        '2.1',
        'sort_key=nope',
        400,
        "Invalid input for query parameters sort_key. Value: nope. 'nope' is not one of",
      ],
    ];
    for (const [version, query, code, message] of cases) {
      const e = apiErrorOf(() => q(version, query));
      expect(e.code, query).to.equal(code);
      expect(e.message, query).to.contain(message);
    }
    expect(apiErrorOf(() => q('2.1', 'metadata=x', admin)).message).to.equal(
      'Invalid filter field: metadata.',
    );
  });

  it('returns nothing for an unknown status before 2.38, and all_tenants for admins', () => {
    expect(selectServers(q('2.37', 'status=nonsense'), servers).servers).to.deep.equal([]);
    expect(q('2.1', 'all_tenants', admin).allTenants).to.equal(true);
    expect(q('2.1', 'all_tenants=0', admin).allTenants).to.equal(false);
  });
});
