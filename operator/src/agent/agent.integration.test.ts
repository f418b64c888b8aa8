// The agent's logic on a real apiserver with an in-memory libvirt (no QEMU): what it reports,
// what it builds, how it follows lifecycle events, what it sweeps.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  createFakeNode,
  createFlavor,
  createServer,
  eventually,
  getServer,
  serverManifest,
} from '../../../e2e/harness/fixtures.ts';
import { type OperatorSuite, startOperatorSuite } from '../../../e2e/harness/suite.ts';
import { API_VERSION } from '../api/kind.ts';
import type { ComputeHost } from '../api/v1alpha1/index.ts';
import { COMPUTE_HOSTS } from '../controllers/computehost.ts';
import { IMAGES } from '../controllers/server.ts';
import { domainName } from '../drivers/libvirt/driver.ts';
import { FakeLibvirt } from '../drivers/libvirt/fake.ts';
import { collectionPath, objectPath } from '../kube/resources.ts';
import { Agent } from './agent.ts';

describe('libvirt agent logic (in-memory libvirt, real apiserver)', function () {
  this.timeout(60_000);
  let suite: OperatorSuite;
  let dir: string;
  let libvirt: FakeLibvirt;
  let agent: Agent;
  let running: Promise<void>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kova-agent-'));
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', join(dir, 'root.raw'), '1M']);
    suite = await startOperatorSuite({
      namespaces: ['demo'],
      setup: async (client) => {
        await createFakeNode(client, 'lv-a', { cpu: 2, memoryMb: 2048, diskGb: 10 }, 'libvirt');
        await createFlavor(client, 'm1.nano', { vcpus: 1, ram: 128, disk: 1 });
        await client.create(collectionPath(IMAGES), {
          apiVersion: API_VERSION,
          kind: 'Image',
          metadata: { name: 'blank' },
          spec: {
            name: 'blank',
            diskFormat: 'raw',
            visibility: 'public',
            source: { nodePath: join(dir, 'root.raw') },
          },
        });
      },
    });
    libvirt = new FakeLibvirt();
    agent = await Agent.create({
      kubeConfig: suite.cp.kubeConfig,
      node: 'lv-a',
      stateDir: join(dir, 'instances'),
      libvirt,
      reportInterval: 1,
      imageCacheManagerInterval: 1,
      shutdownTimeout: 2,
      log: pino({ level: process.env.KOVA_TEST_LOG ?? 'warn' }),
    });
    running = agent.run();
  });

  after(async () => {
    await agent?.stop();
    await running;
    await suite?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reports the hypervisor's CPUs and memory (not the Node's), type, version and cpu_info, and heartbeats", async () => {
    const ch = await eventually('lv-a reported', async () => {
      const h = await suite.client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, 'lv-a'));
      return (
        h.status?.hypervisorType === 'QEMU' &&
        h.status.state === 'up' &&
        h.status.capacity?.memoryMb === 8192 &&
        h
      );
    });
    expect(ch.status!.capacity!.vcpus).to.equal(4); // the fake hypervisor's, not the Node's 2
    expect(ch.status!.hypervisorVersion).to.equal(7_002_022);
    expect(ch.status!.cpuInfo).to.deep.include({ arch: 'x86_64', model: 'qemu64', vendor: 'AMD' });
  });

  it('builds a server bound to its node into a running domain with a config drive', async () => {
    await createServer(suite.client, 'demo', serverManifest('web', 'm1.nano', 'blank'));
    const s = await eventually('web ACTIVE', async () => {
      const x = await getServer(suite.client, 'demo', 'web');
      return x.status?.status === 'ACTIVE' && x;
    });
    const dom = libvirt.domains.get(domainName(s.metadata.uid!));
    expect(dom?.state).to.equal('running');
    expect(dom!.xml).to.include('disk.config');
  });

  it("follows a lifecycle event: a guest's own shutdown stops the server (spec.powerState stopped)", async () => {
    const uid = (await getServer(suite.client, 'demo', 'web')).metadata.uid!;
    await libvirt.shutdown(domainName(uid));
    const s = await eventually('web SHUTOFF', async () => {
      const x = await getServer(suite.client, 'demo', 'web');
      return x.status?.status === 'SHUTOFF' && !x.status.taskState && x;
    });
    expect(s.spec.powerState).to.equal('stopped');
    expect(s.status!.powerState).to.equal('shutdown');
  });

  it('sweeps a domain no server owns (a delete done while the agent was away)', async () => {
    const orphan = domainName('6f1c3b8e-0000-4000-8000-0000000000ee');
    await libvirt.define(`<domain><name>${orphan}</name></domain>`);
    await libvirt.start(orphan);
    await eventually('orphan swept', async () => !libvirt.domains.has(orphan), 10_000);
    expect(libvirt.calls).to.include(`undefine ${orphan}`);
  });
});
