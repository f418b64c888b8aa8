// BENCH quota_burst_50_vs_10_ms: the wall time of 50 concurrent POST /servers through the gateway
// (one project member, quota of 10 instances; the operator with the fake driver on a real
// apiserver) until every answer is in; _accepted_p50_ms / _refused_p50_ms: the answers' latency.
// The burst must end with exactly 10 servers (else the bench fails). BENCH
// quota_recount_as_of_revision_p50_ms: the recheck's own cost, a list of the project's servers
// as of a revision (resourceVersionMatch=Exact), 50 times.
import type { Server } from '../../operator/src/api/v1alpha1/index.ts';
import { IMAGES, SERVERS } from '../../operator/src/controllers/server.ts';
import { collectionPath } from '../../operator/src/kube/resources.ts';
import { asOfRevision } from '../../api-gateway/src/recheck.ts';
import { createFakeNode, createFlavor, createImage, eventually } from '../harness/fixtures.ts';
import { startGateway } from '../harness/gateway.ts';
import { startOperatorSuite } from '../harness/suite.ts';

const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const suite = await startOperatorSuite({
  hostsUp: 2,
  setup: async (client) => {
    await createFakeNode(client, 'node-1', { cpu: 16, memoryMb: 32768, diskGb: 400 });
    await createFakeNode(client, 'node-2', { cpu: 16, memoryMb: 32768, diskGb: 400 });
    await createFlavor(client, 'm1.small', { vcpus: 1, ram: 512, disk: 1, id: '2' });
    await createImage(client, 'cirros');
  },
});
try {
  const gw = await startGateway(suite.cp, {
    bootstrap: { user: 'admin', password: 'secret', project: 'admin' },
  });
  try {
    const { projectId } = await gw.addUser('member', 'pw', 'burst', 'member');
    const admin = await gw.token('admin', 'secret', 'admin');
    await gw.call('PUT', `/v2.1/os-quota-sets/${projectId}`, {
      token: admin,
      body: { quota_set: { instances: 10 } },
    });
    const token = await gw.token('member', 'pw', 'burst');
    const imageRef = (await suite.client.list<{ metadata: { uid: string } }>(collectionPath(IMAGES)))
      .items[0]!.metadata.uid;

    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const t0 = performance.now();
        const res = await gw.call('POST', '/v2.1/servers', {
          token,
          headers: { 'OpenStack-API-Version': 'compute 2.37' },
          body: { server: { name: `b-${i}`, flavorRef: '2', imageRef, networks: 'none' } },
        });
        return { status: res.status, ms: performance.now() - t0 };
      }),
    );
    const wall = performance.now() - started;
    const accepted = answers.filter((a) => a.status === 202);
    const refused = answers.filter((a) => a.status === 403);
    if (accepted.length !== 10 || refused.length !== 40)
      throw new Error(`${accepted.length} accepted, ${refused.length} refused: not exactly the quota`);
    await eventually('the undone creates gone', async () => {
      const items = (await suite.client.list<Server>(collectionPath(SERVERS, 'burst'))).items;
      return items.length === 10;
    });

    const times: number[] = [];
    const rv = (await suite.client.list<Server>(collectionPath(SERVERS, 'burst'))).metadata.resourceVersion!;
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await asOfRevision<Server>(suite.client, collectionPath(SERVERS, 'burst'), rv);
      times.push(performance.now() - t0);
    }
    console.log(`BENCH quota_burst_50_vs_10_ms=${Math.round(wall)} ms`);
    console.log(`BENCH quota_burst_accepted_p50_ms=${Math.round(p50(accepted.map((a) => a.ms)))} ms`);
    console.log(`BENCH quota_burst_refused_p50_ms=${Math.round(p50(refused.map((a) => a.ms)))} ms`);
    console.log(`BENCH quota_recount_as_of_revision_p50_ms=${p50(times).toFixed(1)} ms`);
  } finally {
    await gw.close();
  }
} finally {
  await suite.stop();
}
