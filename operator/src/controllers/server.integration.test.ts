// The build and delete path of a server, with the operator in-process and the fake driver, on a
// real apiserver (Kubebuilder's suite pattern: one control plane for the suite).
import { isDeepStrictEqual } from 'node:util';
import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type {
  Aggregate,
  ComputeHost,
  Keypair,
  ProjectQuota,
  Server,
  ServerAction,
} from '../api/v1alpha1/index.ts';
import type { KubeClient } from '../kube/client.ts';
import { isNotFound } from '../kube/client.ts';
import { collectionPath, objectPath } from '../kube/resources.ts';
import { repoRoot } from '../../../e2e/harness/tools.ts';
import { KEYPAIRS } from './keypair.ts';
import { AGGREGATES } from './aggregate.ts';
import { SERVER_ACTIONS } from './serveraction.ts';
import { PROJECT_QUOTAS } from './projectquota.ts';
import type { Operator } from '../operator.ts';
import type { ControlPlane } from '../../../e2e/harness/controlplane.ts';
import { type OperatorSuite, startOperatorSuite } from '../../../e2e/harness/suite.ts';
import {
  createFakeNode,
  createFlavor,
  createImage,
  createServer,
  eventually,
  getServer,
  serverManifest,
} from '../../../e2e/harness/fixtures.ts';
import { hostId } from '../compute/server.ts';
import { COMPUTE_HOSTS } from './computehost.ts';
import { SERVERS } from './server.ts';

const NS = 'demo';

