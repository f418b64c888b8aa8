// BENCH gateway_flavors_detail_1000_p50_ms / _p99_ms / _rps: GET /v2.1/flavors/detail (1,000
// flavors, one full page) as a project member, with autocannon (10 connections, 5 s) against the
// gateway in-process on a real apiserver. BENCH gateway_flavors_detail_apiserver_requests: the
// Kubernetes requests those reads caused once warm (goal: none — flavors come from the informer,
// the member's RBAC answer from the SubjectAccessReview cache).
import autocannon from 'autocannon';
import { API_VERSION } from '../../operator/src/api/kind.ts';
import { FLAVORS } from '../../operator/src/controllers/server.ts';
import { collectionPath } from '../../operator/src/kube/resources.ts';
import { ControlPlane } from '../harness/controlplane.ts';
import { pool } from '../harness/fixtures.ts';
import { startGateway } from '../harness/gateway.ts';

const FLAVOR_COUNT = 1000;

const cp = await ControlPlane.start();
try {
  const gw = await startGateway(cp, { bootstrap: { user: 'admin', password: 'secret', project: 'admin' } });
  try {
    await gw.addUser('member', 'pw', 'bench', 'member');
    const kube = gw.gateway.ctx.kube;
    const ids = Array.from({ length: FLAVOR_COUNT }, (_, i) => `f-${String(i).padStart(4, '0')}`);
    await pool(ids, 16, (id) =>
      kube.create(collectionPath(FLAVORS), {
        apiVersion: API_VERSION,
        kind: 'Flavor',
        metadata: { name: id },
        spec: {
          id,
          name: id,
          vcpus: 1 + (ids.indexOf(id) % 8),
          ram: 512,
          disk: 1,
          extraSpecs: { 'hw:cpu_policy': 'shared' },
        },
      }),
    );
    const cache = await gw.gateway.ctx.caches.get(FLAVORS);
    await cache.waitUntil(() => cache.list().length >= FLAVOR_COUNT, 60_000);
    const token = await gw.token('member', 'pw', 'bench');
    const headers = { 'X-Auth-Token': token, 'OpenStack-API-Version': 'compute 2.61' };
    const warm = await fetch(`${gw.url}/v2.1/flavors/detail`, { headers });
    const body = (await warm.json()) as { flavors: unknown[] };
    if (body.flavors.length !== FLAVOR_COUNT)
      throw new Error(`expected ${FLAVOR_COUNT} flavors, got ${body.flavors.length}`);

    const apiRequests = async () =>
      (await gw.gateway.ctx.metrics.apiRequests.get()).values.reduce((sum, v) => sum + v.value, 0);
    const before = await apiRequests();
    const result = await autocannon({
      url: `${gw.url}/v2.1/flavors/detail`,
      headers,
      connections: 10,
      duration: 5,
    });
    const during = (await apiRequests()) - before;
    if (result.non2xx > 0 || result.errors > 0)
      throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
    console.log(`BENCH gateway_flavors_detail_1000_p50_ms=${result.latency.p50} ms`);
    console.log(`BENCH gateway_flavors_detail_1000_p99_ms=${result.latency.p99} ms`);
    console.log(`BENCH gateway_flavors_detail_1000_rps=${Math.round(result.requests.average)} req/s`);
    console.log(`BENCH gateway_flavors_detail_apiserver_requests=${during} requests`);
  } finally {
    await gw.close();
  }
} finally {
  await cp.stop();
}
