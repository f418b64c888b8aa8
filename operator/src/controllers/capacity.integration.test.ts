// No overcommit under concurrency: more servers than room, created all at once.
import { expect } from 'chai';
import type { Server } from '../api/v1alpha1/index.ts';
import {
  createFakeNode,
  createFlavor,
  createImage,
  createServer,
  eventually,
  listServers,
  pool,
  serverManifest,
} from '../../../e2e/harness/fixtures.ts';
import { type OperatorSuite, startOperatorSuite } from '../../../e2e/harness/suite.ts';

const NS = 'storm';
const NODES = 20;
const PER_NODE = 10; // vCPUs per node, at cpu_allocation_ratio 1: room for 10 one-vCPU servers

describe('Scheduling under concurrency: no overcommit (operator + fake driver, real apiserver)', function () {
  this.timeout(180_000);
  let suite: OperatorSuite;

  before(async () => {
    suite = await startOperatorSuite({
      namespaces: [NS],
      setup: async (client) => {
        for (let i = 0; i < NODES; i++) {
          await createFakeNode(client, `fake-${i}`, { cpu: PER_NODE, memoryMb: 64 * 1024, diskGb: 1000 });
        }
        await createFlavor(client, 'm1.one', { vcpus: 1, ram: 512, disk: 1 });
        await createImage(client, 'tiny');
      },
      config: { compute: { cpu_allocation_ratio: 1 } },
      hostsUp: NODES,
    });
  });

  after(async () => {
    await suite?.stop();
  });

  it(`300 servers created at once against room for exactly ${NODES * PER_NODE}: 200 ACTIVE, 100 ERROR "No valid host", no host over capacity`, async () => {
    const names = Array.from({ length: 300 }, (_, i) => `s-${String(i).padStart(3, '0')}`);
    const { client, operator } = suite;
    await pool(names, 32, (n) => createServer(client, NS, serverManifest(n, 'm1.one', 'tiny')));
    const servers = await eventually(
      'every server ACTIVE or ERROR',
      async () => {
        const all = await listServers(client, NS);
        return all.every((s) => s.status?.status === 'ACTIVE' || s.status?.status === 'ERROR') && all;
      },
      120_000,
      500,
    );
    const active = servers.filter((s) => s.status!.status === 'ACTIVE');
    const errors = servers.filter((s) => s.status!.status === 'ERROR');
    expect(active).to.have.length(NODES * PER_NODE);
    expect(errors).to.have.length(300 - NODES * PER_NODE);
    for (const s of errors) {
      expect(s.status!.fault!.message).to.equal(
        'No valid host was found. There are not enough hosts available.',
      );
      expect(s.status!.fault!.details).to.contain(`'Placement: (start: ${NODES}, end: 0)'`);
    }
    const perHost = new Map<string, number>();
    for (const s of active)
      perHost.set(s.status!.host!, (perHost.get(s.status!.host!) ?? 0) + s.status!.flavor!.vcpus);
    expect([...perHost.values()].every((v) => v <= PER_NODE)).to.equal(true);
    expect(perHost.size).to.equal(NODES);
    // Every ACTIVE server has exactly its one VM on its host.
    const vms = new Map<string, string>();
    for (let i = 0; i < NODES; i++) {
      for (const uuid of await operator.fakeDriver!.listInstances(`fake-${i}`)) vms.set(uuid, `fake-${i}`);
    }
    expect(vms.size).to.equal(active.length);
    for (const s of active as Server[]) expect(vms.get(s.metadata.uid!)).to.equal(s.status!.host);
  });
});
