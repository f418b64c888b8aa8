// BENCH servers_detail_1000_p50_ms / _p99_ms: GET /v2.1/servers/detail (1,000 servers, one
// project, a member's token, microversion 2.93) under autocannon (one connection, in a worker
// thread), against the gateway on a real kube-apiserver.
// BENCH servers_detail_apiserver_requests: the requests the gateway sent to the apiserver while
// serving those reads once warm (KubeClient's onRequest hook, as /metrics counts them): the reads
// come from the informer caches and the SubjectAccessReview answer is cached, so the goal is 0.
import autocannon from 'autocannon';
import { API_VERSION } from '../../operator/src/api/kind.ts';
import type { Server } from '../../operator/src/api/v1alpha1/index.ts';
import { SERVERS } from '../../operator/src/controllers/server.ts';
import { KubeClient } from '../../operator/src/kube/client.ts';
import { collectionPath, objectPath } from '../../operator/src/kube/resources.ts';
import { ControlPlane } from '../../e2e/harness/controlplane.ts';
import { createFlavor, createImage, pool } from '../../e2e/harness/fixtures.ts';
import { startGateway } from '../../e2e/harness/gateway.ts';

const SERVER_COUNT = 1000;
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);

const cp = await ControlPlane.start();
const client = await KubeClient.create(cp.kubeConfig);
try {
  const gw = await startGateway(cp, { bootstrap: { user: 'admin', password: 'secret', project: 'admin' } });
  await gw.addUser('alice', 'alice-pw', 'project-a', 'member');
  await createFlavor(client, 'm1.small', { vcpus: 1, ram: 512, disk: 1, id: '2' });
  await createImage(client, 'cirros');

  // 1,000 servers as the operator leaves them once ACTIVE.
  const indexes = Array.from({ length: SERVER_COUNT }, (_, i) => i);
  await pool(indexes, 16, async (i) => {
    const s = await client.create<Server>(collectionPath(SERVERS, 'project-a'), {
      apiVersion: API_VERSION,
      kind: 'Server',
      metadata: { name: `srv-${i}`, annotations: { 'compute.kova.io/user-id': 'bench' } },
      spec: { name: `srv-${i}`, flavorRef: '2', imageRef: 'cirros', metadata: { index: String(i) } },
    } as unknown as Server);
    await client.patch(objectPath(SERVERS, s.metadata.name!, 'project-a', 'status'), {
      status: {
        vmState: 'active',
        powerState: 'running',
        status: 'ACTIVE',
        host: `host-${i % 50}`,
        flavor: { id: '2', name: 'm1.small', vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0 },
        image: { id: 'cirros', name: 'cirros' },
        addresses: [{ network: 'private', version: 4, addr: `10.0.${i >> 8}.${i & 255}`, type: 'fixed' }],
        launchedAt: new Date().toISOString(),
      },
    });
  });

  const token = await gw.token('alice', 'alice-pw', 'project-a');
  const headers = { 'X-Auth-Token': token, 'OpenStack-API-Version': 'compute 2.93' };
  // Warm: the caches are filled and the RBAC answer is cached.
  for (;;) {
    const res = await gw.call('GET', '/v2.1/servers/detail', { token, headers });
    if (res.status !== 200) throw new Error(`warm-up: ${res.status} ${JSON.stringify(res.body)}`);
    if (res.body.servers.length === SERVER_COUNT) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  const metrics = gw.gateway.ctx.metrics;
  const before = (await metrics.apiRequests.get()).values.reduce((n, v) => n + v.value, 0);
  const result = await autocannon({
    url: `${gw.url}/v2.1/servers/detail`,
    headers,
    connections: 1,
    duration: DURATION_S,
    // The load generator in its own thread: reading 1.3 MB answers must not share the gateway's event loop.
    workers: 1,
  });
  const after = (await metrics.apiRequests.get()).values.reduce((n, v) => n + v.value, 0);
  if (result.non2xx || result.errors) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);

  console.log(`BENCH servers_detail_1000_p50_ms=${result.latency.p50} ms`);
  console.log(`BENCH servers_detail_1000_p99_ms=${result.latency.p99} ms`);
  console.log(`BENCH servers_detail_1000_rps=${Math.round(result.requests.average)} req/s`);
  console.log(`BENCH servers_detail_apiserver_requests=${after - before} requests`);
  await gw.close();
} finally {
  await client.close();
  await cp.stop();
}
