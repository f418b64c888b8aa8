// BENCH identity_20_projects_ms: 20 `project create` + `user create` + `role add` over HTTP, all
// in parallel, until the last answer (gateway in-process on a real apiserver).
// BENCH identity_100_tokens_ms: 100 password token requests in parallel (scrypt-bound: each
// verifies a password hash). BENCH identity_token_validate_rps: GET /v3/auth/tokens?nocatalog with
// autocannon (10 connections, 3 s): a signed token is checked without any Kubernetes request.
import autocannon from 'autocannon';
import { ControlPlane } from '../../e2e/harness/controlplane.ts';
import { startGateway } from '../../e2e/harness/gateway.ts';
import { roleId } from '../src/identity/store.ts';

const N = 20;
const cp = await ControlPlane.start();
try {
  const gw = await startGateway(cp, { bootstrap: { user: 'admin', password: 'secret', project: 'admin' } });
  try {
    const admin = await gw.token('admin', 'secret', 'admin');
    const ok = (r: { status: number; body: unknown }, status: number) => {
      if (r.status !== status) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
      return r.body as Record<string, { id: string }>;
    };
    let t0 = performance.now();
    await Promise.all(
      Array.from({ length: N }, async (_, i) => {
        const [p, u] = await Promise.all([
          gw.call('POST', '/identity/v3/projects', { token: admin, body: { project: { name: `b-${i}` } } }),
          gw.call('POST', '/identity/v3/users', {
            token: admin,
            body: { user: { name: `b-${i}`, password: 'pw' } },
          }),
        ]);
        const path = `/identity/v3/projects/${ok(p, 201).project!.id}/users/${ok(u, 201).user!.id}/roles/${roleId('member')}`;
        ok(await gw.call('PUT', path, { token: admin }), 204);
      }),
    );
    console.log(`BENCH identity_20_projects_ms=${Math.round(performance.now() - t0)} ms`);
    t0 = performance.now();
    const tokens = await Promise.all(
      Array.from({ length: 100 }, (_, i) => gw.token(`b-${i % N}`, 'pw', `b-${i % N}`)),
    );
    console.log(`BENCH identity_100_tokens_ms=${Math.round(performance.now() - t0)} ms`);
    const result = await autocannon({
      url: `${gw.url}/identity/v3/auth/tokens?nocatalog`,
      headers: { 'X-Auth-Token': tokens[0]!, 'X-Subject-Token': tokens[0]! },
      connections: 10,
      duration: 3,
    });
    if (result.non2xx > 0) throw new Error(`${result.non2xx} validations failed`);
    console.log(`BENCH identity_token_validate_rps=${Math.round(result.requests.average)} req/s`);
  } finally {
    await gw.close();
  }
} finally {
  await cp.stop();
}
