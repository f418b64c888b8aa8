// The fields of flavor and keypair bodies per microversion (views/flavors.py, views/keypairs.py).
import { expect } from 'chai';
import type { FastifyRequest } from 'fastify';
import type { Flavor, Keypair } from '../../../operator/src/api/v1alpha1/index.ts';
import type { Principal } from '../context.ts';
import { APIVersionRequest } from '../microversion.ts';
import { flavorView } from './flavors.ts';
import { keypairView } from './keypairs.ts';

const request = (version: string) =>
  ({
    microversion: APIVersionRequest.parse(version),
    headers: { host: 'cloud.example:8774' },
    protocol: 'http',
    raw: {},
    query: {},
  }) as unknown as FastifyRequest;

const reader = { isAdmin: false, roles: ['reader'] } as unknown as Principal;

const flavor: Flavor = {
  apiVersion: 'compute.kova.io/v1alpha1',
  kind: 'Flavor',
  metadata: { name: 'm1.small' },
  spec: {
    id: 'm1.small',
    name: 'small',
    vcpus: 1,
    ram: 2048,
    disk: 20,
    ephemeral: 0,
    swap: 0,
    rxtxFactor: 1,
    isPublic: true,
    extraSpecs: { 'hw:cpu_policy': 'shared' },
  },
};

describe("Flavor and keypair views: Nova's fields per microversion", () => {
  it('2.1 detail: no description or extra specs, swap "" when none, self and bookmark links', () => {
    const v = flavorView(request('2.1'), flavor, reader);
    expect(Object.keys(v)).to.deep.equal([
      'id',
      'name',
      'ram',
      'disk',
      'swap',
      'OS-FLV-EXT-DATA:ephemeral',
      'OS-FLV-DISABLED:disabled',
      'vcpus',
      'os-flavor-access:is_public',
      'rxtx_factor',
      'links',
    ]);
    expect(v.swap).to.equal('');
    expect(v.links).to.deep.equal([
      { rel: 'self', href: 'http://cloud.example:8774/v2.1/flavors/m1.small' },
      { rel: 'bookmark', href: 'http://cloud.example:8774/flavors/m1.small' },
    ]);
  });

  it('2.55 adds description (null when unset), 2.61 extra_specs, 2.75 swap 0', () => {
    expect(flavorView(request('2.55'), flavor, reader)).to.include({ description: null });
    expect(flavorView(request('2.55'), flavor, reader)).not.to.have.property('extra_specs');
    expect(flavorView(request('2.61'), flavor, reader).extra_specs).to.deep.equal({
      'hw:cpu_policy': 'shared',
    });
    expect(flavorView(request('2.74'), flavor, reader).swap).to.equal('');
    expect(flavorView(request('2.75'), flavor, reader).swap).to.equal(0);
  });

  it('the list view is id, name and links (and description from 2.55)', () => {
    expect(Object.keys(flavorView(request('2.1'), flavor, reader, false))).to.deep.equal([
      'id',
      'name',
      'links',
    ]);
    expect(Object.keys(flavorView(request('2.55'), flavor, reader, false))).to.deep.equal([
      'id',
      'name',
      'links',
      'description',
    ]);
  });

  const kp: Keypair = {
    apiVersion: 'compute.kova.io/v1alpha1',
    kind: 'Keypair',
    metadata: { name: 'kp-x', uid: 'u-1', creationTimestamp: '2026-11-24T15:00:00Z' },
    spec: { name: 'k', user: 'user-1', type: 'ssh', publicKey: 'ssh-ed25519 AAAA k' },
    status: { fingerprint: 'aa:bb' },
  };

  it('keypairs: index, create and show fields, with type from 2.2', () => {
    expect(Object.keys(keypairView(kp, 'index', false))).to.deep.equal(['name', 'public_key', 'fingerprint']);
    expect(Object.keys(keypairView(kp, 'index', true))).to.deep.equal([
      'name',
      'public_key',
      'fingerprint',
      'type',
    ]);
    expect(Object.keys(keypairView(kp, 'create', true, 'PRIVATE'))).to.deep.equal([
      'private_key',
      'type',
      'name',
      'public_key',
      'fingerprint',
      'user_id',
    ]);
    const shown = keypairView(kp, 'show', false);
    expect(shown).to.deep.include({
      user_id: 'user-1',
      created_at: '2026-11-24T15:00:00.000000',
      deleted: false,
      deleted_at: null,
      updated_at: null,
    });
    expect(shown.id).to.be.a('number');
  });
});
