import { expect } from 'chai';
import type { Flavor, Image, Keypair, Server } from '../api/v1alpha1/index.ts';
import {
  resolveKeypair,
  activeStatus,
  awaitsScheduling,
  boundStatus,
  buildFailedStatus,
  hostId,
  initialStatus,
  noValidHostStatus,
  resolveFlavor,
  withConditions,
} from './server.ts';

const NOW = '2026-01-01T00:00:00.000Z';
const server = (over: Partial<Server['spec']> = {}): Server => ({
  apiVersion: 'compute.kova.io/v1alpha1',
  kind: 'Server',
  metadata: { name: 'web-1', namespace: 'demo', uid: 'u-1', generation: 1 },
  spec: { name: 'web-1', flavorRef: '2', imageRef: 'tiny', ...over } as Server['spec'],
});
const flavor: Flavor = {
  apiVersion: 'compute.kova.io/v1alpha1',
  kind: 'Flavor',
  metadata: { name: 'm1.small' },
  spec: {
    id: '2',
    name: 'm1.small',
    vcpus: 1,
    ram: 2048,
    disk: 20,
    ephemeral: 0,
    swap: 0,
    rxtxFactor: 1,
    isPublic: true,
  },
};
const image: Image = {
  apiVersion: 'compute.kova.io/v1alpha1',
  kind: 'Image',
  metadata: { name: 'tiny', uid: 'img-1' },
  spec: {
    name: 'tiny',
    diskFormat: 'qcow2',
    containerFormat: 'bare',
    minDisk: 0,
    minRam: 0,
    visibility: 'public',
    protected: false,
  },
};

