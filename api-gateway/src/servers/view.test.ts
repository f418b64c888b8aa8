import { expect } from 'chai';
import { APIVersionRequest } from '../microversion.ts';
import type { ComputeHost } from '../../../operator/src/api/v1alpha1/index.ts';
import {
  basicView,
  computeHostStatus,
  createView,
  detailView,
  indexView,
  ipsView,
  nextLink,
  showView,
  type ServerViewContext,
} from './view.ts';
import { SERVER_UID, activeServer } from './testdata.ts';
import { sanitizeHostname } from '../../../operator/src/compute/hostname.ts';

const UID = SERVER_UID;
const BASE = 'http://gw:8774';

function ctx(version: string, isAdmin = false): ServerViewContext {
  return {
    version: APIVersionRequest.parse(version),
    selfUrl: `${BASE}/v2.1`,
    bookmarkUrl: BASE,
    isAdmin,
    hostStatus: () => 'UP',
    hostZone: () => 'zone-1',
    serverGroups: () => ['sg-uuid'],
  };
}

const V21_MEMBER_KEYS = [
  'id',
  'name',
  'status',
  'tenant_id',
  'user_id',
  'metadata',
  'hostId',
  'image',
  'flavor',
  'created',
  'updated',
  'addresses',
  'accessIPv4',
  'accessIPv6',
  'links',
  'OS-DCF:diskConfig',
  'progress',
  'OS-EXT-AZ:availability_zone',
  'config_drive',
  'key_name',
  'OS-SRV-USG:launched_at',
  'OS-SRV-USG:terminated_at',
  'security_groups',
  'OS-EXT-STS:task_state',
  'OS-EXT-STS:vm_state',
  'OS-EXT-STS:power_state',
  'os-extended-volumes:volumes_attached',
];

