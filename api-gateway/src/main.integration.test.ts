import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ControlPlane } from '../../e2e/harness/controlplane.ts';
import { eventually } from '../../e2e/harness/fixtures.ts';

describe('kova-gateway process (main.ts)', function () {
  this.timeout(120_000);
  let cp: ControlPlane;
  let child: ChildProcess;
  let url = '';

  before(async () => {
    cp = await ControlPlane.start();
    const pwFile = join(cp.dir, 'admin-password');
    writeFileSync(pwFile, 'boot-pw\n');
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    url = `http://127.0.0.1:${port}`;
    child = spawn(
      process.execPath,
      [
        'api-gateway/src/main.ts',
        '--kubeconfig',
        cp.kubeconfigPath,
        '--listen',
        `127.0.0.1:${port}`,
        '--bootstrap-password-file',
        pwFile,
        '--log-level',
        'warn',
        '--token-ttl',
        '120',
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    await eventually(
      'the gateway to answer /healthz',
      async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok,
    );
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await cp?.stop();
  });

  it('bootstraps the admin from the password file, serves Keystone and compute, and counts requests per route in /metrics', async () => {
    const auth = await fetch(`${url}/identity/v3/auth/tokens`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { id: 'default' }, password: 'boot-pw' } },
          },
          scope: { project: { name: 'admin', domain: { id: 'default' } } },
        },
      }),
    });
    expect(auth.status).to.equal(201);
    const { token: issued } = (await auth.clone().json()) as {
      token: { issued_at: string; expires_at: string };
    };
    expect(Date.parse(issued.expires_at) - Date.parse(issued.issued_at)).to.equal(120_000);
    const token = auth.headers.get('x-subject-token')!;
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${url}/v2.1/flavors/detail`, { headers: { 'X-Auth-Token': token } });
      expect(res.status).to.equal(200);
    }
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).to.match(
      /kova_gateway_requests_total\{method="GET",route="\/v2.1\/flavors\/detail",code="200"\} 3/,
    );
    expect(metrics).to.include(
      'kova_gateway_request_duration_seconds_bucket{le="0.005",method="GET",route="/v2.1/flavors/detail"}',
    );
    expect(metrics).to.match(/kova_gateway_apiserver_requests_total\{verb="POST"\} \d+/);
    expect((await fetch(`${url}/readyz`)).status).to.equal(200);
  });
});
