import { expect } from 'chai';
import { ControlPlane } from '../../../e2e/harness/controlplane.ts';
import { type TestGateway, startGateway } from '../../../e2e/harness/gateway.ts';

describe('Keystone v3 subset (gateway on a real apiserver)', function () {
  this.timeout(120_000);
  let cp: ControlPlane;
  let gw: TestGateway;

  before(async () => {
    cp = await ControlPlane.start();
    gw = await startGateway(cp, { bootstrap: { user: 'admin', password: 'secret', project: 'admin' } });
    await gw.addUser('alice', 'alice-pw', 'project-a', 'member');
  });
  after(async () => {
    await gw?.close();
    await cp?.stop();
  });

  it('issues a project-scoped token with X-Subject-Token, roles and a catalog of compute, image and identity', async () => {
    const res = await gw.call('POST', '/identity/v3/auth/tokens', {
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'admin', domain: { name: 'Default' }, password: 'secret' } },
          },
          scope: { project: { name: 'admin', domain: { name: 'Default' } } },
        },
      },
    });
    expect(res.status).to.equal(201);
    expect(res.headers.get('x-subject-token')).to.match(/^kova1\./);
    const t = res.body.token;
    expect(t.methods).to.deep.equal(['password']);
    expect(t.user.name).to.equal('admin');
    expect(t.project.name).to.equal('admin');
    expect(t.roles.map((r: { name: string }) => r.name).sort()).to.deep.equal(['admin', 'member', 'reader']);
    expect(t.catalog.map((s: { type: string }) => s.type).sort()).to.deep.equal([
      'compute',
      'identity',
      'image',
    ]);
    expect(t.expires_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('refuses a wrong password and a project the user has no role on with 401', async () => {
    const bad = await gw.call('POST', '/identity/v3/auth/tokens', {
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'alice', domain: { id: 'default' }, password: 'x' } },
          },
        },
      },
    });
    expect(bad.status).to.equal(401);
    expect(bad.body.error).to.include({ code: 401, title: 'Unauthorized' });
    await gw.token('alice', 'alice-pw', 'project-a');
    const err = await gw.token('alice', 'alice-pw', 'admin').catch((e: Error) => e.message);
    expect(err).to.match(/401/);
  });

  it('validates tokens with GET and HEAD, rescopes with the token method, and 404s an unknown subject token', async () => {
    const token = await gw.token('alice', 'alice-pw', 'project-a');
    const get = await gw.call('GET', '/identity/v3/auth/tokens', {
      token,
      headers: { 'X-Subject-Token': token },
    });
    expect(get.status).to.equal(200);
    expect(get.body.token.project.name).to.equal('project-a');
    const head = await gw.call('HEAD', '/identity/v3/auth/tokens', {
      token,
      headers: { 'X-Subject-Token': token },
    });
    expect(head.status).to.equal(200);
    const bogus = await gw.call('GET', '/identity/v3/auth/tokens', {
      token,
      headers: { 'X-Subject-Token': token.slice(0, -2) + 'xx' },
    });
    expect(bogus.status).to.equal(404);
    const rescoped = await gw.call('POST', '/identity/v3/auth/tokens', {
      body: {
        auth: {
          identity: { methods: ['token'], token: { id: token } },
          scope: { project: { name: 'project-a', domain: { id: 'default' } } },
        },
      },
    });
    expect(rescoped.status).to.equal(201);
    expect(rescoped.body.token.methods).to.deep.equal(['token', 'password']);
    expect(rescoped.body.token.audit_ids).to.have.length(2);
  });

  it("lists the user's projects; listing all projects is admin-only", async () => {
    const token = await gw.token('alice', 'alice-pw', 'project-a');
    const mine = await gw.call('GET', '/identity/v3/auth/projects', { token });
    expect(mine.body.projects.map((p: { name: string }) => p.name)).to.deep.equal(['project-a']);
    expect((await gw.call('GET', '/identity/v3/projects', { token })).status).to.equal(403);
    const admin = await gw.token('admin', 'secret', 'admin');
    const all = await gw.call('GET', '/identity/v3/projects', { token: admin });
    expect(all.body.projects.map((p: { name: string }) => p.name).sort()).to.deep.equal([
      'admin',
      'project-a',
    ]);
  });

  it('keeps users as Secrets with an scrypt hash, projects as labelled namespaces, roles as RoleBindings', async () => {
    const secrets = await cp.kubectl([
      'get',
      'secrets',
      '-n',
      'kova-system',
      '-l',
      'identity.kova.io/kind=user',
      '-o',
      'json',
    ]);
    const users = JSON.parse(secrets.stdout).items as { data: Record<string, string> }[];
    const alice = users.find((s) => Buffer.from(s.data.name!, 'base64').toString() === 'alice')!;
    expect(Buffer.from(alice.data.password!, 'base64').toString()).to.match(/^scrypt\$16384\$8\$1\$/);
    const ns = await cp.kubectl(['get', 'namespace', 'project-a', '-o', 'jsonpath={.metadata.labels}']);
    expect(ns.stdout).to.include('identity.kova.io/project-id');
    const rb = await cp.kubectl([
      'get',
      'rolebindings',
      '-n',
      'project-a',
      '-o',
      'jsonpath={.items[*].roleRef.name}',
    ]);
    expect(rb.stdout).to.equal('kova:member');
  });

  it('revokes a token (DELETE /v3/auth/tokens): it no longer validates or authenticates; others do', async () => {
    const doomed = await gw.token('alice', 'alice-pw', 'project-a');
    const other = await gw.token('alice', 'alice-pw', 'project-a');
    const del = await gw.call('DELETE', '/identity/v3/auth/tokens', {
      token: other,
      headers: { 'X-Subject-Token': doomed },
    });
    expect(del.status).to.equal(204);
    const check = await gw.call('GET', '/identity/v3/auth/tokens', {
      token: other,
      headers: { 'X-Subject-Token': doomed },
    });
    expect(check.status).to.equal(404);
    expect((await gw.call('GET', '/v2.1/flavors', { token: doomed })).status).to.equal(401);
    expect((await gw.call('GET', '/v2.1/flavors', { token: other })).status).to.equal(200);
    const cm = await cp.kubectl([
      'get',
      'configmap',
      '-n',
      'kova-system',
      'kova-revoked-tokens',
      '-o',
      'jsonpath={.data}',
    ]);
    expect(Object.keys(JSON.parse(cm.stdout))).to.have.length(1);
  });

  it('answers compute calls without a valid token with 401', async () => {
    expect((await gw.call('GET', '/v2.1/flavors')).status).to.equal(401);
    expect((await gw.call('GET', '/v2.1/flavors', { token: 'kova1.x.y' })).status).to.equal(401);
    expect((await gw.call('GET', '/v2.1')).status).to.equal(200);
  });
});