describe("A server's Nova state transitions (pure)", () => {
  it("hostId is sha224(project + host), '' without a host", () => {
    expect(hostId('demo', 'node-1')).to.equal('86247d1af1a95f0cdee0dc1b09e251e1126446edbb118177ea52a169'); // hashlib.sha224(b'demonode-1')
    expect(hostId('demo', undefined)).to.equal('');
  });

  it('resolves flavorRef by Nova id first, then by metadata.name', () => {
    expect(resolveFlavor('2', [flavor])).to.equal(flavor);
    expect(resolveFlavor('m1.small', [flavor])).to.equal(flavor);
    expect(resolveFlavor('9', [flavor])).to.equal(undefined);
  });

  it('a new server is BUILD, scheduling, power pending, with a copy of its flavor', () => {
    const st = initialStatus(server(), flavor, image, NOW);
    expect(st).to.deep.include({
      vmState: 'building',
      taskState: 'scheduling',
      powerState: 'pending',
      status: 'BUILD',
    });
    expect(st.flavor).to.deep.equal({
      id: '2',
      name: 'm1.small',
      vcpus: 1,
      ram: 2048,
      disk: 20,
      ephemeral: 0,
      swap: 0,
    });
    expect(st.image).to.deep.equal({ id: 'img-1', name: 'tiny' });
    expect(awaitsScheduling({ ...server(), status: st })).to.equal(true);
  });

  it('a missing flavor, image or server group is ERROR with a 400 fault, never scheduled', () => {
    expect(initialStatus(server(), undefined, image, NOW).fault).to.deep.equal({
      code: 400,
      message: 'Flavor 2 could not be found.',
      created: NOW,
    });
    expect(initialStatus(server(), flavor, undefined, NOW).fault?.message).to.equal(
      'Image tiny could not be found.',
    );
    const st = initialStatus(server({ serverGroup: 'g' }), flavor, image, NOW, false);
    expect(st.fault?.message).to.equal('Instance group g could not be found.');
    expect(st.status).to.equal('ERROR');
    expect(awaitsScheduling({ ...server(), status: st })).to.equal(false);
  });

  it('binding sets host, hostId and task networking; spawn success makes it ACTIVE, running, launched', () => {
    const bound = boundStatus(initialStatus(server(), flavor, image, NOW), 'demo', 'node-1');
    expect(bound).to.deep.include({
      host: 'node-1',
      hostId: hostId('demo', 'node-1'),
      taskState: 'networking',
      status: 'BUILD',
    });
    const active = activeStatus(
      bound,
      [{ network: 'private', version: 4, addr: '10.0.0.5', type: 'fixed' }],
      NOW,
    );
    expect(active).to.deep.include({
      vmState: 'active',
      powerState: 'running',
      status: 'ACTIVE',
      launchedAt: NOW,
    });
    expect(active.taskState).to.equal(undefined);
  });

  it('a failed build goes back to scheduling elsewhere, then ERROR after max_attempts', () => {
    let st = boundStatus(initialStatus(server(), flavor, image, NOW), 'demo', 'h1');
    st = buildFailedStatus(st, 'u-1', 'h1', 'boom', 3, NOW);
    expect(st).to.deep.include({ vmState: 'building', taskState: 'scheduling', hostId: '' });
    expect(st.host).to.equal(undefined);
    expect(st.retry).to.deep.equal({ numAttempts: 2, hosts: ['h1'] });
    st = buildFailedStatus(boundStatus(st, 'demo', 'h2'), 'u-1', 'h2', 'boom', 3, NOW);
    st = buildFailedStatus(boundStatus(st, 'demo', 'h3'), 'u-1', 'h3', 'boom again', 3, NOW);
    expect(st.status).to.equal('ERROR');
    expect(st.retry).to.deep.equal({ numAttempts: 3, hosts: ['h1', 'h2', 'h3'] });
    expect(st.fault).to.deep.include({
      code: 500,
      message:
        'Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance u-1.',
      details: 'boom again',
    });
  });

  it('conditions: Scheduled and Ready follow the Nova state, transition times move only on change', () => {
    const building = withConditions(initialStatus(server(), flavor, image, NOW), NOW);
    expect(building.conditions!.map((c) => [c.type, c.status, c.reason])).to.deep.equal([
      ['Scheduled', 'False', 'Scheduling'],
      ['Ready', 'False', 'BUILD'],
    ]);
    const later = '2026-01-01T00:01:00.000Z';
    const bound = withConditions(boundStatus(building, 'demo', 'node-1'), later);
    expect(bound.conditions!.find((c) => c.type === 'Scheduled')).to.deep.include({
      status: 'True',
      lastTransitionTime: later,
    });
    expect(bound.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime).to.equal(NOW);
    const active = withConditions(activeStatus(bound, [], later), later);
    expect(active.conditions!.find((c) => c.type === 'Ready')).to.deep.include({
      status: 'True',
      reason: 'Active',
    });
    const refused = withConditions(noValidHostStatus(building, 'No valid host was found. x', 'd', NOW), NOW);
    expect(refused.conditions!.find((c) => c.type === 'Scheduled')).to.deep.include({
      status: 'False',
      reason: 'NoValidHost',
    });
  });
});

describe('key_name lookup (resolveKeypair)', () => {
  const kp = (name: string, objectName: string, user: string): Keypair =>
    ({
      apiVersion: 'compute.kova.io/v1alpha1',
      kind: 'Keypair',
      metadata: { name: objectName },
      spec: { name, user, type: 'ssh', publicKey: `ssh-ed25519 AAAA ${user}` },
    }) as Keypair;
  const keypairs = [
    kp('demo', 'bob-demo', 'bob'),
    kp('demo', 'alice-demo', 'alice'),
    kp('other', 'a-o', 'alice'),
  ];

  it("finds the key among the server's user's keypairs only, as Nova's key_name for user_id", () => {
    expect(resolveKeypair('demo', 'bob', keypairs)?.metadata.name).to.equal('bob-demo');
    expect(resolveKeypair('other', 'bob', keypairs)).to.equal(undefined);
  });

  it('without a known user (a server written with kubectl), takes the first of that name by object name', () => {
    expect(resolveKeypair('demo', undefined, keypairs)?.metadata.name).to.equal('alice-demo');
  });
});