describe('server view builders (views/servers.py)', () => {
  it('shows a member exactly the 2.1 fields, with flavor and image as links', () => {
    const v = showView(ctx('2.1'), activeServer(), { serverGroups: true });
    expect(Object.keys(v).sort()).to.deep.equal([...V21_MEMBER_KEYS].sort());
    expect(v.flavor).to.deep.equal({ id: '2', links: [{ rel: 'bookmark', href: `${BASE}/flavors/2` }] });
    expect(v.image).to.deep.equal({
      id: 'img-uid',
      links: [{ rel: 'bookmark', href: `${BASE}/images/img-uid` }],
    });
    expect(v.links).to.deep.equal([
      { rel: 'self', href: `${BASE}/v2.1/servers/${UID}` },
      { rel: 'bookmark', href: `${BASE}/servers/${UID}` },
    ]);
    expect(v['OS-EXT-STS:power_state']).to.equal(1);
    expect(v['OS-EXT-AZ:availability_zone']).to.equal('zone-1');
    expect(v['OS-SRV-USG:launched_at']).to.equal('2026-11-24T10:01:00.000000');
    expect(v.updated).to.equal('2026-11-24T10:05:00Z');
    expect(v.addresses).to.deep.equal({
      private: [
        {
          version: 4,
          addr: '10.0.0.5',
          'OS-EXT-IPS:type': 'fixed',
          'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:01',
        },
        {
          version: 6,
          addr: 'fd00::5',
          'OS-EXT-IPS:type': 'fixed',
          'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:01',
        },
      ],
    });
  });

  it('adds the extended server attributes for admins: 3 at 2.1, 10 at 2.3', () => {
    const v21 = showView(ctx('2.1', true), activeServer());
    expect(Object.keys(v21).filter((k) => k.startsWith('OS-EXT-SRV-ATTR:'))).to.have.length(3);
    const v23 = showView(ctx('2.3', true), activeServer({ userData: 'aGk=' }));
    expect(Object.keys(v23).filter((k) => k.startsWith('OS-EXT-SRV-ATTR:'))).to.have.length(10);
    expect(v23['OS-EXT-SRV-ATTR:user_data']).to.equal('aGk=');
    expect(v23['OS-EXT-SRV-ATTR:reservation_id']).to.equal('r-abcdefgh');
  });

  it('adds each microversion field from its version on (2.9 locked ... 2.90 hostname)', () => {
    const added: [string, string, unknown][] = [
      ['2.9', 'locked', false],
      ['2.19', 'description', null],
      ['2.26', 'tags', []],
      ['2.63', 'trusted_image_certificates', null],
      ['2.73', 'locked_reason', null],
      ['2.90', 'OS-EXT-SRV-ATTR:hostname', 'web'],
    ];
    for (const [version, key, value] of added) {
      const before = APIVersionRequest.parse(version);
      const prev = `${before.major}.${before.minor - 1n}`;
      expect(showView(ctx(prev), activeServer()), `${key} before ${version}`).not.to.have.property(key);
      expect(showView(ctx(version), activeServer()), `${key} at ${version}`)
        .to.have.property(key)
        .deep.equal(value);
    }
  });

  it('adds pinned_availability_zone from 2.96: the zone asked for, else null', () => {
    expect(showView(ctx('2.95'), activeServer())).not.to.have.property('pinned_availability_zone');
    expect(showView(ctx('2.96'), activeServer()).pinned_availability_zone).to.equal(null);
    const pinned = showView(ctx('2.96'), activeServer({ availabilityZone: 'az1' }));
    expect(pinned.pinned_availability_zone).to.equal('az1');
    // The PUT answer's trimmed view (before 2.75) never reaches 2.96; detail entries have it.
    const [entry] = detailView(ctx('2.96'), { servers: [activeServer()], maxItems: 1000, query: [] })
      .servers as Record<string, unknown>[];
    expect(entry).to.have.property('pinned_availability_zone', null);
  });

  it("embeds the image's standard properties in image from 2.98, as strings, others left out", () => {
    const c = {
      ...ctx('2.98'),
      imageProperties: (id: string) =>
        id === 'img-uid'
          ? { hw_disk_bus: 'virtio', hw_cpu_cores: 2, os_distro: 'cirros', custom_key: 'x' }
          : undefined,
    };
    expect(
      showView({ ...c, version: APIVersionRequest.parse('2.97') }, activeServer()).image as object,
    ).to.not.have.property('properties');
    expect(showView(c, activeServer()).image).to.deep.equal({
      id: 'img-uid',
      links: [{ rel: 'bookmark', href: `${BASE}/images/img-uid` }],
      properties: { hw_disk_bus: 'virtio', hw_cpu_cores: '2', os_distro: 'cirros' },
    });
    // An image that is gone: no properties to embed.
    expect((showView(ctx('2.98'), activeServer()).image as { properties: object }).properties).to.deep.equal(
      {},
    );
  });

  it('adds scheduler_hints from 2.100: each hint a list of strings, the server group as "group"', () => {
    expect(showView(ctx('2.99'), activeServer())).not.to.have.property('scheduler_hints');
    expect(showView(ctx('2.100'), activeServer()).scheduler_hints).to.deep.equal({});
    const s = activeServer({
      schedulerHints: { same_host: 'a-uuid', different_host: ['b', 'c'], query: 1 },
      serverGroup: 'g-uuid',
    });
    expect(showView(ctx('2.100'), s).scheduler_hints).to.deep.equal({
      same_host: ['a-uuid'],
      different_host: ['b', 'c'],
      query: ['1'],
      group: ['g-uuid'],
    });
  });

  it('embeds the flavor from 2.47 with its extra specs', () => {
    expect(showView(ctx('2.47'), activeServer()).flavor).to.deep.equal({
      vcpus: 1,
      ram: 2048,
      disk: 20,
      ephemeral: 0,
      swap: 0,
      original_name: 'm1.small',
      extra_specs: { 'hw:cpu_policy': 'shared' },
    });
  });

  it('shows host_status to admins only from 2.16, server_groups on show only from 2.71', () => {
    expect(showView(ctx('2.15', true), activeServer())).not.to.have.property('host_status');
    expect(showView(ctx('2.16', true), activeServer()).host_status).to.equal('UP');
    expect(showView(ctx('2.16'), activeServer())).not.to.have.property('host_status');
    expect(showView(ctx('2.71'), activeServer(), { serverGroups: true }).server_groups).to.deep.equal([
      'sg-uuid',
    ]);
    expect(
      detailView(ctx('2.71'), { servers: [activeServer()], maxItems: 1000, query: [] }).servers[0],
    ).not.to.have.property('server_groups');
  });

  it('hides addresses while building and shows the fault of an ERROR server (details not at 500 for members)', () => {
    const s = activeServer();
    s.status = {
      vmState: 'building',
      taskState: 'scheduling',
      status: 'BUILD',
      addresses: s.status!.addresses,
    };
    const building = showView(ctx('2.1'), s);
    expect(building.addresses).to.deep.equal({});
    expect(building['OS-EXT-STS:task_state']).to.equal('scheduling');
    expect(building.progress).to.equal(0);
    s.status = {
      vmState: 'error',
      status: 'ERROR',
      fault: {
        code: 500,
        message: 'No valid host was found.',
        details: 'trace',
        created: '2026-11-24T10:00:01Z',
      },
    };
    expect(showView(ctx('2.1'), s).fault).to.deep.equal({
      code: 500,
      created: '2026-11-24T10:00:01Z',
      message: 'No valid host was found.',
    });
    expect(showView(ctx('2.1', true), s).fault).to.have.property('details', 'trace');
    expect(showView(ctx('2.1'), s)).not.to.have.property('progress');
  });

  it('drops the "show all attributes" set from the PUT answer before 2.75', () => {
    const put = showView(ctx('2.74'), activeServer(), { full: false });
    expect(put).not.to.have.property('OS-EXT-STS:vm_state');
    expect(put).not.to.have.property('key_name');
    expect(put.addresses).to.deep.equal({
      private: [
        { version: 4, addr: '10.0.0.5' },
        { version: 6, addr: 'fd00::5' },
      ],
    });
  });

  it('lists id, name and links, and a next link when the page is full', () => {
    const page = {
      servers: [activeServer()],
      maxItems: 1,
      query: [
        ['limit', '1'],
        ['name', 'w'],
      ] as [string, string][],
    };
    expect(indexView(ctx('2.1'), page)).to.deep.equal({
      servers: [basicView(ctx('2.1'), activeServer())],
      servers_links: [{ rel: 'next', href: `${BASE}/v2.1/servers?limit=1&name=w&marker=${UID}` }],
    });
    expect(indexView(ctx('2.1'), { ...page, maxItems: 2 })).not.to.have.property('servers_links');
    expect(nextLink(ctx('2.1'), 'servers/detail', [['marker', 'old']], 'new')).to.equal(
      `${BASE}/v2.1/servers/detail?marker=new`,
    );
  });

  it('answers a create with id, links, diskConfig, security groups and adminPass', () => {
    expect(createView(ctx('2.1'), activeServer(), undefined, 'pw')).to.deep.equal({
      server: {
        id: UID,
        links: basicView(ctx('2.1'), activeServer()).links,
        'OS-DCF:diskConfig': 'MANUAL',
        security_groups: [{ name: 'default' }],
        adminPass: 'pw',
      },
    });
  });

  it('groups ips by network without the extended attributes', () => {
    expect(ipsView(activeServer())).to.deep.equal({
      addresses: {
        private: [
          { version: 4, addr: '10.0.0.5' },
          { version: 6, addr: 'fd00::5' },
        ],
      },
    });
  });

  it('sanitizes hostnames like nova.utils.sanitize_hostname', () => {
    expect(sanitizeHostname('My Server_1.example')).to.equal('my-server-1-example');
    expect(sanitizeHostname('--x--')).to.equal('x');
    expect(sanitizeHostname('☃')).to.equal('');
  });

  it('derives host_status as compute.API.get_instance_host_status: forced down, disabled, up or unknown', () => {
    const host = (spec: { disabled: boolean; forcedDown: boolean }, state?: 'up' | 'down') =>
      ({ metadata: { name: 'n' }, spec, status: state ? { state } : {} }) as unknown as ComputeHost;
    expect(computeHostStatus(undefined)).to.equal('');
    expect(computeHostStatus(host({ disabled: true, forcedDown: true }, 'up'))).to.equal('DOWN');
    expect(computeHostStatus(host({ disabled: true, forcedDown: false }, 'up'))).to.equal('MAINTENANCE');
    expect(computeHostStatus(host({ disabled: false, forcedDown: false }, 'up'))).to.equal('UP');
    expect(computeHostStatus(host({ disabled: false, forcedDown: false }, 'down'))).to.equal('UNKNOWN');
  });
});
