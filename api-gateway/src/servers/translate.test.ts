import { expect } from 'chai';
import { ApiError } from '../errors.ts';
import { APIVersionRequest } from '../microversion.ts';
import { validateCreate, validateMetadata, validateMetadataItem, validateUpdate } from './schemas.ts';
import { idFromHref, planCreate, planUpdate } from './translate.ts';

const v = (s: string) => APIVersionRequest.parse(s);
const IMAGE = '6b1a4b07-7e49-4e4d-9ab1-3f3a7b0c8b55';
const NET = '0f0e0d0c-0b0a-4909-8807-060504030201';
const caller = { userId: 'alice', isAdmin: false };

function rejects(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(ApiError);
    expect((e as ApiError).code).to.equal(400);
    return (e as ApiError).message;
  }
  throw new Error('accepted');
}

describe('server request schemas (schemas/servers.py)', () => {
  it('requires networks from 2.37 and accepts auto/none or a list of uuids', () => {
    const body = { server: { name: 'a', flavorRef: '1', imageRef: IMAGE } };
    validateCreate(v('2.36'), body);
    expect(rejects(() => validateCreate(v('2.37'), body))).to.equal(
      `Invalid input for field/attribute server. Value: {'name': 'a', 'flavorRef': '1', 'imageRef': '${IMAGE}'}. 'networks' is a required property`,
    );
    validateCreate(v('2.37'), { server: { ...body.server, networks: 'none' } });
    validateCreate(v('2.37'), { server: { ...body.server, networks: [{ uuid: NET }] } });
    rejects(() => validateCreate(v('2.37'), { server: { ...body.server, networks: 'some' } }));
  });

  it('refuses fields outside their microversion: description before 2.19, tags before 2.52, hostname before 2.90', () => {
    const base = { name: 'a', flavorRef: '1', imageRef: IMAGE, networks: [{ uuid: NET }] };
    for (const [field, value, since] of [
      ['description', 'd', '2.19'],
      ['tags', ['t'], '2.52'],
      ['host', 'node-1', '2.74'],
      ['hostname', 'h1', '2.90'],
    ] as const) {
      const prev = v(since);
      const before = `${prev.major}.${prev.minor - 1n}`;
      expect(rejects(() => validateCreate(v(before), { server: { ...base, [field]: value } }))).to.contain(
        `Additional properties are not allowed ('${field}' was unexpected)`,
      );
      validateCreate(v(since), { server: { ...base, [field]: value } });
    }
    expect(rejects(() => validateCreate(v('2.57'), { server: { ...base, personality: [] } }))).to.contain(
      'personality',
    );
  });

  it("gives Nova's messages for bad names, counts, uuids and user data", () => {
    const base = { flavorRef: '1', imageRef: IMAGE };
    expect(rejects(() => validateCreate(v('2.1'), { server: { ...base, name: ' x' } }))).to.equal(
      "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
    );
    expect(
      rejects(() => validateCreate(v('2.1'), { server: { ...base, name: 'x', min_count: 0 } })),
    ).to.equal('Invalid input for field/attribute min_count. Value: 0. 0 is less than the minimum of 1');
    expect(
      rejects(() => validateCreate(v('2.1'), { server: { ...base, name: 'x', imageRef: 'abc' } })),
    ).to.match(/^Invalid input for field\/attribute imageRef\. Value: abc\./);
    expect(
      rejects(() => validateCreate(v('2.1'), { server: { ...base, name: 'x', user_data: 'a' } })),
    ).to.equal("Invalid input for field/attribute user_data. Value: a. 'a' is not a 'base64'");
    expect(rejects(() => validateCreate(v('2.1'), []))).to.equal("[] is not of type 'object'");
  });

  it('validates updates and metadata bodies', () => {
    validateUpdate(v('2.19'), { server: { description: null } });
    rejects(() => validateUpdate(v('2.18'), { server: { description: 'x' } }));
    rejects(() => validateUpdate(v('2.89'), { server: { hostname: 'abc' } }));
    validateUpdate(v('2.90'), { server: { hostname: 'abc' } });
    validateMetadata({ metadata: { a: 'b' } });
    expect(rejects(() => validateMetadata({ metadata: { a: 1 } }))).to.equal(
      "Invalid input for field/attribute a. Value: 1. 1 is not of type 'string'",
    );
    rejects(() => validateMetadata({ metadata: { 'bad/key': 'x' } }));
    rejects(() => validateMetadataItem({ meta: { a: 'b', c: 'd' } }));
    validateMetadataItem({ meta: { a: 'b' } });
  });
});

