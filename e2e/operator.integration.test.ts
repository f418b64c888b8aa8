// kova-operator as real processes: SIGKILL at random points of a build storm, and two replicas
// electing a leader. Nothing may be bound twice, overcommitted or orphaned.
import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ComputeHost, Server } from '../operator/src/api/v1alpha1/index.ts';
import type { DeepPartial, OperatorConfig } from '../operator/src/config.ts';
import { COMPUTE_HOSTS } from '../operator/src/controllers/computehost.ts';
import { KubeClient } from '../operator/src/kube/client.ts';
import { LEASES, collectionPath, objectPath } from '../operator/src/kube/resources.ts';
import { ControlPlane } from './harness/controlplane.ts';
import {
  BindingRecorder,
  createFakeNode,
  createFlavor,
  createImage,
  createNamespace,
  createServer,
  eventually,
  listServers,
  pool,
  serverManifest,
} from './harness/fixtures.ts';
import { type OperatorProcess, startOperator } from './harness/operator-process.ts';

const NODES = 10;
const VCPUS = 20; // per node; 10 nodes: room for 200 one-vCPU servers (the storm uses 100, the HA test 40)

/** The fake VMs on disk: Nova id -> host. */
function fakeVMs(stateDir: string): Map<string, string> {
  const vms = new Map<string, string>();
  for (const host of readdirSync(stateDir)) {
    for (const f of readdirSync(join(stateDir, host))) if (f.endsWith('.json')) vms.set(f.slice(0, -5), host);
  }
  return vms;
}

/** Port of a running operator's /metrics, from its start-up log line. */
async function metricsPort(op: OperatorProcess): Promise<number> {
  return eventually(`${op.identity} metrics port`, async () => {
    const line = op
      .log()
      .split('\n')
      .find((l) => l.includes('kova-operator started'));
    return line ? (JSON.parse(line) as { metrics: { port: number } }).metrics.port : undefined;
  });
}

async function reconciles(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('kova_reconcile_total{'))
    .reduce((t, l) => t + Number(l.split(' ').at(-1)), 0);
}

