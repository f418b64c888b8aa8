// BENCH server_action_accept_p50_ms / _p99_ms: POST /v2.1/servers/{id}/action (os-stop, os-start
// alternately) until the gateway's answer — the ServerAction created as the user and accepted by
// the operator — on a real kube-apiserver with the operator and the fake driver.
// BENCH server_action_done_p50_ms: from the POST until the Server is idle in its new state.
import type { Image, Server } from '../../operator/src/api/v1alpha1/index.ts';
import { IMAGES, SERVERS } from '../../operator/src/controllers/server.ts';
import { collectionPath } from '../../operator/src/kube/resources.ts';
import { eventually } from '../../e2e/harness/fixtures.ts';
import { startServersSuite } from '../src/servers/testsuite.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);

const world = await startServersSuite();
try {
  const { gw, suite } = world;
  await gw.addUser('alice', 'alice-pw', 'project-a', 'member');
  const token = await gw.token('alice', 'alice-pw', 'project-a');
  const image = (await suite.client.list<Image>(collectionPath(IMAGES))).items[0]!.metadata.uid!;
  const created = await gw.call('POST', '/v2.1/servers', {
    token,
    body: { server: { name: 'bench', flavorRef: '2', imageRef: image } },
  });
  if (created.status !== 202) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.server.id as string;
  const idle = (vmState: string) =>
    eventually(
      `server ${vmState}`,
      async () => {
        const all = await suite.client.list<Server>(collectionPath(SERVERS, 'project-a'));
        const s = all.items.find((x) => x.metadata.uid === id);
        return s?.status?.vmState === vmState && !s.status.taskState && !s.status.action;
      },
      30_000,
      5,
    );
  await idle('active');

  const accept: number[] = [];
  const done: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const [key, end] = i % 2 === 0 ? ['os-stop', 'stopped'] : ['os-start', 'active'];
    const t0 = performance.now();
    const res = await gw.call('POST', `/v2.1/servers/${id}/action`, { token, body: { [key]: null } });
    accept.push(performance.now() - t0);
    if (res.status !== 202) throw new Error(`${key}: ${res.status} ${JSON.stringify(res.body)}`);
    await idle(end);
    done.push(performance.now() - t0);
  }
  const pct = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!);
  };
  console.log(`BENCH server_action_accept_p50_ms=${pct(accept, 50)} ms`);
  console.log(`BENCH server_action_accept_p99_ms=${pct(accept, 99)} ms`);
  console.log(`BENCH server_action_done_p50_ms=${pct(done, 50)} ms`);
} finally {
  await world.stop();
}