describe('Server build and delete (operator + fake driver, real apiserver)', function () {
  this.timeout(120_000);
  let suite: OperatorSuite;
  let cp: ControlPlane;
  let client: KubeClient;
  let operator: Operator;
  let stateDir: string;

  before(async () => {
    suite = await startOperatorSuite({
      namespaces: [NS],
      setup: async (client) => {
        await createFakeNode(client, 'node-1', { cpu: 4, memoryMb: 8192 + 512, diskGb: 100 });
        await createFlavor(client, 'm1.small', { id: '2', vcpus: 1, ram: 2048, disk: 20 });
        await createImage(client, 'tiny');
      },
      config: { compute: { cpu_allocation_ratio: 1 } },
      hostsUp: 1,
    });
    ({ cp, client, operator, stateDir } = suite);
  });

  after(async () => {
    await suite?.stop();
  });

  it('a Server applied with kubectl goes BUILD → ACTIVE on a fake node with Nova status fields', async () => {
    const manifest = [
      'apiVersion: compute.kova.io/v1alpha1',
      'kind: Server',
      'metadata: {name: web-1}',
      'spec: {name: web-1, flavorRef: m1.small, imageRef: tiny}',
    ].join('\n');
    const applied = await cp.kubectl(['apply', '-n', NS, '-f', '-'], manifest);
    expect(applied.stderr).to.equal('');
    const seen = new Set<string>();
    const server = await eventually(
      'web-1 ACTIVE',
      async () => {
        const s = await getServer(client, NS, 'web-1');
        if (s.status?.status) seen.add(`${s.status.status}/${s.status.vmState}/${s.status.taskState ?? '-'}`);
        return s.status?.status === 'ACTIVE' && s;
      },
      30_000,
      5,
    );
    // kubectl users wait on the Ready condition, as for any Kubernetes object.
    const waited = await cp.kubectl([
      'wait',
      '-n',
      NS,
      '--for=condition=Ready',
      'server/web-1',
      '--timeout=30s',
    ]);
    expect(waited.stdout.trim()).to.equal('server.compute.kova.io/web-1 condition met');
    const st = server.status!;
    expect(st.vmState).to.equal('active');
    expect(st.taskState).to.equal(undefined);
    expect(st.powerState).to.equal('running');
    expect(st.host).to.equal('node-1');
    expect(st.hostId).to.equal(hostId(NS, 'node-1'));
    expect(st.flavor).to.deep.include({ id: '2', name: 'm1.small', vcpus: 1, ram: 2048, disk: 20 });
    expect(st.image?.name).to.equal('tiny');
    expect(st.addresses?.[0]).to.include({ network: 'private', version: 4, type: 'fixed' });
    expect(st.launchedAt).to.be.a('string');
    expect(server.metadata.finalizers).to.include('compute.kova.io/server');
    // Every state it was seen in is one Nova passes through while building.
    for (const s of seen)
      expect([
        'BUILD/building/scheduling',
        'BUILD/building/networking',
        'BUILD/building/spawning',
        'ACTIVE/active/-',
      ]).to.include(s);
    expect(readdirSync(join(stateDir, 'node-1'))).to.deep.equal([`${server.metadata.uid}.json`]);

    const ch = await eventually('usage on node-1', async () => {
      const h = await client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, 'node-1'));
      return h.status?.usage?.runningVms === 1 && h;
    });
    expect(ch.status!.usage).to.deep.equal({ vcpus: 1, memoryMb: 2048, localGb: 20, runningVms: 1 });
  });

  it('deleting it destroys the VM, releases the finalizer and frees its host', async () => {
    const server = await getServer(client, NS, 'web-1');
    const deleted = await cp.kubectl(['delete', '-n', NS, 'server', 'web-1', '--wait=true', '--timeout=30s']);
    expect(deleted.stderr).to.equal('');
    await eventually('web-1 gone', async () =>
      client.get(objectPath(SERVERS, 'web-1', NS)).then(
        () => false,
        (e: unknown) => isNotFound(e),
      ),
    );
    expect(readdirSync(join(stateDir, 'node-1'))).to.not.include(`${server.metadata.uid}.json`);
    const ch = await eventually('node-1 freed', async () => {
      const h = await client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, 'node-1'));
      return h.status?.usage?.vcpus === 0 && h;
    });
    expect(ch.status!.usage).to.deep.equal({ vcpus: 0, memoryMb: 0, localGb: 0, runningVms: 0 });
  });

  it('a server whose flavor does not exist goes to ERROR with a fault', async () => {
    await createServer(client, NS, serverManifest('bad-flavor', 'm9.huge', 'tiny'));
    const s = await eventually('bad-flavor ERROR', async () => {
      const x = await getServer(client, NS, 'bad-flavor');
      return x.status?.status === 'ERROR' && x;
    });
    expect(s.status!.fault).to.include({ code: 400, message: 'Flavor m9.huge could not be found.' });
  });

  it('a server no host can take goes to ERROR with "No valid host" naming the filters', async () => {
    await createFlavor(client, 'm1.huge', { vcpus: 64, ram: 2048, disk: 1 });
    await createServer(client, NS, serverManifest('too-big', 'm1.huge', 'tiny'));
    const s = await eventually('too-big ERROR', async () => {
      const x = await getServer(client, NS, 'too-big');
      return x.status?.status === 'ERROR' && x;
    });
    expect(s.status!.fault!.code).to.equal(500);
    expect(s.status!.fault!.message).to.equal(
      'No valid host was found. There are not enough hosts available.',
    );
    expect(s.status!.fault!.details).to.contain("'Placement: (start: 1, end: 0)'");
    // Its instance-action log: a failed 'create', as `openstack server event list` shows.
    const record = await eventually('create record finished', async () => {
      const a = await client.get<ServerAction>(objectPath(SERVER_ACTIONS, 'too-big-create', NS));
      return a.status?.phase && a;
    });
    expect(record.status).to.include({
      phase: 'Failed',
      message: 'No valid host was found. There are not enough hosts available.',
    });
    expect(record.status!.events![0]).to.include({
      event: 'compute__do_build_and_run_instance',
      result: 'Error',
    });
  });

  it('a failed build is rescheduled to another host and can succeed there', async () => {
    for (const n of ['node-2', 'node-3'])
      await createFakeNode(client, n, { cpu: 4, memoryMb: 8192 + 512, diskGb: 100 });
    await eventually('three hosts up', async () => {
      const hosts = await Promise.all(
        ['node-2', 'node-3'].map((n) => client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, n))),
      );
      return hosts.every((h) => h.status?.state === 'up' && h.status.capacity);
    });
    let failedOn: string | undefined;
    operator.fakeDriver!.failSpawn = (i) => {
      if (i.displayName !== 'flaky-once' || (failedOn && failedOn !== i.host)) return undefined;
      failedOn = i.host;
      return 'injected spawn failure';
    };
    try {
      await createServer(client, NS, serverManifest('flaky-once', 'm1.small', 'tiny'));
      const s = await eventually('flaky-once ACTIVE', async () => {
        const x = await getServer(client, NS, 'flaky-once');
        return x.status?.status === 'ACTIVE' && x;
      });
      expect(failedOn).to.be.a('string');
      expect(s.status!.host).to.not.equal(failedOn);
      expect(s.status!.retry).to.equal(undefined);
      expect(readdirSync(join(stateDir, failedOn!))).to.not.include(`${s.metadata.uid}.json`);
    } finally {
      delete operator.fakeDriver!.failSpawn;
    }
  });

  it('a build failing on every attempt goes to ERROR after max_attempts (MaxRetriesExceeded)', async () => {
    operator.fakeDriver!.failSpawn = (i) =>
      i.displayName === 'flaky' ? 'injected spawn failure' : undefined;
    try {
      await createServer(client, NS, serverManifest('flaky', 'm1.small', 'tiny'));
      const s = await eventually('flaky ERROR', async () => {
        const x = await getServer(client, NS, 'flaky');
        return x.status?.status === 'ERROR' && x;
      });
      expect(s.status!.retry!.numAttempts).to.equal(3); // max_attempts
      expect(s.status!.retry!.hosts).to.have.length(3);
      expect(s.status!.host).to.equal(undefined);
      expect(s.status!.fault!.message).to.equal(
        `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${s.metadata.uid}.`,
      );
      expect(s.status!.fault!.details).to.equal('injected spawn failure');
      for (const n of ['node-1', 'node-2', 'node-3']) {
        expect(await operator.fakeDriver!.listInstances(n)).to.not.include(s.metadata.uid);
      }
    } finally {
      delete operator.fakeDriver!.failSpawn;
    }
  });

  it('a Keypair gets its Nova fingerprint, and Aggregates get distinct integer ids', async () => {
    await cp.kubectl([
      'apply',
      '-f',
      join(repoRoot, 'examples', 'keypair.yaml'),
      '-f',
      join(repoRoot, 'examples', 'aggregate.yaml'),
    ]);
    await cp.kubectl(
      ['create', '-f', '-'],
      'apiVersion: compute.kova.io/v1alpha1\nkind: Aggregate\nmetadata: {name: second}\nspec: {name: second}\n',
    );
    const kp = await eventually('fingerprint', async () => {
      const k = await client.get<Keypair>(objectPath(KEYPAIRS, 'demo.demo'));
      return k.status?.fingerprint ? k : undefined;
    });
    expect(kp.status!.fingerprint).to.equal('b0:8a:fc:d8:76:93:9a:79:f7:42:57:a0:3e:9b:a7:19');
    const ids = await eventually('aggregate ids', async () => {
      const list = (await client.list<Aggregate>(collectionPath(AGGREGATES))).items;
      return list.every((a) => a.status?.id) && list.map((a) => a.status!.id!);
    });
    expect([...ids].sort()).to.deep.equal([1, 2]);
  });

  it("a project's ProjectQuota shows what the project uses (instances, cores, RAM, server groups)", async () => {
    await cp.kubectl(['apply', '-n', NS, '-f', join(repoRoot, 'examples', 'projectquota.yaml')]);
    // What the servers' own records say the project uses, read again on each poll.
    const expectedUse = async () => {
      const servers = (await client.list<Server>(collectionPath(SERVERS, NS))).items.filter(
        (x) => !x.metadata.deletionTimestamp,
      );
      return {
        instances: servers.length,
        cores: servers.reduce((t, x) => t + (x.status?.flavor?.vcpus ?? 0), 0),
        ram: servers.reduce((t, x) => t + (x.status?.flavor?.ram ?? 0), 0),
        serverGroups: 0,
      };
    };
    const { quota, expected } = await eventually('usage recorded', async () => {
      const q = await client.get<ProjectQuota>(objectPath(PROJECT_QUOTAS, 'default', NS));
      const e = await expectedUse();
      return isDeepStrictEqual(q.status?.used, e) ? { quota: q, expected: e } : undefined;
    });
    expect(expected.instances).to.be.above(0);
    expect(quota.status!.used).to.deep.equal(expected);
  });
});
