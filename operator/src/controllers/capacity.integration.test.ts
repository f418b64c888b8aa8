// No overcommit under concurrency: more servers than room, created all at once.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { ComputeHost, Server } from '../api/v1alpha1/index.ts';
import { loadConfig } from '../config.ts';
import { KubeClient } from '../kube/client.ts';
import { collectionPath } from '../kube/resources.ts';
import { Operator } from '../operator.ts';
import { ControlPlane } from '../../../e2e/harness/controlplane.ts';
import {
  createFakeNode,
  createFlavor,
  createImage,
  createNamespace,
  createServer,
  eventually,
  listServers,
  serverManifest,
} from '../../../e2e/harness/fixtures.ts';
import { COMPUTE_HOSTS } from './computehost.ts';

const NS = 'storm';
const NODES = 20;
const PER_NODE = 10; // vCPUs per node, at cpu_allocation_ratio 1: room for 10 one-vCPU servers

/** Runs fn over items with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

describe('Scheduling under concurrency: no overcommit (operator + fake driver, real apiserver)', function () {
  this.timeout(180_000);
  let cp: ControlPlane;
  let client: KubeClient;
  let operator: Operator;
  let running: Promise<void>;
  let stateDir: string;

  before(async () => {
    cp = await ControlPlane.start();
    client = await KubeClient.create(cp.kubeConfig);
    stateDir = mkdtempSync(join(tmpdir(), 'kova-fake-'));
    await createNamespace(client, 'kova-system');
    await createNamespace(client, NS);
    for (let i = 0; i < NODES; i++) {
      await createFakeNode(client, `fake-${i}`, { cpu: PER_NODE, memoryMb: 64 * 1024, diskGb: 1000 });
    }
    await createFlavor(client, 'm1.one', { vcpus: 1, ram: 512, disk: 1 });
    await createImage(client, 'tiny');
    const config = loadConfig(undefined, {
      leaderElection: { enabled: false },
      fake: { enabled: true, stateDir },
      compute: { cpu_allocation_ratio: 1, report_interval: 1 },
    });
    operator = await Operator.create({ kubeConfig: cp.kubeConfig, config, log: pino({ level: 'warn' }) });
    running = operator.run();
    await eventually(`${NODES} hosts up`, async () => {
      const hosts = (await client.list<ComputeHost>(collectionPath(COMPUTE_HOSTS))).items;
      return hosts.filter((h) => h.status?.state === 'up' && h.status.capacity).length === NODES;
    });
  });

  after(async () => {
    await operator?.stop();
    await running;
    await client?.close();
    await cp?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it(`300 servers created at once against room for exactly ${NODES * PER_NODE}: 200 ACTIVE, 100 ERROR "No valid host", no host over capacity`, async () => {
    const names = Array.from({ length: 300 }, (_, i) => `s-${String(i).padStart(3, '0')}`);
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
