// The admin compute API (os-aggregates, os-availability-zone, os-hypervisors, os-services)
// through the gateway, on a real apiserver with the operator and the fake driver: Nova's fields per
// microversion, Nova's errors, and the effect on the Aggregate and ComputeHost objects.
import { expect } from 'chai';
import type { Aggregate, ComputeHost, Image } from '../../../operator/src/api/v1alpha1/index.ts';
import { AGGREGATES } from '../../../operator/src/controllers/aggregate.ts';
import { IMAGES } from '../../../operator/src/controllers/server.ts';
import { COMPUTE_HOSTS } from '../../../operator/src/controllers/computehost.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
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
    // Leader election on: the operator's Lease backs nova-scheduler and nova-conductor.
    world = await startServersSuite({ leaderElection: { enabled: true } });
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
  const kubeAggregateNamed = async (name: string) =>
    (await suite.client.list<Aggregate>(collectionPath(AGGREGATES))).items.find((a) => a.spec.name === name);
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

    it('keeps a name unique under concurrent creates: one 200, the others 409 as Nova', async () => {
      const answers = await Promise.all(
        Array.from({ length: 6 }, () => call('POST', '/os-aggregates', { aggregate: { name: 'racing' } })),
      );
      expect(answers.filter((a) => a.status === 200)).to.have.length(1);
      for (const a of answers.filter((x) => x.status !== 200)) {
        expect(a.status).to.equal(409);
        expect(a.body.conflictingRequest.message).to.equal('Aggregate racing already exists.');
      }
      await eventually('one aggregate named racing', async () => {
        const all = (await suite.client.list<Aggregate>(collectionPath(AGGREGATES))).items;
        return all.filter((a) => a.spec.name === 'racing').length === 1;
      });
      const winner = answers.find((a) => a.status === 200)!.body.aggregate.id;
      expect((await call('DELETE', `/os-aggregates/${winner}`)).status).to.equal(200);

      // Renames claim a name as creates do: of racing claims, exactly one keeps it.
      const ids: number[] = [];
      for (const n of ['r1', 'r2', 'r3']) {
        ids.push((await call('POST', '/os-aggregates', { aggregate: { name: n } })).body.aggregate.id);
      }
      const renames = await Promise.all([
        ...ids.map((id) => call('PUT', `/os-aggregates/${id}`, { aggregate: { name: 'claimed' } })),
        call('POST', '/os-aggregates', { aggregate: { name: 'claimed' } }),
      ]);
      expect(renames.filter((r) => r.status === 200)).to.have.length(1);
      for (const r of renames.filter((x) => x.status !== 200)) {
        expect(r.status).to.equal(409);
        expect(r.body.conflictingRequest.message).to.equal('Aggregate claimed already exists.');
      }
      const names = await eventually('one aggregate named claimed', async () => {
        const all = (await suite.client.list<Aggregate>(collectionPath(AGGREGATES))).items;
        const claimed = all.filter((a) => a.spec.name === 'claimed');
        return claimed.length === 1 && all.map((a) => a.spec.name);
      });
      const kept = ['r1', 'r2', 'r3'].filter((n) => names.includes(n));
      expect(kept).to.have.length(renames[3]!.status === 200 ? 3 : 2);
      const listed = (await call('GET', '/os-aggregates')).body.aggregates;
      for (const a of listed.filter((x: { name: string }) =>
        ['r1', 'r2', 'r3', 'claimed'].includes(x.name),
      )) {
        expect((await call('DELETE', `/os-aggregates/${a.id}`)).status).to.equal(200);
      }
    });

    it('is admin-only: a member gets the policy 403', async () => {
      const res = await call('GET', '/os-aggregates', undefined, '2.1', alice);
      expect(res.status).to.equal(403);
      expect(res.body.forbidden.message).to.equal(
        "Policy doesn't allow os_compute_api:os-aggregates:index to be performed.",
      );
      const create = await call('POST', '/os-aggregates', { aggregate: { name: 'mine' } }, '2.1', alice);
      expect(create.body.forbidden.message).to.equal(
        "Policy doesn't allow os_compute_api:os-aggregates:create to be performed.",
      );
      // As Nova: the body's schema is checked first.
      expect((await call('POST', '/os-aggregates', { aggregate: {} }, '2.1', alice)).status).to.equal(400);
      const disable = await call(
        'PUT',
        '/os-services/disable',
        { host: 'node-1', binary: 'nova-compute' },
        '2.1',
        alice,
      );
      expect(disable.body.forbidden.message).to.equal(
        "Policy doesn't allow os_compute_api:os-services:update to be performed.",
      );
      expect(
        (await suite.client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, 'node-1'))).spec.disabled,
      ).to.equal(false);
      expect(await kubeAggregateNamed('mine')).to.equal(undefined);
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

    it('concurrent add_host and set_metadata calls on one aggregate all land (retried on a conflict)', async () => {
      const agg = await call('POST', '/os-aggregates', { aggregate: { name: 'agg-race' } });
      const aid = agg.body.aggregate.id;
      const results = await Promise.all([
        call('POST', `/os-aggregates/${aid}/action`, { add_host: { host: 'node-1' } }),
        call('POST', `/os-aggregates/${aid}/action`, { add_host: { host: 'node-2' } }),
        call('POST', `/os-aggregates/${aid}/action`, { set_metadata: { metadata: { a: '1' } } }),
        call('POST', `/os-aggregates/${aid}/action`, { set_metadata: { metadata: { b: '2' } } }),
      ]);
      expect(results.map((r) => r.status)).to.deep.equal([200, 200, 200, 200]);
      const obj = await kubeAggregate(aid);
      expect([...(obj?.spec.hosts ?? [])].sort()).to.deep.equal(['node-1', 'node-2']);
      expect(obj?.spec.metadata).to.deep.equal({ a: '1', b: '2' });
      for (const host of ['node-1', 'node-2']) {
        await call('POST', `/os-aggregates/${aid}/action`, { remove_host: { host } });
      }
      expect((await call('DELETE', `/os-aggregates/${aid}`)).status).to.equal(200);
    });
  });

  describe('os-hypervisors', () => {
    it('list: integer ids before 2.53, uuids (the ComputeHost uid) from 2.53; state and status', async () => {
      const old = await call('GET', '/os-hypervisors');
      expect(old.status).to.equal(200);
      const names = old.body.hypervisors.map((h: { hypervisor_hostname: string }) => h.hypervisor_hostname);
      expect(names).to.include.members(['node-1', 'node-2']);
      const h1 = old.body.hypervisors.find(
        (h: { hypervisor_hostname: string }) => h.hypervisor_hostname === 'node-1',
      );
      expect(h1).to.have.all.keys('id', 'hypervisor_hostname', 'state', 'status');
      expect(h1.id).to.be.a('number');
      expect(h1).to.include({ state: 'up', status: 'enabled' });
      const ch = await suite.client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, 'node-1'));
      const v253 = await call(
        'GET',
        '/os-hypervisors?hypervisor_hostname_pattern=node-1&with_servers=true',
        undefined,
        '2.53',
      );
      expect(v253.status, JSON.stringify(v253.body)).to.equal(200);
      expect(v253.body.hypervisors).to.have.length(1);
      expect(v253.body.hypervisors[0].id).to.equal(ch.metadata.uid);
      expect(v253.body.hypervisors[0].servers.map((x: { uuid: string }) => x.uuid)).to.have.length.above(0);
      const none = await call('GET', '/os-hypervisors?hypervisor_hostname_pattern=zzz', undefined, '2.53');
      expect(none.status).to.equal(404);
      expect(none.body.itemNotFound.message).to.equal("No hypervisor matching 'zzz' could be found.");
      const bad = await call('GET', '/os-hypervisors?foo=1', undefined, '2.53');
      expect(bad.status).to.equal(400);
      expect(bad.body.badRequest.message).to.equal(
        "Additional properties are not allowed ('foo' was unexpected)",
      );
    });

    it('detail has the resource figures up to 2.87 and trims them (with uptime) at 2.88', async () => {
      const d287 = await call('GET', '/os-hypervisors/detail', undefined, '2.87');
      const h = d287.body.hypervisors.find(
        (x: { hypervisor_hostname: string }) => x.hypervisor_hostname === 'node-2',
      );
      expect(h).to.include({ vcpus: 16, memory_mb: 32768, local_gb: 400 });
      expect(h).to.include.keys('hypervisor_type', 'hypervisor_version', 'host_ip', 'running_vms');
      expect(h.cpu_info).to.be.an('object');
      expect(h.service).to.have.all.keys('id', 'host', 'disabled_reason');
      const d21 = await call('GET', '/os-hypervisors/detail');
      expect(d21.body.hypervisors[0].cpu_info).to.be.a('string');
      const d288 = await call('GET', '/os-hypervisors/detail', undefined, '2.88');
      const t = d288.body.hypervisors[0];
      expect(t).to.not.have.any.keys('vcpus', 'memory_mb', 'running_vms', 'cpu_info');
      expect(t).to.have.property('uptime', null);
      const show = await call('GET', `/os-hypervisors/${t.id}`, undefined, '2.88');
      expect(show.status).to.equal(200);
      expect(show.body.hypervisor.id).to.equal(t.id);
      expect(
        (await call('GET', '/os-hypervisors/not-a-uuid', undefined, '2.53')).body.badRequest.message,
      ).to.equal('Invalid uuid not-a-uuid');
      const h1 = (await call('GET', '/os-hypervisors')).body.hypervisors[0];
      const uptime = await call('GET', `/os-hypervisors/${h1.id}/uptime`);
      expect(uptime.status).to.equal(501);
      expect(uptime.body.notImplemented.message).to.equal('The requested functionality is not supported.');
      expect((await call('GET', `/os-hypervisors/${t.id}/uptime`, undefined, '2.88')).status).to.equal(404);
      const missing = await call('GET', '/os-hypervisors/12');
      expect(missing.status).to.equal(404);
      expect(missing.body.itemNotFound.message).to.equal("Hypervisor with ID '12' could not be found.");
    });

    it('statistics (≤2.87) sums the enabled hosts; search and servers (≤2.52) find by name', async () => {
      const stats = await call('GET', '/os-hypervisors/statistics', undefined, '2.87');
      expect(stats.status).to.equal(200);
      expect(stats.body.hypervisor_statistics).to.include({ count: 2, vcpus: 32, memory_mb: 65536 });
      expect((await call('GET', '/os-hypervisors/statistics', undefined, '2.88')).status).to.equal(404);
      const search = await call('GET', '/os-hypervisors/node/search', undefined, '2.52');
      expect(search.body.hypervisors).to.have.length(2);
      const servers = await call('GET', '/os-hypervisors/node-1/servers', undefined, '2.52');
      expect(servers.body.hypervisors[0].servers[0]).to.have.all.keys('name', 'uuid');
      expect((await call('GET', '/os-hypervisors/node/search', undefined, '2.53')).status).to.equal(404);
      const member = await call('GET', '/os-hypervisors', undefined, '2.1', alice);
      expect(member.status).to.equal(403);
      expect(member.body.forbidden.message).to.equal(
        "Policy doesn't allow os_compute_api:os-hypervisors:list to be performed.",
      );
    });
  });

  describe('os-services and os-availability-zone', () => {
    it('list: one nova-compute service per host with its zone; forced_down from 2.11', async () => {
      const res = await call('GET', '/os-services?binary=nova-compute', undefined, '2.11');
      expect(res.status).to.equal(200);
      const s1 = res.body.services.find((s: { host: string }) => s.host === 'node-1');
      expect(s1).to.have.all.keys(
        'binary',
        'host',
        'id',
        'zone',
        'status',
        'state',
        'updated_at',
        'disabled_reason',
        'forced_down',
      );
      expect(s1).to.include({
        binary: 'nova-compute',
        zone: 'nova',
        status: 'enabled',
        state: 'up',
        forced_down: false,
      });
      const old = await call('GET', '/os-services');
      expect(old.body.services[0]).to.not.have.property('forced_down');
      const strict = await call('GET', '/os-services?zone=nova', undefined, '2.75');
      expect(strict.status).to.equal(400);
      expect(strict.body.badRequest.message).to.equal(
        "Additional properties are not allowed ('zone' was unexpected)",
      );
    });

    it("nova-scheduler and nova-conductor are the operator's leader: up while it renews its Lease, stable ids, not updatable", async () => {
      const listed = await call('GET', '/os-services', undefined, '2.11');
      const control = listed.body.services.filter((s: { zone: string }) => s.zone === 'internal');
      expect(control.map((s: { binary: string }) => s.binary)).to.deep.equal([
        'nova-scheduler',
        'nova-conductor',
      ]);
      for (const s of control) {
        expect(s).to.include({
          host: suite.operator.identity,
          status: 'enabled',
          state: 'up',
          disabled_reason: null,
          forced_down: false,
        });
        expect(s.id).to.be.a('number');
        expect(s.updated_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
      }
      const byBinary = await call('GET', '/os-services?binary=nova-conductor', undefined, '2.53');
      expect(byBinary.body.services).to.have.length(1);
      const uuid = byBinary.body.services[0].id;
      const again = await call('GET', '/os-services?binary=nova-conductor', undefined, '2.53');
      expect(again.body.services[0].id).to.equal(uuid);
      const update = await call('PUT', `/os-services/${uuid}`, { status: 'disabled' }, '2.53');
      expect(update.status).to.equal(400);
      expect(update.body.badRequest.message).to.equal(
        'Updating a nova-conductor service is not supported. Only nova-compute services can be updated.',
      );
    });

    it('disable with a reason (≤2.52) writes the ComputeHost spec, and the scheduler skips the host', async () => {
      const res = await call('PUT', '/os-services/disable-log-reason', {
        host: 'node-1',
        binary: 'nova-compute',
        disabled_reason: 'maintenance',
      });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.service).to.deep.equal({
        host: 'node-1',
        binary: 'nova-compute',
        status: 'disabled',
        disabled_reason: 'maintenance',
      });
      const ch = await suite.client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, 'node-1'));
      expect(ch.spec).to.include({ disabled: true, disabledReason: 'maintenance' });
      const imageId = (await suite.client.list<Image>(collectionPath(IMAGES))).items[0]!.metadata.uid!;
      for (const name of ['d1', 'd2']) {
        const created = await gw.call('POST', '/v2.1/servers', {
          token: alice,
          body: { server: { name, flavorRef: '2', imageRef: imageId } },
        });
        const host = await eventually(`${name} placed`, async () => {
          const r = await gw.call('GET', `/v2.1/servers/${created.body.server.id}`, { token: admin });
          return r.body.server['OS-EXT-SRV-ATTR:host'] ?? undefined;
        });
        expect(host).to.equal('node-2');
      }
      const missing = await call('PUT', '/os-services/disable-log-reason', {
        host: 'node-1',
        binary: 'nova-compute',
      });
      expect(missing.body.badRequest.message).to.equal('Missing disabled reason field');
      const sched = await call('PUT', '/os-services/disable', { host: 'node-1', binary: 'nova-scheduler' });
      expect(sched.body.badRequest.message).to.equal(
        'Updating a nova-scheduler service is not supported. Only nova-compute services can be updated.',
      );
      const unknown = await call('PUT', '/os-services/disable', { host: 'nope', binary: 'nova-compute' });
      expect(unknown.status).to.equal(404);
      expect(unknown.body.itemNotFound.message).to.equal('Could not find binary nova-compute on host nope.');
      expect(
        (await call('PUT', '/os-services/force-down', { host: 'node-1', binary: 'nova-compute' })).status,
      ).to.equal(404);
    });

    it('zones: a zone with only disabled hosts is unavailable; detail is admin-only', async () => {
      const agg = await call('POST', '/os-aggregates', {
        aggregate: { name: 'zone-x', availability_zone: 'zx' },
      });
      await call('POST', `/os-aggregates/${agg.body.aggregate.id}/action`, { add_host: { host: 'node-1' } });
      const list = await call('GET', '/os-availability-zone', undefined, '2.1', alice);
      expect(list.status).to.equal(200);
      expect(list.body.availabilityZoneInfo).to.deep.equal([
        { zoneName: 'nova', zoneState: { available: true }, hosts: null },
        { zoneName: 'zx', zoneState: { available: false }, hosts: null },
      ]);
      expect((await call('GET', '/os-availability-zone/detail', undefined, '2.1', alice)).status).to.equal(
        403,
      );
      const detail = await call('GET', '/os-availability-zone/detail');
      expect(detail.body.availabilityZoneInfo[0].hosts['node-2']['nova-compute']).to.include({
        available: true,
        active: true,
      });
    });

    it('2.53: update by uuid enables and forces down; answers the whole service', async () => {
      const list = await call('GET', '/os-services', undefined, '2.53');
      const svc = list.body.services.find((s: { host: string }) => s.host === 'node-1');
      expect(svc.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const enabled = await call(
        'PUT',
        `/os-services/${svc.id}`,
        { status: 'enabled', forced_down: true },
        '2.53',
      );
      expect(enabled.status, JSON.stringify(enabled.body)).to.equal(200);
      expect(enabled.body.service).to.include({
        id: svc.id,
        status: 'enabled',
        state: 'down',
        forced_down: true,
        zone: 'zx',
      });
      const ch = await suite.client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, 'node-1'));
      expect(ch.spec).to.include({ disabled: false, forcedDown: true });
      expect(ch.spec).to.not.have.property('disabledReason');
      const empty = await call('PUT', `/os-services/${svc.id}`, {}, '2.53');
      expect(empty.body.badRequest.message).to.equal(
        "No updates were requested. Fields 'status' or 'forced_down' should be specified.",
      );
      const both = await call(
        'PUT',
        `/os-services/${svc.id}`,
        { status: 'enabled', disabled_reason: 'x' },
        '2.53',
      );
      expect(both.body.badRequest.message).to.equal(
        "Specifying 'disabled_reason' with status 'enabled' is invalid.",
      );
      const up = await call('PUT', `/os-services/${svc.id}`, { forced_down: false }, '2.53');
      expect(up.body.service).to.include({ state: 'up', forced_down: false });
    });

    it('delete: 409 while the host has servers; else the host leaves its aggregates and the ComputeHost goes', async () => {
      const list = await call('GET', '/os-services', undefined, '2.53');
      const svc1 = list.body.services.find((s: { host: string }) => s.host === 'node-1');
      const busy = await call('DELETE', `/os-services/${svc1.id}`, undefined, '2.53');
      expect(busy.status).to.equal(409);
      expect(busy.body.conflictingRequest.message).to.equal(
        'Unable to delete compute service that is hosting instances. Migrate or delete the instances first.',
      );
      await createFakeNode(suite.client, 'node-3', { cpu: 4, memoryMb: 4096, diskGb: 40 });
      await waitForHostsUp(suite.client, 3);
      const agg = await call('POST', '/os-aggregates', { aggregate: { name: 'to-leave' } });
      await call('POST', `/os-aggregates/${agg.body.aggregate.id}/action`, { add_host: { host: 'node-3' } });
      const old = await call('GET', '/os-services?host=node-3');
      const res = await call('DELETE', `/os-services/${old.body.services[0].id}`);
      expect(res.status).to.equal(204);
      expect(
        (await call('GET', `/os-aggregates/${agg.body.aggregate.id}`)).body.aggregate.hosts,
      ).to.deep.equal([]);
      expect((await call('DELETE', '/os-services/abc')).body.badRequest.message).to.equal(
        'Invalid input received: id must be an integer',
      );
      expect((await call('DELETE', '/os-services/1')).body.itemNotFound.message).to.equal(
        'Service 1 not found.',
      );
    });
  });
  describe('os-hosts (≤2.42)', () => {
    it('lists the enabled compute hosts with their zone; a zone filter; 404 from 2.43', async () => {
      const res = await call('GET', '/os-hosts');
      expect(res.status).to.equal(200);
      expect(res.body.hosts).to.deep.include.members([
        { host_name: 'node-1', service: 'compute', zone: 'zx' },
        { host_name: 'node-2', service: 'compute', zone: 'nova' },
      ]);
      expect((await call('GET', '/os-hosts?zone=zx')).body.hosts).to.deep.equal([
        { host_name: 'node-1', service: 'compute', zone: 'zx' },
      ]);
      expect((await call('GET', '/os-hosts', undefined, '2.43')).status).to.equal(404);
      const member = await call('GET', '/os-hosts', undefined, '2.1', alice);
      expect(member.body.forbidden.message).to.equal(
        "Policy doesn't allow os_compute_api:os-hosts:list to be performed.",
      );
    });

    it("show: the host's total, used now, used by its servers' flavors and per project", async () => {
      const res = await call('GET', '/os-hosts/node-1');
      expect(res.status).to.equal(200);
      const rows = res.body.host.map((r: { resource: Record<string, unknown> }) => r.resource);
      expect(rows[0]).to.deep.equal({
        host: 'node-1',
        project: '(total)',
        cpu: 16,
        memory_mb: 32768,
        disk_gb: 400,
      });
      expect(rows[1].project).to.equal('(used_now)');
      expect(rows[2]).to.deep.equal({
        host: 'node-1',
        project: '(used_max)',
        cpu: 1,
        memory_mb: 512,
        disk_gb: 1,
      });
      const adminProject = gw.gateway.ctx.identity.projectByName('admin')!.id;
      expect(rows[3]).to.deep.equal({
        host: 'node-1',
        project: adminProject,
        cpu: 1,
        memory_mb: 512,
        disk_gb: 1,
      });
      const missing = await call('GET', '/os-hosts/nope');
      expect(missing.status).to.equal(404);
      expect(missing.body.itemNotFound.message).to.equal('Compute host nope could not be found.');
    });

    it('update status disables and enables the ComputeHost; maintenance mode and power actions are 501', async () => {
      const off = await call('PUT', '/os-hosts/node-2', { status: 'Disable' });
      expect(off.status, JSON.stringify(off.body)).to.equal(200);
      expect(off.body).to.deep.equal({ host: 'node-2', status: 'disabled' });
      expect(
        (await suite.client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, 'node-2'))).spec.disabled,
      ).to.equal(true);
      const on = await call('PUT', '/os-hosts/node-2', { status: 'enable' });
      expect(on.body).to.deep.equal({ host: 'node-2', status: 'enabled' });
      expect(
        (await suite.client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, 'node-2'))).spec.disabled,
      ).to.equal(false);
      const bad = await call('PUT', '/os-hosts/node-2', { status: 'off' });
      expect(bad.status).to.equal(400);
      const maint = await call('PUT', '/os-hosts/node-2', { maintenance_mode: 'enable' });
      expect(maint.status).to.equal(501);
      expect(maint.body.notImplemented.message).to.equal('The requested functionality is not supported.');
      expect((await call('GET', '/os-hosts/node-2/reboot')).status).to.equal(501);
      const unknown = await call('GET', '/os-hosts/nope/shutdown');
      expect(unknown.status).to.equal(404);
      expect(unknown.body.itemNotFound.message).to.equal('Host nope could not be found.');
    });
  });
});
