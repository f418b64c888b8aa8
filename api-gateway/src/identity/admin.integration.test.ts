// Keystone administration over raw HTTP on a real apiserver: projects, users, implied roles,
// role assignments and application credentials, and what each does to the Kubernetes objects.
// Concurrency: names stay unique under parallel creates; 20 projects with a user and a role
// each, and 100 token requests, all in parallel.
import { expect } from 'chai';
import type { KubeObject } from '../../../operator/src/kube/client.ts';
import { KubeClient } from '../../../operator/src/kube/client.ts';
import { ControlPlane } from '../../../e2e/harness/controlplane.ts';
import { createServer, eventually, listServers, serverManifest } from '../../../e2e/harness/fixtures.ts';
import { type TestGateway, startGateway } from '../../../e2e/harness/gateway.ts';
import { hashPassword } from './password.ts';
import { newId, roleId } from './store.ts';

const ID = /^[0-9a-f]{32}$/;

describe('Keystone administration (projects, users, roles, application credentials)', function () {
  this.timeout(300_000);
  let cp: ControlPlane;
  let client: KubeClient;
  let gw: TestGateway;
  let admin: string;

  before(async () => {
    cp = await ControlPlane.start();
    client = await KubeClient.create(cp.kubeConfig);
    gw = await startGateway(cp, { bootstrap: { user: 'admin', password: 'secret', project: 'admin' } });
    admin = await gw.token('admin', 'secret', 'admin');
  });
  after(async () => {
    await gw?.close();
    await client?.close();
    await cp?.stop();
  });

  const as = (token: string) => ({
    get: (path: string) => gw.call('GET', `/identity/v3${path}`, { token }),
    post: (path: string, body: unknown) => gw.call('POST', `/identity/v3${path}`, { token, body }),
    patch: (path: string, body: unknown) => gw.call('PATCH', `/identity/v3${path}`, { token, body }),
    put: (path: string) => gw.call('PUT', `/identity/v3${path}`, { token }),
    head: (path: string) => gw.call('HEAD', `/identity/v3${path}`, { token }),
    del: (path: string) => gw.call('DELETE', `/identity/v3${path}`, { token }),
  });
  const namespaces = async (): Promise<KubeObject[]> =>
    JSON.parse(
      (await cp.kubectl(['get', 'namespaces', '-l', 'identity.kova.io/project-id', '-o', 'json'])).stdout,
    ).items;
  const newProject = async (name: string) => {
    const res = await as(admin).post('/projects', { project: { name } });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.project as { id: string; name: string };
  };
  const newUser = async (name: string, password: string, extra: object = {}) => {
    const res = await as(admin).post('/users', { user: { name, password, ...extra } });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return res.body.user as { id: string; name: string };
  };
  const grant = async (project: string, user: string, role: string) =>
    expect(
      (await as(admin).put(`/projects/${project}/users/${user}/roles/${roleId(role as never)}`)).status,
    ).to.equal(204);

  it('two concurrent creates of one project name give one project and one 409 (one namespace)', async () => {
    const [a, b] = await Promise.all([
      as(admin).post('/projects', { project: { name: 'race' } }),
      as(admin).post('/projects', { project: { name: 'race' } }),
    ]);
    expect([a.status, b.status].sort()).to.deep.equal([201, 409]);
    const lost = a.status === 409 ? a : b;
    expect(lost.body.error).to.deep.include({ code: 409, title: 'Conflict' });
    expect(lost.body.error.message).to.match(/two projects with the same name/);
    for (const name of ['kova-system', 'kube-system']) {
      expect((await as(admin).post('/projects', { project: { name } })).status).to.equal(400);
    }
    const race = (await namespaces()).filter((n) => n.metadata.name === 'race');
    expect(race).to.have.length(1);
    const [u1, u2] = await Promise.all([
      as(admin).post('/users', { user: { name: 'twin', password: 'x' } }),
      as(admin).post('/users', { user: { name: 'twin', password: 'x' } }),
    ]);
    expect([u1.status, u2.status].sort()).to.deep.equal([201, 409]);
  });

  it('keeps user names unique across two gateway replicas: a name is claimed by a ConfigMap create', async () => {
    const gw2 = await startGateway(cp);
    try {
      const admin2 = await gw2.token('admin', 'secret', 'admin');
      for (let i = 0; i < 5; i++) {
        const body = { user: { name: `dual-${i}`, password: 'x' } };
        const [a, b] = await Promise.all([
          gw.call('POST', '/identity/v3/users', { token: admin, body }),
          gw2.call('POST', '/identity/v3/users', { token: admin2, body }),
        ]);
        expect([a.status, b.status].sort(), JSON.stringify([a.body, b.body])).to.deep.equal([201, 409]);
      }
    } finally {
      await gw2.close();
    }
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
    const names = (JSON.parse(secrets.stdout).items as { data: { name: string } }[]).map((x) =>
      Buffer.from(x.data.name, 'base64').toString(),
    );
    expect(names.filter((n) => n.startsWith('dual-')).sort()).to.deep.equal(
      [0, 1, 2, 3, 4].map((i) => `dual-${i}`),
    );
    const claims = async () =>
      (
        await cp.kubectl([
          'get',
          'configmaps',
          '-n',
          'kova-system',
          '-l',
          'identity.kova.io/kind=user-name',
          '-o',
          'json',
        ])
      ).stdout;
    const claimed = (json: string) =>
      (JSON.parse(json).items as { data: { name: string } }[])
        .map((c) => c.data.name)
        .filter((n) => n.startsWith('dual-'));
    expect(claimed(await claims()).sort()).to.deep.equal([0, 1, 2, 3, 4].map((i) => `dual-${i}`));
    // A rename moves the claim; a delete releases it, and the name can be taken again.
    const dual0 = (await as(admin).get('/users?name=dual-0')).body.users[0].id;
    expect((await as(admin).patch(`/users/${dual0}`, { user: { name: 'dual-1' } })).status).to.equal(409);
    expect((await as(admin).patch(`/users/${dual0}`, { user: { name: 'dual-x' } })).status).to.equal(200);
    expect((await as(admin).del(`/users/${dual0}`)).status).to.equal(204);
    expect(claimed(await claims())).to.not.include.members(['dual-0', 'dual-x']);
    await newUser('dual-0', 'y');
  });

  it('creates 20 projects, each with a user and a role, then answers 100 token requests, all in parallel', async () => {
    const n = 20;
    const started = Date.now();
    const made = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const [p, u] = await Promise.all([newProject(`par-${i}`), newUser(`par-user-${i}`, `pw-${i}`)]);
        await grant(p.id, u.id, 'member');
        return { p, u };
      }),
    );
    const setupMs = Date.now() - started;
    const t0 = Date.now();
    const tokens = await Promise.all(
      Array.from({ length: 100 }, (_, i) => gw.token(`par-user-${i % n}`, `pw-${i % n}`, `par-${i % n}`)),
    );
    const tokenMs = Date.now() - t0;
    console.log(`      20 projects+users+roles in ${setupMs} ms; 100 tokens in ${tokenMs} ms`);
    expect(new Set(tokens).size).to.equal(100);
    const ns = (await namespaces()).filter((x) => x.metadata.name!.startsWith('par-'));
    expect(ns).to.have.length(n);
    expect(new Set(ns.map((x) => x.metadata.labels!['identity.kova.io/project-id'])).size).to.equal(n);
    for (const { p } of made) expect(p.id).to.match(ID);
    const checks = await Promise.all(
      tokens.slice(0, n).map((t) => gw.call('GET', '/v2.1/servers', { token: t })),
    );
    expect(checks.map((c) => c.status)).to.deep.equal(Array(n).fill(200));
  });

  it('lists projects by name, domain and enabled; a disabled project gets no token and its tokens stop', async () => {
    const p = await newProject('dis');
    const u = await newUser('dis-user', 'pw');
    await grant(p.id, u.id, 'member');
    const token = await gw.token('dis-user', 'pw', 'dis');
    const off = await as(admin).patch(`/projects/${p.id}`, {
      project: { enabled: false, description: 'off' },
    });
    expect(off.status).to.equal(200);
    expect(off.body.project).to.include({ enabled: false, description: 'off' });
    expect((await gw.call('GET', '/v2.1/servers', { token })).status).to.equal(401);
    expect(await gw.token('dis-user', 'pw', 'dis').catch((e: Error) => e.message)).to.match(/401/);
    const disabled = await as(admin).get('/projects?enabled=false');
    expect(disabled.body.projects.map((x: { name: string }) => x.name)).to.deep.equal(['dis']);
    expect((await as(admin).get('/projects?name=dis&domain_id=default')).body.projects).to.have.length(1);
    expect((await as(admin).get('/projects?domain_id=other')).body.projects).to.have.length(0);
    const ann = await cp.kubectl(['get', 'namespace', 'dis', '-o', 'jsonpath={.metadata.annotations}']);
    expect(JSON.parse(ann.stdout)).to.include({ 'identity.kova.io/enabled': 'false' });
    await as(admin).patch(`/projects/${p.id}`, { project: { enabled: true } });
    await gw.token('dis-user', 'pw', 'dis');
  });

  it('renames a project (the namespace stays); names and namespaces stay unique', async () => {
    const p = await newProject('old-name');
    const renamed = await as(admin).patch(`/projects/${p.id}`, { project: { name: 'New Name' } });
    expect(renamed.status).to.equal(200);
    expect(renamed.body.project).to.include({ id: p.id, name: 'New Name' });
    expect((await as(admin).get('/projects?name=New%20Name')).body.projects[0].id).to.equal(p.id);
    // The namespace old-name is still the project's: a new project cannot take it, nor the name.
    expect((await as(admin).post('/projects', { project: { name: 'old-name' } })).status).to.equal(409);
    const clash = await as(admin).patch(`/projects/${p.id}`, { project: { name: 'race' } });
    expect(clash.status).to.equal(409);
    const bad = await as(admin).patch(`/projects/${p.id}`, { project: { domain_id: 'x' } });
    expect(bad.status).to.equal(400);
  });

  it('refuses to delete a project holding servers (403, why and how to force), deletes it with ?cascade=true', async () => {
    const p = await newProject('full');
    await createServer(client, 'full', serverManifest('s1', 'm1.small', 'cirros'));
    const refused = await as(admin).del(`/projects/${p.id}`);
    expect(refused.status).to.equal(403);
    expect(refused.body.error.title).to.equal('Forbidden');
    expect(refused.body.error.message).to.include('holds 1 server(s)').and.include('cascade=true');
    const u = await newUser('full-user', 'pw');
    await grant(p.id, u.id, 'reader');
    const member = await gw.token('full-user', 'pw', 'full');
    expect((await as(member).del(`/projects/${p.id}?cascade=true`)).status).to.equal(403);
    expect((await as(admin).del(`/projects/${p.id}?cascade=true`)).status).to.equal(204);
    expect(await listServers(client, 'full')).to.have.length(0);
    expect((await as(admin).get(`/projects/${p.id}`)).status).to.equal(404);
    const ns = await client.get<KubeObject>('/api/v1/namespaces/full');
    expect(ns.metadata.deletionTimestamp).to.be.a('string'); // a namespace the gateway made goes
    expect((await gw.call('GET', '/v2.1/servers', { token: member })).status).to.equal(401);
  });

  it('adopts an existing namespace as a project, and on delete leaves the namespace, unlabelled', async () => {
    await cp.kubectl(['create', 'namespace', 'existing']);
    const p = await newProject('existing');
    const ns = await client.get<KubeObject>('/api/v1/namespaces/existing');
    expect(ns.metadata.labels).to.include({ 'identity.kova.io/project-id': p.id });
    expect(ns.metadata.labels).to.not.have.property('identity.kova.io/managed');
    expect((await as(admin).del(`/projects/${p.id}`)).status).to.equal(204);
    const after = await client.get<KubeObject>('/api/v1/namespaces/existing');
    expect(after.metadata.deletionTimestamp).to.equal(undefined);
    expect(after.metadata.labels).to.not.have.property('identity.kova.io/project-id');
  });

  it('a password change or a disable invalidates the tokens issued before it, as Keystone', async () => {
    const p = await newProject('pw');
    const u = await newUser('pw-user', 'one', { default_project_id: p.id, email: 'pw@example.org' });
    await grant(p.id, u.id, 'member');
    const shown = await as(admin).get(`/users/${u.id}`);
    expect(shown.body.user).to.include({ default_project_id: p.id, email: 'pw@example.org' });
    // No scope asked: the token is scoped to the default project.
    const unscoped = await gw.call('POST', '/identity/v3/auth/tokens', {
      body: {
        auth: {
          identity: {
            methods: ['password'],
            password: { user: { name: 'pw-user', domain: { id: 'default' }, password: 'one' } },
          },
        },
      },
    });
    expect(unscoped.body.token.project.id).to.equal(p.id);
    const before = await gw.token('pw-user', 'one', 'pw');
    await new Promise((r) => setTimeout(r, 5));
    expect((await as(admin).patch(`/users/${u.id}`, { user: { password: 'two' } })).status).to.equal(200);
    expect((await gw.call('GET', '/v2.1/servers', { token: before })).status).to.equal(401);
    expect(await gw.token('pw-user', 'one', 'pw').catch((e: Error) => e.message)).to.match(/401/);
    const fresh = await gw.token('pw-user', 'two', 'pw');
    await new Promise((r) => setTimeout(r, 5));
    await as(admin).patch(`/users/${u.id}`, { user: { enabled: false } });
    expect((await gw.call('GET', '/v2.1/servers', { token: fresh })).status).to.equal(401);
    await as(admin).patch(`/users/${u.id}`, { user: { enabled: true } });
    expect((await gw.call('GET', '/v2.1/servers', { token: fresh })).status).to.equal(401); // stays revoked
    await gw.token('pw-user', 'two', 'pw');
    const listed = await as(admin).get('/users?name=pw-user');
    expect(listed.body.users.map((x: { id: string }) => x.id)).to.deep.equal([u.id]);
    expect((await as(admin).patch(`/users/${u.id}`, { user: { name: 'admin' } })).status).to.equal(409);
    const renamed = await as(admin).patch(`/users/${u.id}`, { user: { name: 'pw-user-2' } });
    expect(renamed.body.user.name).to.equal('pw-user-2');
    // Deleting the project unsets it as the user's default (Keystone's callback).
    expect((await as(admin).del(`/projects/${p.id}`)).status).to.equal(204);
    expect((await as(admin).get(`/users/${u.id}`)).body.user).to.not.have.property('default_project_id');
  });

  it("lists Keystone's implied roles: admin ⇒ member ⇒ reader", async () => {
    const [adminId, memberId, readerId] = ['admin', 'member', 'reader'].map((r) => roleId(r as never));
    const inferences = await as(admin).get('/role_inferences');
    expect(
      inferences.body.role_inferences.map(
        (i: { prior_role: { name: string }; implies: { name: string }[] }) => [
          i.prior_role.name,
          i.implies.map((x) => x.name),
        ],
      ),
    ).to.deep.equal([
      ['admin', ['member']],
      ['member', ['reader']],
    ]);
    const implies = await as(admin).get(`/roles/${adminId}/implies`);
    expect(implies.body.role_inference.implies.map((x: { id: string }) => x.id)).to.deep.equal([memberId]);
    const one = await as(admin).get(`/roles/${memberId}/implies/${readerId}`);
    expect(one.body.role_inference.implies.id).to.equal(readerId);
    expect((await as(admin).head(`/roles/${memberId}/implies/${readerId}`)).status).to.equal(204);
    expect((await as(admin).get(`/roles/${readerId}/implies/${adminId}`)).status).to.equal(404);
    expect((await as(admin).get(`/roles/${readerId}/implies`)).body.role_inference.implies).to.deep.equal([]);
  });

  it('grants, checks, lists (direct and effective, with names) and revokes role assignments', async () => {
    const p = await newProject('ra');
    const u = await newUser('ra-user', 'pw');
    const path = `/projects/${p.id}/users/${u.id}/roles/${roleId('admin')}`;
    expect((await as(admin).head(path)).status).to.equal(404);
    await grant(p.id, u.id, 'admin');
    expect((await as(admin).head(path)).status).to.equal(204);
    const direct = await as(admin).get(`/role_assignments?user.id=${u.id}&scope.project.id=${p.id}`);
    expect(direct.body.role_assignments.map((a: { role: { id: string } }) => a.role.id)).to.deep.equal([
      roleId('admin'),
    ]);
    const eff = await as(admin).get(`/role_assignments?user.id=${u.id}&effective&include_names`);
    const rows = eff.body.role_assignments as {
      role: { name: string };
      user: { name: string };
      scope: { project: { name: string } };
      links: { assignment: string; prior_role?: string };
    }[];
    expect(rows.map((r) => r.role.name)).to.deep.equal(['admin', 'member', 'reader']);
    expect(rows.every((r) => r.user.name === 'ra-user' && r.scope.project.name === 'ra')).to.equal(true);
    expect(rows[2]!.links.prior_role).to.match(/\/prior_role\/[0-9a-f]{32}\/implies\/[0-9a-f]{32}$/);
    expect(rows[2]!.links.assignment).to.include(roleId('admin'));
    const readers = await as(admin).get(
      `/role_assignments?user.id=${u.id}&effective&role.id=${roleId('reader')}`,
    );
    expect(readers.body.role_assignments).to.have.length(1);
    const token = await gw.token('ra-user', 'pw', 'ra');
    expect((await as(admin).del(path)).status).to.equal(204);
    expect((await gw.call('GET', '/v2.1/servers', { token })).status).to.equal(401);
    expect((await as(admin).del(path)).status).to.equal(404);
  });

  it("keeps a user's application-credential names unique across two gateway replicas (the later create undone, 409)", async () => {
    const p = await newProject('ac-dual');
    const u = await newUser('ac-dual-user', 'pw');
    await grant(p.id, u.id, 'member');
    const gw2 = await startGateway(cp);
    try {
      const t1 = await gw.token('ac-dual-user', 'pw', 'ac-dual');
      const t2 = await gw2.token('ac-dual-user', 'pw', 'ac-dual');
      const path = `/identity/v3/users/${u.id}/application_credentials`;
      for (let i = 0; i < 5; i++) {
        const body = { application_credential: { name: `dual-${i}`, secret: 'x' } };
        const [a, b] = await Promise.all([
          gw.call('POST', path, { token: t1, body }),
          gw2.call('POST', path, { token: t2, body }),
        ]);
        expect([a.status, b.status].sort(), JSON.stringify([a.body, b.body])).to.deep.equal([201, 409]);
      }
    } finally {
      await gw2.close();
    }
    const listed = await eventually('the listing settles', async () => {
      const r = await as(admin).get(`/users/${u.id}/application_credentials`);
      return r.body.application_credentials.length === 5 && r;
    });
    expect(listed.body.application_credentials.map((c: { name: string }) => c.name).sort()).to.deep.equal(
      [0, 1, 2, 3, 4].map((i) => `dual-${i}`),
    );
  });

  it('application credentials: the secret once, auth by id or name and user, its roles only, restricted, deleted', async () => {
    const p = await newProject('ac');
    const u = await newUser('ac-user', 'pw');
    await grant(p.id, u.id, 'member');
    const token = await gw.token('ac-user', 'pw', 'ac');
    const base = `/users/${u.id}/application_credentials`;
    const created = await as(token).post(base, {
      application_credential: {
        name: 'ci',
        secret: 's3cret',
        roles: [{ name: 'reader' }],
        description: 'CI',
      },
    });
    expect(created.status).to.equal(201);
    const cred = created.body.application_credential;
    expect(cred).to.include({ name: 'ci', secret: 's3cret', project_id: p.id, unrestricted: false });
    expect(cred.roles.map((r: { name: string }) => r.name)).to.deep.equal(['reader']);
    const shown = await as(token).get(`${base}/${cred.id}`);
    expect(shown.body.application_credential).to.not.have.property('secret');
    expect((await as(token).post(base, { application_credential: { name: 'ci' } })).status).to.equal(409);
    const tooMuch = await as(token).post(base, {
      application_credential: { name: 'x', roles: [{ name: 'admin' }] },
    });
    expect(tooMuch.status).to.equal(400);
    expect(tooMuch.body.error.message).to.match(/unassigned role/);
    const past = await as(token).post(base, {
      application_credential: { name: 'y', expires_at: '2001-01-01T00:00:00' },
    });
    expect(past.status).to.equal(400);

    const auth = (ac: object) =>
      gw.call('POST', '/identity/v3/auth/tokens', {
        body: { auth: { identity: { methods: ['application_credential'], application_credential: ac } } },
      });
    const byId = await auth({ id: cred.id, secret: 's3cret' });
    expect(byId.status).to.equal(201);
    expect(byId.body.token.methods).to.deep.equal(['application_credential']);
    expect(byId.body.token.project.id).to.equal(p.id);
    expect(byId.body.token.roles.map((r: { name: string }) => r.name)).to.deep.equal(['reader']);
    expect(byId.body.token.application_credential).to.deep.equal({
      id: cred.id,
      name: 'ci',
      restricted: true,
    });
    const byName = await auth({
      name: 'ci',
      secret: 's3cret',
      user: { name: 'ac-user', domain: { id: 'default' } },
    });
    expect(byName.status).to.equal(201);
    expect((await auth({ id: cred.id, secret: 'wrong' })).status).to.equal(401);
    const scoped = await gw.call('POST', '/identity/v3/auth/tokens', {
      body: {
        auth: {
          identity: {
            methods: ['application_credential'],
            application_credential: { id: cred.id, secret: 's3cret' },
          },
          scope: { project: { id: p.id } },
        },
      },
    });
    expect(scoped.status).to.equal(401);
    expect(scoped.body.error.message).to.match(/cannot request a scope/);
    expect((await auth({ name: 'ci', secret: 's3cret' })).status).to.equal(400);
    const appToken = byId.headers.get('x-subject-token')!;
    const restricted = await as(appToken).post(base, { application_credential: { name: 'more' } });
    expect(restricted.status).to.equal(403);
    expect(restricted.body.error.message).to.match(
      /not allowed for managing additional application credentials/,
    );
    expect((await as(appToken).del(`${base}/${cred.id}`)).status).to.equal(403);
    expect((await as(appToken).get(base)).body.application_credentials).to.have.length(1);
    const exchanged = await gw.call('POST', '/identity/v3/auth/tokens', {
      body: { auth: { identity: { methods: ['token'], token: { id: appToken } } } },
    });
    expect(exchanged.status).to.equal(403);
    expect(exchanged.body.error.message).to.match(/delegated token to create another token/);

    const other = await newUser('ac-other', 'pw');
    await grant(p.id, other.id, 'member');
    const otherToken = await gw.token('ac-other', 'pw', 'ac');
    expect((await as(otherToken).get(base)).status).to.equal(403);
    expect((await as(admin).get(`${base}?name=ci`)).body.application_credentials).to.have.length(1);

    expect((await as(token).del(`${base}/${cred.id}`)).status).to.equal(204);
    expect((await gw.call('GET', '/v2.1/servers', { token: appToken })).status).to.equal(401);
    expect((await auth({ id: cred.id, secret: 's3cret' })).status).to.equal(401);
    expect((await as(token).get(`${base}/${cred.id}`)).status).to.equal(404);
    // Disabling the user deletes their credentials, as Keystone does.
    await as(token).post(base, { application_credential: { name: 'two' } });
    await as(admin).patch(`/users/${u.id}`, { user: { enabled: false } });
    expect((await as(admin).get(base)).body.application_credentials).to.deep.equal([]);
  });

  it('deleting a user removes their role bindings everywhere and their tokens at once', async () => {
    const a = await newProject('del-a');
    const b = await newProject('del-b');
    const u = await newUser('del-user', 'pw');
    await grant(a.id, u.id, 'member');
    await grant(b.id, u.id, 'reader');
    const token = await gw.token('del-user', 'pw', 'del-a');
    expect((await as(admin).del(`/users/${u.id}`)).status).to.equal(204);
    expect((await gw.call('GET', '/v2.1/servers', { token })).status).to.equal(401);
    const rbs = await cp.kubectl([
      'get',
      'rolebindings',
      '-A',
      '-l',
      `identity.kova.io/user-id=${u.id}`,
      '-o',
      'name',
    ]);
    expect(rbs.stdout.trim()).to.equal('');
    expect((await as(admin).get(`/users/${u.id}`)).status).to.equal(404);
  });

  it('shows the Default domain by id and lists it by name', async () => {
    expect((await as(admin).get('/domains/default')).body.domain).to.include({
      id: 'default',
      name: 'Default',
    });
    expect((await as(admin).get('/domains?name=Default')).body.domains).to.have.length(1);
    expect((await as(admin).get('/domains?name=Other')).body.domains).to.have.length(0);
    expect((await as(admin).get('/domains/other')).status).to.equal(404);
  });

  it('lists identity in the catalog with public and admin interfaces', async () => {
    const res = await gw.call('GET', '/identity/v3/auth/catalog', { token: admin });
    const identity = res.body.catalog.find((s: { type: string }) => s.type === 'identity');
    expect(identity.endpoints.map((e: { interface: string }) => e.interface)).to.include.members([
      'public',
      'admin',
    ]);
  });

  it('takes projects, users and role assignments made with kubectl (the documented commands)', async () => {
    const id = newId();
    const projectId = newId();
    await cp.kubectl(['create', 'namespace', 'kubectl-made']);
    await cp.kubectl(['label', 'namespace', 'kubectl-made', `identity.kova.io/project-id=${projectId}`]);
    const hash = await hashPassword('kc-pw');
    await cp.kubectl([
      'create',
      'secret',
      'generic',
      '-n',
      'kova-system',
      `kova-user-${id}`,
      `--from-literal=id=${id}`,
      '--from-literal=name=kc-user',
      '--from-literal=enabled=true',
      `--from-literal=password=${hash}`,
    ]);
    await cp.kubectl([
      'label',
      'secret',
      '-n',
      'kova-system',
      `kova-user-${id}`,
      'identity.kova.io/kind=user',
    ]);
    await cp.kubectl([
      'create',
      'rolebinding',
      '-n',
      'kubectl-made',
      `kova-member-${id}`,
      '--clusterrole=kova:member',
      `--user=kova:${id}`,
    ]);
    await cp.kubectl([
      'label',
      'rolebinding',
      '-n',
      'kubectl-made',
      `kova-member-${id}`,
      'identity.kova.io/role=member',
      `identity.kova.io/user-id=${id}`,
    ]);
    const token = await eventually('the user can log in', () =>
      gw.token('kc-user', 'kc-pw', 'kubectl-made').catch(() => undefined),
    );
    expect((await gw.call('GET', '/v2.1/servers', { token })).status).to.equal(200);
    const ra = await as(admin).get(`/role_assignments?user.id=${id}&include_names`);
    expect(ra.body.role_assignments.map((a: { role: { name: string } }) => a.role.name)).to.deep.equal([
      'member',
    ]);
    expect((await as(admin).get(`/projects/${projectId}`)).body.project.name).to.equal('kubectl-made');
  });
});
