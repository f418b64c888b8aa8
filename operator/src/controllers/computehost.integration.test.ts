// Compute host records on the real apiserver: capacity from the node and its pods, up and down
// from the heartbeat, enabled and disabled as an admin sets it.
import { expect } from 'chai';
import type { ComputeHost } from '../api/v1alpha1/index.ts';
import type { KubeClient } from '../kube/client.ts';
import { NODES, PODS, collectionPath, objectPath } from '../kube/resources.ts';
import type { Operator } from '../operator.ts';
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
import { COMPUTE_HOSTS, DRIVER_LABEL } from './computehost.ts';

const host = (client: KubeClient, name: string) => client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, name));

describe('Compute hosts from nodes (operator + fake driver, real apiserver)', function () {
  this.timeout(120_000);
  let suite: OperatorSuite;
  let client: KubeClient;
  let operator: Operator;

  before(async () => {
    suite = await startOperatorSuite({
      namespaces: ['demo'],
      setup: async (client) => {
        await createFakeNode(client, 'fake-1', { cpu: 8, memoryMb: 16384, diskGb: 100 });
        await createFlavor(client, 'm1.small', { vcpus: 1, ram: 1024, disk: 10 });
        await createImage(client, 'tiny');
      },
      config: { compute: { service_down_time: 3 } },
    });
    ({ client, operator } = suite);
  });

  after(async () => {
    await suite?.stop();
  });

  it("a labelled node gets a ComputeHost: up, fake driver, capacity = allocatable minus other pods' requests", async () => {
    const ch = await eventually('fake-1 up', async () => {
      const h = await host(client, 'fake-1');
      return h.status?.state === 'up' && h.status.capacity && h;
    });
    expect(ch.status!.driver).to.equal('fake');
    const reported = await eventually('hypervisor reported', async () => {
      const h = await host(client, 'fake-1');
      return h.status?.hypervisorType ? h : undefined;
    });
    expect(reported.status).to.include({ hypervisorType: 'fake', hypervisorVersion: 1000 });
    expect(ch.status!.capacity).to.deep.equal({ vcpus: 8, memoryMb: 16384, localGb: 100 });
    await client.create(collectionPath(PODS, 'demo'), {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'other-workload' },
      spec: {
        nodeName: 'fake-1',
        containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '2', memory: '4Gi' } } }],
      },
    });
    const after = await eventually('capacity reduced', async () => {
      const h = await host(client, 'fake-1');
      return h.status?.capacity?.vcpus === 6 && h;
    });
    expect(after.status!.capacity).to.deep.equal({ vcpus: 6, memoryMb: 12288, localGb: 100 });
  });

  it('a host whose driver never reports is down, and ComputeFilter keeps servers off it', async () => {
    // A Ready node labelled for the libvirt driver, whose agent never runs.
    await createFakeNode(client, 'silent-1', { cpu: 8, memoryMb: 16384, diskGb: 100 }, 'libvirt');
    const ch = await eventually('silent-1 recorded', async () => {
      const h = await host(client, 'silent-1').catch(() => undefined);
      return h?.status?.capacity && h;
    });
    expect(ch.status!.state).to.equal('down');
    const s = serverManifest('to-silent', 'm1.small', 'tiny');
    s.spec.host = 'silent-1';
    await createServer(client, 'demo', s);
    const refused = await eventually('to-silent ERROR', async () => {
      const x = await getServer(client, 'demo', 'to-silent');
      return x.status?.status === 'ERROR' && x;
    });
    expect(refused.status!.fault!.details).to.contain("'ComputeFilter: (start: 1, end: 0)'");
  });

  it('an admin-disabled host (disabled, with a reason) takes no new servers', async () => {
    await client.patch(objectPath(COMPUTE_HOSTS, 'fake-1'), {
      spec: { disabled: true, disabledReason: 'maintenance' },
    });
    await eventually(
      'disabled seen',
      async () => operator.informers.computeHosts.get('fake-1')?.spec.disabled,
    );
    await createServer(client, 'demo', serverManifest('while-disabled', 'm1.small', 'tiny'));
    const refused = await eventually('while-disabled ERROR', async () => {
      const x = await getServer(client, 'demo', 'while-disabled');
      return x.status?.status === 'ERROR' && x;
    });
    expect(refused.status!.fault!.details).to.contain("'ComputeFilter:");
    await client.patch(objectPath(COMPUTE_HOSTS, 'fake-1'), {
      spec: { disabled: false, disabledReason: null },
    });
  });

  it('a host whose heartbeats stop goes down after service_down_time', async () => {
    // Unlabelling the node takes it from the fake driver: no more heartbeats.
    await client.patch(objectPath(NODES, 'fake-1'), { metadata: { labels: { [DRIVER_LABEL]: null } } });
    const t0 = Date.now();
    await eventually(
      'fake-1 down',
      async () => (await host(client, 'fake-1')).status?.state === 'down',
      15_000,
    );
    expect((Date.now() - t0) / 1000).to.be.below(3 + 2 + 1); // service_down_time + report_interval + slack
  });
});