describe('kova-operator processes (real apiserver, fake driver)', function () {
  this.timeout(240_000);
  let cp: ControlPlane;
  let client: KubeClient;
  let stateDir: string;
  let recorder: BindingRecorder;
  const processes: OperatorProcess[] = [];

  const config = (): DeepPartial<OperatorConfig> => ({
    fake: { enabled: true, stateDir },
    compute: { cpu_allocation_ratio: 1, report_interval: 2 },
    logLevel: 'info',
  });
  const start = (identity: string, over: DeepPartial<OperatorConfig> = {}) => {
    const op = startOperator(cp, { ...config(), ...over }, identity);
    processes.push(op);
    return op;
  };
  const kill = async (op: OperatorProcess) => {
    op.child.kill('SIGKILL');
    await op.exited;
  };

  before(async () => {
    cp = await ControlPlane.start();
    client = await KubeClient.create(cp.kubeConfig);
    stateDir = mkdtempSync(join(tmpdir(), 'kova-fake-'));
    await createNamespace(client, 'kova-system');
    for (let i = 0; i < NODES; i++)
      await createFakeNode(client, `fake-${i}`, { cpu: VCPUS, memoryMb: 65536, diskGb: 1000 });
    await createFlavor(client, 'm1.one', { vcpus: 1, ram: 512, disk: 1 });
    await createImage(client, 'tiny');
    recorder = new BindingRecorder(client);
    await recorder.start();
  });

  // A failed test must not leave its operator leading the next one.
  afterEach(async () => {
    for (const p of processes) p.child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
  });

  after(async () => {
    recorder?.stop();
    await client?.close();
    await cp?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('SIGKILL at random points of a 100-server build storm, then a restart: all ACTIVE or ERROR, each bound once, no orphaned VM', async () => {
    await createNamespace(client, 'storm');
    let op = start('storm-op');
    await eventually(`${NODES} hosts up`, async () => {
      const hosts = (await client.list<ComputeHost>(collectionPath(COMPUTE_HOSTS))).items;
      return hosts.filter((h) => h.status?.state === 'up').length === NODES;
    });
    const creating = pool(
      Array.from({ length: 100 }, (_, i) => `s-${i}`),
      8,
      (n) => createServer(client, 'storm', serverManifest(n, 'm1.one', 'tiny')),
    );
    const kills: string[] = [];
    for (let round = 0; round < 4; round++) {
      await sleep(150 + Math.floor(Math.random() * 900));
      const now = await listServers(client, 'storm');
      kills.push(`${now.length} created/${now.filter((s) => s.status?.status === 'ACTIVE').length} ACTIVE`);
      await kill(op);
      op = start('storm-op'); // a restarted pod keeps its name, and so its leader identity
    }
    await creating;
    console.log(`      SIGKILLed at: ${kills.join('; ')}`);
    const servers = await eventually(
      'every server ACTIVE or ERROR',
      async () => {
        const all = await listServers(client, 'storm');
        return (
          all.length === 100 && all.every((s) => ['ACTIVE', 'ERROR'].includes(s.status?.status ?? '')) && all
        );
      },
      120_000,
      500,
    );
    const active = servers.filter((s) => s.status!.status === 'ACTIVE');
    expect(active.length, `killed at ${kills.join('; ')}`).to.equal(100); // there is room: none may fail
    expect(recorder.reboundServers()).to.deep.equal([]);
    for (const [host, peak] of recorder.peakVcpus) expect(peak, host).to.be.at.most(VCPUS);
    // The orphan sweep runs at each start; the VMs on disk are exactly the ACTIVE servers'.
    const vms = fakeVMs(stateDir);
    expect(vms.size).to.equal(active.length);
    for (const s of active) expect(vms.get(s.metadata.uid!)).to.equal(s.status!.host);
  });

  it('two replicas: only the leader reconciles; killing it hands over within 15 s; nothing is bound twice', async () => {
    await createNamespace(client, 'ha');
    const a = start('replica-a');
    await eventually('replica-a leads', async () => {
      const lease = await client.get<{ spec: { holderIdentity?: string } }>(
        objectPath(LEASES, 'kova-operator', 'kova-system'),
      );
      return lease.spec.holderIdentity === 'replica-a';
    });
    const b = start('replica-b');
    const [portA, portB] = [await metricsPort(a), await metricsPort(b)];
    await pool(
      Array.from({ length: 20 }, (_, i) => `before-${i}`),
      8,
      (n) => createServer(client, 'ha', serverManifest(n, 'm1.one', 'tiny')),
    );
    await eventually(
      '20 ACTIVE',
      async () =>
        (await listServers(client, 'ha')).filter((s) => s.status?.status === 'ACTIVE').length === 20,
    );
    expect(await reconciles(portA)).to.be.above(0);
    expect(await reconciles(portB)).to.equal(0);
    // Both replicas serve health: the standby is ready (its caches are warm), only idle.
    for (const port of [portA, portB]) {
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).to.equal(200);
    }

    const killedAt = Date.now();
    await kill(a);
    await eventually(
      'replica-b leads',
      async () => {
        const lease = await client.get<{ spec: { holderIdentity?: string } }>(
          objectPath(LEASES, 'kova-operator', 'kova-system'),
        );
        return lease.spec.holderIdentity === 'replica-b';
      },
      30_000,
      50,
    );
    const handover = (Date.now() - killedAt) / 1000;
    console.log(`      leader handover after SIGKILL: ${handover.toFixed(1)} s`);
    expect(handover).to.be.below(15);

    await pool(
      Array.from({ length: 20 }, (_, i) => `after-${i}`),
      8,
      (n) => createServer(client, 'ha', serverManifest(n, 'm1.one', 'tiny')),
    );
    const all = await eventually('40 ACTIVE', async () => {
      const list: Server[] = await listServers(client, 'ha');
      return list.filter((s) => s.status?.status === 'ACTIVE').length === 40 && list;
    });
    expect(await reconciles(portB)).to.be.above(0);
    expect(recorder.reboundServers()).to.deep.equal([]);
    expect(new Set(all.map((s) => s.status!.host)).size).to.be.above(1);
  });
});
