// The admin compute API (os-aggregates, os-availability-zone, os-hypervisors, os-services)
// through the gateway, on a real apiserver with the operator and the fake driver: Nova's fields per
// microversion, Nova's errors, and the effect on the Aggregate and ComputeHost objects.
import { expect } from 'chai';
import type { Aggregate, Image } from '../../../operator/src/api/v1alpha1/index.ts';
import { AGGREGATES } from '../../../operator/src/controllers/aggregate.ts';
import { IMAGES } from '../../../operator/src/controllers/server.ts';
import { collectionPath } from '../../../operator/src/kube/resources.ts';
import { createFakeNode, eventually, waitForHostsUp } from '../../../e2e/harness/fixtures.ts';
import type { TestGateway } from '../../../e2e/harness/gateway.ts';
import type { OperatorSuite } from '../../../e2e/harness/suite.ts';
import { type ServersSuite, startServersSuite } from '../servers/testsuite.ts';

const v = (version: string) => ({ 'OpenStack-API-Version': `compute ${version}` });

describe('Admin compute API (gateway on a real apiserver, fake driver)', function () {
  this.timeout(240_000);
  let world: ServersSuite;
  let suite: OperatorSuite;
  let gw: TestGateway;
  let admin: string;
  let alice: string;

  before(async () => {
    world = await startServersSuite();
    ({ suite, gw } = world);
    await createFakeNode(suite.client, 'node-2', { cpu: 16, memoryMb: 32768, diskGb: 400 });
    await waitForHostsUp(suite.client, 2);
    await gw.addUser('alice', 'alice-pw', 'project-a', 'member');
    admin = await gw.token('admin', 'secret', 'admin');
    alice = await gw.token('alice', 'alice-pw', 'project-a');
  });
  after(async () => {
    await world?.stop();
  });

  const call = (method: string, path: string, body?: unknown, version = '2.1', token = admin) =>
    gw.call(method, `/v2.1${path}`, { token, body, headers: v(version) });
  const kubeAggregate = async (id: number) =>
    (await suite.client.list<Aggregate>(collectionPath(AGGREGATES))).items.find((a) => a.status?.id === id);

  describe('os-aggregates', () => {
    let id: number;

    it('create answers the aggregate without hosts and metadata, its zone in availability_zone, uuid from 2.41', async () => {
      const res = await call(
        'POST',
        '/os-aggregates',
        { aggregate: { name: 'agg1', availability_zone: 'az1' } },
        '2.41',
      );
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const a = res.body.aggregate;
      expect(a).to.include({
        name: 'agg1',
        availability_zone: 'az1',
        deleted: false,
        deleted_at: null,
        updated_at: null,
      });
      expect(a.id).to.be.a('number');
      expect(a.uuid).to.match(/^[0-9a-f-]{36}$/);
      expect(a).to.not.have.any.keys('hosts', 'metadata');
      expect(a.created_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
      id = a.id;
      const obj = await kubeAggregate(id);
      expect(obj?.spec).to.deep.equal({ name: 'agg1', availabilityZone: 'az1' });
      expect(obj?.metadata.uid).to.equal(a.uuid);
    });

    it('show before 2.41 has no uuid; metadata carries availability_zone', async () => {
      const res = await call('GET', `/os-aggregates/${id}`);
      expect(res.status).to.equal(200);
      expect(res.body.aggregate).to.not.have.property('uuid');
      expect(res.body.aggregate).to.deep.include({ hosts: [], metadata: { availability_zone: 'az1' } });
    });

    it('a duplicate name is 409, a bad body 400, an unknown id 404, a non-integer id 400', async () => {
      const dup = await call('POST', '/os-aggregates', { aggregate: { name: 'agg1' } });
      expect(dup.status).to.equal(409);
      expect(dup.body.conflictingRequest.message).to.equal('Aggregate agg1 already exists.');
      const bad = await call('POST', '/os-aggregates', { aggregate: { name: ' x' } });
      expect(bad.status).to.equal(400);
      expect(bad.body.badRequest.message).to.equal(
        "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.",
      );
      const colon = await call('POST', '/os-aggregates', {
        aggregate: { name: 'y', availability_zone: 'a:b' },
      });
      expect(colon.status).to.equal(400);
      const extra = await call('POST', '/os-aggregates', { aggregate: { name: 'x', foo: 1 } });
      expect(extra.body.badRequest.message).to.equal(
        "Invalid input for field/attribute aggregate. Value: {'name': 'x', 'foo': 1}. Additional properties are not allowed ('foo' was unexpected)",
      );
      const missing = await call('GET', '/os-aggregates/9999');
      expect(missing.status).to.equal(404);
      expect(missing.body.itemNotFound.message).to.equal('Aggregate 9999 could not be found.');
      const nonInt = await call('GET', '/os-aggregates/abc');
      expect(nonInt.status).to.equal(400);
      expect(nonInt.body.badRequest.message).to.equal('Invalid input received: id must be an integer');
    });

    it('is admin-only: a member gets the policy 403', async () => {
      const res = await call('GET', '/os-aggregates', undefined, '2.1', alice);
      expect(res.status).to.equal(403);
      expect(res.body.forbidden.message).to.equal(
        "Policy doesn't allow os_compute_api:os-aggregates:index to be performed.",
      );
    });

    it("add_host puts the host in the aggregate's zone: its servers show that zone", async () => {
      const imageId = (await suite.client.list<Image>(collectionPath(IMAGES))).items[0]!.metadata.uid!;
      const created = await gw.call('POST', '/v2.1/servers', {
        token: admin,
        body: { server: { name: 's1', flavorRef: '2', imageRef: imageId, availability_zone: 'nova:node-1' } },
      });
      expect(created.status, JSON.stringify(created.body)).to.equal(202);
      const res = await call('POST', `/os-aggregates/${id}/action`, { add_host: { host: 'node-1' } });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.aggregate.hosts).to.deep.equal(['node-1']);
      expect((await kubeAggregate(id))?.spec.hosts).to.deep.equal(['node-1']);
      const again = await call('POST', `/os-aggregates/${id}/action`, { add_host: { host: 'node-1' } });
      expect(again.status).to.equal(409);
      expect(again.body.conflictingRequest.message).to.equal(`Aggregate ${id} already has host node-1.`);
      const unknown = await call('POST', `/os-aggregates/${id}/action`, { add_host: { host: 'nope' } });
      expect(unknown.status).to.equal(404);
      expect(unknown.body.itemNotFound.message).to.equal('Compute host nope could not be found.');
      const server = await eventually('server on node-1', async () => {
        const r = await gw.call('GET', `/v2.1/servers/${created.body.server.id}`, { token: admin });
        return r.body.server['OS-EXT-SRV-ATTR:host'] === 'node-1' && r.body.server;
      });
      expect(server['OS-EXT-AZ:availability_zone']).to.equal('az1');
    });

    it('a host cannot be in two zones (409); a zone change with servers on the hosts is 400', async () => {
      const other = await call('POST', '/os-aggregates', {
        aggregate: { name: 'agg2', availability_zone: 'az2' },
      });
      const res = await call('POST', `/os-aggregates/${other.body.aggregate.id}/action`, {
        add_host: { host: 'node-1' },
      });
      expect(res.status).to.equal(409);
      expect(res.body.conflictingRequest.message).to.equal(
        `Cannot add host to aggregate ${other.body.aggregate.id}. Reason: One or more hosts already in availability zone(s) ['az1'].`,
      );
      const move = await call('PUT', `/os-aggregates/${id}`, { aggregate: { availability_zone: 'az3' } });
      expect(move.status).to.equal(400);
      expect(move.body.badRequest.message).to.equal(
        `Cannot update aggregate ${id}. Reason: One or more hosts contain instances in this zone.`,
      );
      const del = await call('DELETE', `/os-aggregates/${other.body.aggregate.id}`);
      expect(del.status).to.equal(200);
    });

    it('set_metadata sets and (null) removes keys; update renames', async () => {
      const set = await call('POST', `/os-aggregates/${id}/action`, {
        set_metadata: { metadata: { ssd: 'true', pinned: 'false' } },
      });
      expect(set.status).to.equal(200);
      expect(set.body.aggregate.metadata).to.deep.equal({
        availability_zone: 'az1',
        ssd: 'true',
        pinned: 'false',
      });
      const unset = await call('POST', `/os-aggregates/${id}/action`, {
        set_metadata: { metadata: { pinned: null } },
      });
      expect(unset.body.aggregate.metadata).to.deep.equal({ availability_zone: 'az1', ssd: 'true' });
      expect((await kubeAggregate(id))?.spec.metadata).to.deep.equal({ ssd: 'true' });
      const bad = await call('POST', `/os-aggregates/${id}/action`, {
        set_metadata: { metadata: { 'a/b': 'x' } },
      });
      expect(bad.status).to.equal(400);
      const renamed = await call('PUT', `/os-aggregates/${id}`, { aggregate: { name: 'agg-one' } });
      expect(renamed.status).to.equal(200);
      expect(renamed.body.aggregate).to.include({ name: 'agg-one', availability_zone: 'az1' });
    });

    it('delete of a non-empty aggregate is 400; remove_host then delete removes the object', async () => {
      const full = await call('DELETE', `/os-aggregates/${id}`);
      expect(full.status).to.equal(400);
      expect(full.body.badRequest.message).to.equal(
        `Cannot remove host from aggregate ${id}. Reason: Host aggregate is not empty.`,
      );
      const notIn = await call('POST', `/os-aggregates/${id}/action`, { remove_host: { host: 'node-2' } });
      expect(notIn.status).to.equal(404);
      expect(notIn.body.itemNotFound.message).to.equal(`Cannot remove host node-2 in aggregate ${id}`);
      const removed = await call('POST', `/os-aggregates/${id}/action`, { remove_host: { host: 'node-1' } });
      expect(removed.status).to.equal(200);
      expect(removed.body.aggregate.hosts).to.deep.equal([]);
      expect((await call('DELETE', `/os-aggregates/${id}`)).status).to.equal(200);
      expect(await kubeAggregate(id)).to.equal(undefined);
      const list = await call('GET', '/os-aggregates');
      expect(list.body.aggregates.map((a: { id: number }) => a.id)).to.not.include(id);
    });
  });
});
