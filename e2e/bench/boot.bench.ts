// BENCH boot_servers_per_s: 500 servers on 50 fake nodes, from creation to ACTIVE, with the
// operator as its own process on a real apiserver. BENCH api_writes_per_server: every mutating
// request the apiserver served during the run (its apiserver_request_total), per server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ComputeHost } from '../../operator/src/api/v1alpha1/index.ts';
import { COMPUTE_HOSTS } from '../../operator/src/controllers/computehost.ts';
import { KubeClient } from '../../operator/src/kube/client.ts';
import { collectionPath } from '../../operator/src/kube/resources.ts';
import { ControlPlane } from '../harness/controlplane.ts';
import {
  createFakeNode,
  createFlavor,
  createImage,
  createNamespace,
  createServer,
  eventually,
  listServers,
  serverManifest,
} from '../harness/fixtures.ts';
import { startOperator } from '../harness/operator-process.ts';

const SERVERS = 500;
const NODES = 50;

/** Mutating requests served by the apiserver so far, by resource. */
async function writes(client: KubeClient): Promise<Map<string, number>> {
  const text = await client.request<string>('GET', '/metrics');
  const out = new Map<string, number>();
  for (const line of String(text).split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const verb = /verb="([A-Z]+)"/.exec(line)?.[1] ?? '';
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(verb)) continue;
    const resource = /resource="([^"]*)"/.exec(line)?.[1] ?? '';
    const sub = /subresource="([^"]*)"/.exec(line)?.[1];
    const key = `${verb} ${resource}${sub ? `/${sub}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.split(' ').at(-1)));
  }
  return out;
}

const cp = await ControlPlane.start();
const stateDir = mkdtempSync(join(tmpdir(), 'kova-bench-'));
try {
  const client = await KubeClient.create(cp.kubeConfig);
  await createNamespace(client, 'kova-system');
  await createNamespace(client, 'bench');
  for (let i = 0; i < NODES; i++)
    await createFakeNode(client, `fake-${i}`, { cpu: 32, memoryMb: 131072, diskGb: 4000 });
  await createFlavor(client, 'm1.tiny', { vcpus: 1, ram: 512, disk: 1 });
  await createImage(client, 'tiny');
  const op = startOperator(cp, { fake: { enabled: true, stateDir }, logLevel: 'warn' }, 'bench-op');
  await eventually(
    `${NODES} hosts up`,
    async () =>
      (await client.list<ComputeHost>(collectionPath(COMPUTE_HOSTS))).items.filter(
        (h) => h.status?.state === 'up',
      ).length === NODES,
    60_000,
  );
  const before = await writes(client);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < SERVERS) {
        const i = next++;
        await createServer(client, 'bench', serverManifest(`b-${i}`, 'm1.tiny', 'tiny'));
      }
    }),
  );
  await eventually(
    `${SERVERS} ACTIVE`,
    async () =>
      (await listServers(client, 'bench')).filter((s) => s.status?.status === 'ACTIVE').length === SERVERS,
    300_000,
    200,
  );
  const seconds = (performance.now() - t0) / 1000;
  const after = await writes(client);
  let total = 0;
  const breakdown: string[] = [];
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) breakdown.push(`${k}=${(d / SERVERS).toFixed(2)}`);
    total += d;
  }
  console.log(
    `# ${SERVERS} servers on ${NODES} fake nodes in ${seconds.toFixed(1)} s; writes per server: ${breakdown.sort().join(' ')}`,
  );
  console.log(`BENCH boot_servers_per_s=${(SERVERS / seconds).toFixed(1)} 1/s`);
  console.log(`BENCH api_writes_per_server=${(total / SERVERS).toFixed(2)} 1`);
  op.child.kill('SIGTERM');
  await op.exited;
  await client.close();
} finally {
  await cp.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