describe('create and update translation', () => {
  it('maps a create body onto the Server spec', () => {
    const plan = planCreate(
      v('2.90'),
      {
        server: {
          name: 'Web 1',
          flavorRef: 'http://gw/flavors/42',
          imageRef: IMAGE,
          key_name: 'k',
          user_data: 'aGVs\nbG8=',
          metadata: { a: 'b' },
          availability_zone: 'az1',
          config_drive: 'true',
          description: 'd',
          tags: ['x', 'x', 'y'],
          hostname: 'web1',
          networks: [{ uuid: NET, fixed_ip: '10.0.0.9', tag: 'eth0' }],
          security_groups: [{ name: 'web' }],
        },
        'os:scheduler_hints': { group: 'grp-uuid', same_host: [IMAGE] },
      },
      caller,
    );
    expect(plan.servers).to.have.length(1);
    const s = plan.servers[0]!;
    expect(s.spec).to.deep.equal({
      name: 'Web 1',
      flavorRef: '42',
      imageRef: IMAGE,
      keyName: 'k',
      userData: 'aGVsbG8=',
      metadata: { a: 'b' },
      availabilityZone: 'az1',
      serverGroup: 'grp-uuid',
      schedulerHints: { same_host: [IMAGE] },
      configDrive: true,
      description: 'd',
      tags: ['x', 'y'],
      securityGroups: ['web'],
      hostname: 'web1',
      networks: { allocation: 'requested', requested: [{ uuid: NET, fixedIp: '10.0.0.9', tag: 'eth0' }] },
    });
    expect(s.metadata.generateName).to.equal('web-1-');
    expect(s.metadata.annotations).to.include({ 'compute.kova.io/user-id': 'alice' });
    expect(plan.securityGroups).to.deep.equal([{ name: 'web' }]);
  });

  it('creates max_count servers named name-N sharing a reservation, all-or-none', () => {
    const plan = planCreate(
      v('2.37'),
      {
        server: {
          name: 'w',
          flavorRef: '1',
          imageRef: IMAGE,
          networks: 'none',
          min_count: '2',
          max_count: 3,
          return_reservation_id: 'True',
        },
      },
      caller,
    );
    expect(plan.servers.map((s) => s.spec.name)).to.deep.equal(['w-1', 'w-2', 'w-3']);
    expect(plan.servers.map((s) => s.spec.hostname)).to.deep.equal(['w-1', 'w-2', 'w-3']);
    expect(
      new Set(plan.servers.map((s) => s.metadata.labels!['compute.kova.io/reservation-id'])),
    ).to.have.length(1);
    expect(plan.servers[0]!.metadata.annotations!['compute.kova.io/num-instances']).to.equal('3');
    expect(plan.reservationId).to.match(/^r-[a-z0-9]{8}$/);
    expect(plan.returnReservationId).to.equal(true);
    expect(plan.servers[0]!.spec.networks).to.deep.equal({ allocation: 'none' });
  });

  it("refuses what Nova refuses after the schema, with Nova's messages", () => {
    const base = { name: 'w', flavorRef: '1', imageRef: IMAGE };
    expect(
      rejects(() => planCreate(v('2.1'), { server: { ...base, min_count: 3, max_count: 2 } }, caller)),
    ).to.equal('min_count must be <= max_count');
    expect(rejects(() => planCreate(v('2.1'), { server: { name: 'w', flavorRef: '1' } }, caller))).to.equal(
      'Missing imageRef attribute',
    );
    expect(
      rejects(() =>
        planCreate(v('2.1'), { server: { ...base, networks: [{ uuid: 'not-a-uuid' }] } }, caller),
      ),
    ).to.equal('Bad networks format: network uuid is not in proper format (not-a-uuid)');
    expect(() =>
      planCreate(v('2.74'), { server: { ...base, networks: 'auto', host: 'n1' } }, caller),
    ).to.throw(ApiError, /requested_destination/);
  });

  it('boots the image of a local block device mapping when imageRef is empty; refuses volumes', () => {
    const plan = planCreate(
      v('2.1'),
      {
        server: {
          name: 'w',
          flavorRef: '1',
          imageRef: '',
          block_device_mapping_v2: [
            { source_type: 'image', destination_type: 'local', uuid: IMAGE, boot_index: '0' },
          ],
        },
      },
      caller,
    );
    expect(plan.servers[0]!.spec.imageRef).to.equal(IMAGE);
    rejects(() =>
      planCreate(
        v('2.1'),
        {
          server: {
            name: 'w',
            flavorRef: '1',
            block_device_mapping_v2: [{ source_type: 'volume', uuid: IMAGE, boot_index: 0 }],
          },
        },
        caller,
      ),
    );
  });

  it('keeps the name as the description before 2.19', () => {
    expect(
      planCreate(v('2.18'), { server: { name: 'w', flavorRef: '1', imageRef: IMAGE } }, caller).servers[0]!
        .spec.description,
    ).to.equal('w');
    expect(
      planCreate(v('2.19'), { server: { name: 'w', flavorRef: '1', imageRef: IMAGE } }, caller).servers[0]!
        .spec,
    ).not.to.have.property('description');
  });

  it('updates name, description (2.19) and hostname (2.90)', () => {
    expect(planUpdate(v('2.90'), { server: { name: 'n', description: null, hostname: 'h1' } })).to.deep.equal(
      {
        name: 'n',
        description: null,
        hostname: 'h1',
      },
    );
    expect(idFromHref('http://x/v2.1/flavors/7?x=1')).to.equal('7');
    expect(idFromHref('m1.small')).to.equal('m1.small');
  });
});
