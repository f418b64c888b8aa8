// BENCH usage_list_1000_p50_ms / _p99_ms: GET /v2.1/os-simple-tenant-usage?detailed=1 (admin,
// microversion 2.40) over 1,000 servers; BENCH migrations_list_1000_p50_ms / _p99_ms:
// GET /v2.1/os-migrations (2.80) over the same servers, each with a confirmed resize in its action
// log (two ServerActions per server). Both under autocannon (one connection, in a worker thread),
// against the gateway on a real kube-apiserver; everything is read from the informer caches.
import autocannon from 'autocannon';
import { API_VERSION } from '../../operator/src/api/kind.ts';
import type { Server, ServerAction } from '../../operator/src/api/v1alpha1/index.ts';
import { SERVERS } from '../../operator/src/controllers/server.ts';
import { SERVER_ACTIONS } from '../../operator/src/controllers/serveraction.ts';
import { KubeClient } from '../../operator/src/kube/client.ts';
import { collectionPath, objectPath } from '../../operator/src/kube/resources.ts';
import { ControlPlane } from '../../e2e/harness/controlplane.ts';
import { createFlavor, createImage, pool } from '../../e2e/harness/fixtures.ts';
import { startGateway } from '../../e2e/harness/gateway.ts';

const SERVER_COUNT = 1000;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
const NS = 'project-a';

const cp = await ControlPlane.start();
const client = await KubeClient.create(cp.kubeConfig);
try {
  const gw = await startGateway(cp, { bootstrap: { user: 'admin', password: 'secret', project: 'admin' } });
  await gw.addUser('alice', 'alice-pw', NS, 'member');
  await createFlavor(client, 'm1.small', { vcpus: 1, ram: 512, disk: 1, id: '2' });
  await createImage(client, 'cirros');

  const launched = new Date(Date.now() - 3_600_000).toISOString();
  const record = async (server: string, action: 'resize' | 'confirmResize', host: string) => {
    const a = await client.create<ServerAction>(collectionPath(SERVER_ACTIONS, NS), {
      apiVersion: API_VERSION,
      kind: 'ServerAction',
      metadata: { generateName: `${server}-` },
      spec: {
        server,
        action,
        admin: false,
        ...(action === 'resize' ? { parameters: { flavorRef: '2' } } : {}),
      },
    } as ServerAction);
    const now = new Date().toISOString();
    await client.patch(objectPath(SERVER_ACTIONS, a.metadata.name!, NS, 'status'), {
      status: {
        phase: 'Succeeded',
        startTime: now,
        finishTime: now,
        events: [{ event: 'e', startTime: now, finishTime: now, result: 'Success', host }],
      },
    });
  };
  await pool(
    Array.from({ length: SERVER_COUNT }, (_, i) => i),
    16,
    async (i) => {
      const name = `srv-${i}`;
      const s = await client.create<Server>(collectionPath(SERVERS, NS), {
        apiVersion: API_VERSION,
        kind: 'Server',
        metadata: { name },
        spec: { name, flavorRef: '2', imageRef: 'cirros' },
      } as unknown as Server);
      await client.patch(objectPath(SERVERS, s.metadata.name!, NS, 'status'), {
        status: {
          vmState: 'active',
          powerState: 'running',
          status: 'ACTIVE',
          host: `host-${i % 50}`,
          flavor: { id: '2', name: 'm1.small', vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0 },
          launchedAt: launched,
        },
      });
      await record(name, 'resize', `host-${(i + 1) % 50}`);
      await record(name, 'confirmResize', `host-${(i + 1) % 50}`);
    },
  );

  const token = await gw.token('admin', 'secret', 'admin');
  type Page = { tenant_usages?: { server_usages?: unknown[] }[]; migrations?: unknown[] };
  const run = async (label: string, path: string, version: string, ready: (body: Page) => boolean) => {
    const headers = { 'X-Auth-Token': token, 'OpenStack-API-Version': `compute ${version}` };
    for (;;) {
      const res = await gw.call('GET', `/v2.1${path}`, { token, headers });
      if (res.status !== 200) throw new Error(`warm-up ${path}: ${res.status} ${JSON.stringify(res.body)}`);
      if (ready(res.body)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const result = await autocannon({
      url: `${gw.url}/v2.1${path}`,
      headers,
      connections: 1,
      duration: DURATION_S,
      workers: 1,
    });
    if (result.non2xx || result.errors)
      throw new Error(`${path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    console.log(`BENCH ${label}_1000_p50_ms=${result.latency.p50} ms`);
    console.log(`BENCH ${label}_1000_p99_ms=${result.latency.p99} ms`);
  };
  await run(
    'usage_list',
    '/os-simple-tenant-usage?detailed=1',
    '2.40',
    (b) => b.tenant_usages?.[0]?.server_usages?.length === SERVER_COUNT,
  );
  await run('migrations_list', '/os-migrations', '2.80', (b) => b.migrations?.length === SERVER_COUNT);
  await gw.close();
} finally {
  await client.close();
  await cp.stop();
}
