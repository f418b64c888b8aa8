// The openstack CLI (Debian's python3-openstackclient) administering identity as on any
// OpenStack cloud: an admin creates a project, a user and a role assignment; the user logs in,
// creates a server in the project and sees nobody else's; an application credential
// authenticates; removing the role takes the access away on the next call; deleting a project
// that holds servers is refused until forced. Each step is checked on the Kubernetes objects too.
import { expect } from 'chai';
import { SERVERS } from '../../../operator/src/controllers/server.ts';
import { collectionPath } from '../../../operator/src/kube/resources.ts';
import type { KubeObject } from '../../../operator/src/kube/client.ts';
import { eventually } from '../../../e2e/harness/fixtures.ts';
import type { TestGateway } from '../../../e2e/harness/gateway.ts';
import { OpenStackCli } from '../../../e2e/harness/openstack.ts';
import type { OperatorSuite } from '../../../e2e/harness/suite.ts';
import { type ServersSuite, startServersSuite } from '../servers/testsuite.ts';

type Row = Record<string, unknown>;

describe('openstack CLI: project, user, role and application credential administration', function () {
  this.timeout(600_000);
  let world: ServersSuite;
  let suite: OperatorSuite;
  let gw: TestGateway;
  let admin: OpenStackCli;
  let bob: OpenStackCli;
  let projectId: string;
  let bobId: string;
  let adminServer: string;
  let bobServer: string;

  before(async () => {
    world = await startServersSuite();
    ({ suite, gw } = world);
    admin = new OpenStackCli({ authUrl: gw.authUrl, user: 'admin', password: 'secret', project: 'admin' });
    bob = new OpenStackCli({ authUrl: gw.authUrl, user: 'bob', password: 'bob-pw', project: 'demo' });
    const s = await admin.json<Row>([
      'server',
      'create',
      '--flavor',
      'm1.small',
      '--image',
      'cirros',
      'admins',
    ]);
    adminServer = s.id as string;
  });
  after(async () => {
    await world?.stop();
  });

  const namespaceOf = async (name: string) =>
    JSON.parse((await suite.cp.kubectl(['get', 'namespace', name, '-o', 'json'])).stdout) as KubeObject;

  it('project create/list/show: the project is a labelled namespace with its default quota', async () => {
    const created = await admin.json<Row>(['project', 'create', '--description', 'Demo project', 'demo']);
    projectId = created.id as string;
    expect(created).to.include({
      name: 'demo',
      domain_id: 'default',
      enabled: true,
      description: 'Demo project',
    });
    expect(projectId).to.match(/^[0-9a-f]{32}$/);
    const listed = await admin.json<Row[]>(['project', 'list']);
    expect(listed.map((r) => r.Name).sort()).to.deep.equal(['admin', 'demo']);
    const shown = await admin.json<Row>(['project', 'show', 'demo']);
    expect(shown).to.include({ id: projectId, name: 'demo' });
    const ns = await namespaceOf('demo');
    expect(ns.metadata.labels).to.include({
      'identity.kova.io/project-id': projectId,
      'identity.kova.io/managed': 'true',
    });
    const quota = await suite.cp.kubectl(['get', 'projectquota', 'default', '-n', 'demo', '-o', 'name']);
    expect(quota.stdout.trim()).to.equal('projectquota.compute.kova.io/default');
    const dup = await admin.run(['project', 'create', 'demo']);
    expect(dup.code).to.not.equal(0);
    expect(dup.stderr).to.match(/Conflict|409/);
  });

  it('user create --password --project, user list, role add --project --user member', async () => {
    const user = await admin.json<Row>([
      'user',
      'create',
      '--password',
      'bob-pw',
      '--project',
      'demo',
      'bob',
    ]);
    bobId = user.id as string;
    expect(user).to.include({ name: 'bob', default_project_id: projectId, enabled: true });
    const users = await admin.json<Row[]>(['user', 'list']);
    expect(users.map((r) => r.Name).sort()).to.deep.equal(['admin', 'bob']);
    await admin.ok(['role', 'add', '--project', 'demo', '--user', 'bob', 'member']);
    const assignments = await admin.json<Row[]>([
      'role',
      'assignment',
      'list',
      '--project',
      'demo',
      '--user',
      'bob',
      '--names',
    ]);
    expect(assignments.map((a) => a.Role)).to.deep.equal(['member']);
    const effective = await admin.json<Row[]>([
      'role',
      'assignment',
      'list',
      '--project',
      'demo',
      '--user',
      'bob',
      '--names',
      '--effective',
    ]);
    expect(effective.map((a) => a.Role).sort()).to.deep.equal(['member', 'reader']);
    const rb = await suite.cp.kubectl([
      'get',
      'rolebinding',
      '-n',
      'demo',
      `kova-member-${bobId}`,
      '-o',
      'json',
    ]);
    const binding = JSON.parse(rb.stdout) as { roleRef: { name: string }; subjects: { name: string }[] };
    expect(binding.roleRef.name).to.equal('kova:member');
    expect(binding.subjects[0]!.name).to.equal(`kova:${bobId}`);
  });

  it("the user logs in, creates a server in the new project, and cannot see another project's", async () => {
    const token = await bob.json<Row>(['token', 'issue']);
    expect(token).to.include({ project_id: projectId, user_id: bobId });
    const s = await bob.json<Row>([
      'server',
      'create',
      '--flavor',
      'm1.small',
      '--image',
      'cirros',
      '--wait',
      'web',
    ]);
    bobServer = s.id as string;
    expect(s.status).to.equal('ACTIVE');
    const servers = await suite.client.list<KubeObject>(collectionPath(SERVERS, 'demo'));
    expect(servers.items.map((x) => x.metadata.uid)).to.deep.equal([bobServer]);
    const listed = await bob.json<Row[]>(['server', 'list']);
    expect(listed.map((r) => r.ID)).to.deep.equal([bobServer]);
    const other = await bob.run(['server', 'show', adminServer]);
    expect(other.code).to.not.equal(0);
    expect(other.stderr).to.match(/No server with a name or ID|404|not found/i);
  });

  it('application credential create, then the CLI authenticates with it', async () => {
    const cred = await bob.json<Row>(['application', 'credential', 'create', '--role', 'reader', 'ci']);
    expect(cred.secret).to.be.a('string').with.length.greaterThan(20);
    const app = new OpenStackCli({
      authUrl: gw.authUrl,
      user: '',
      password: '',
      project: '',
      applicationCredential: { id: cred.id as string, secret: cred.secret as string },
    });
    const listed = await app.json<Row[]>(['server', 'list']);
    expect(listed.map((r) => r.ID)).to.deep.equal([bobServer]);
    // Its roles are reader only: Nova's policy refuses a create.
    const create = await app.run(['server', 'create', '--flavor', 'm1.small', '--image', 'cirros', 'nope']);
    expect(create.code).to.not.equal(0);
    expect(create.stderr).to.match(/Policy doesn't allow|403/);
    const creds = await bob.json<Row[]>(['application', 'credential', 'list']);
    expect(creds.map((r) => r.Name)).to.deep.equal(['ci']);
    const secret = await suite.cp.kubectl([
      'get',
      'secrets',
      '-n',
      'kova-system',
      '-l',
      'identity.kova.io/kind=application-credential',
      '-o',
      'jsonpath={.items[*].data.secret}',
    ]);
    expect(Buffer.from(secret.stdout, 'base64').toString()).to.match(/^scrypt\$/);
  });

  it('role remove takes the access away at once: the next call with an earlier token is refused', async () => {
    const token = await gw.token('bob', 'bob-pw', 'demo');
    expect((await gw.call('GET', '/v2.1/servers', { token })).status).to.equal(200);
    // What the apiserver itself decides for the user the gateway impersonates.
    const canCreate = async () =>
      (
        await suite.cp.kubectl([
          'auth',
          'can-i',
          'create',
          'servers.compute.kova.io',
          '-n',
          'demo',
          '--as',
          `kova:${bobId}`,
          '--as-group',
          'kova:users',
        ])
      ).stdout.trim();
    expect(await canCreate()).to.equal('yes');
    await admin.ok(['role', 'remove', '--project', 'demo', '--user', 'bob', 'member']);
    expect(await canCreate()).to.equal('no');
    expect((await gw.call('GET', '/v2.1/servers', { token })).status).to.equal(401);
    const again = await bob.run(['server', 'list']);
    expect(again.code).to.not.equal(0);
    // As Keystone, the user's application credentials on the project went with the role.
    expect((await bob.run(['application', 'credential', 'list'])).code).to.not.equal(0);
    const creds = await suite.cp.kubectl([
      'get',
      'secrets',
      '-n',
      'kova-system',
      '-l',
      'identity.kova.io/kind=application-credential',
      '-o',
      'name',
    ]);
    expect(creds.stdout.trim()).to.equal('');
    const rbs = await suite.cp.kubectl(['get', 'rolebindings', '-n', 'demo', '-o', 'name']);
    expect(rbs.stdout.trim()).to.equal('');
  });

  it('project delete is refused while the project holds servers, and deletes them when forced', async () => {
    const refused = await admin.run(['project', 'delete', 'demo']);
    expect(refused.code).to.not.equal(0);
    expect(refused.stderr).to.match(/holds 1 server/);
    expect((await admin.json<Row>(['project', 'show', 'demo'])).id).to.equal(projectId);
    // The admin forces it from kubectl, then deletes with any client.
    await suite.cp.kubectl(['annotate', 'namespace', 'demo', 'identity.kova.io/delete-servers=true']);
    await eventually('the project deleted', async () => {
      await admin.ok(['project', 'delete', 'demo']);
      return true;
    });
    const listed = await admin.json<Row[]>(['project', 'list']);
    expect(listed.map((r) => r.Name)).to.deep.equal(['admin']);
    // The operator finishes the server's delete (its guest destroyed, the finalizer removed).
    await eventually(
      'the servers gone',
      async () => (await suite.client.list<KubeObject>(collectionPath(SERVERS, 'demo'))).items.length === 0,
      60_000,
    );
    const ns = await namespaceOf('demo');
    expect(ns.metadata.deletionTimestamp).to.be.a('string');
    const pq = await suite.cp.kubectl(['get', 'projectquotas', '-n', 'demo', '-o', 'name']);
    expect(pq.stdout.trim()).to.equal('');
    // The admin's own server, in another project, is untouched.
    const mine = await admin.json<Row>(['server', 'show', adminServer]);
    expect(mine.id).to.equal(adminServer);
  });

  it('domain list/show and implied role list: the Default domain, admin ⇒ member ⇒ reader', async () => {
    const domains = await admin.json<Row[]>(['domain', 'list']);
    expect(domains.map((d) => [d.ID, d.Name])).to.deep.equal([['default', 'Default']]);
    expect(await admin.json<Row>(['domain', 'show', 'Default'])).to.include({ id: 'default', enabled: true });
    const implied = await admin.json<Row[]>(['implied', 'role', 'list']);
    expect(implied.map((r) => [r['Prior Role Name'], r['Implied Role Name']])).to.deep.equal([
      ['admin', 'member'],
      ['member', 'reader'],
    ]);
    const roles = await admin.json<Row[]>(['role', 'list']);
    expect(roles.map((r) => r.Name).sort()).to.deep.equal(['admin', 'member', 'reader']);
  });

  it('project set --disable refuses its tokens; --enable and --name restore and rename it', async () => {
    await admin.json<Row>(['project', 'create', 'toggle']);
    await admin.ok(['role', 'add', '--project', 'toggle', '--user', 'bob', 'member']);
    const toggler = new OpenStackCli({ ...bob.creds, project: 'toggle' });
    await toggler.json(['token', 'issue']);
    await admin.ok(['project', 'set', '--disable', 'toggle']);
    expect((await toggler.run(['token', 'issue'])).code).to.not.equal(0);
    expect((await admin.json<Row>(['project', 'show', 'toggle'])).enabled).to.equal(false);
    await admin.ok(['project', 'set', '--enable', '--name', 'toggled', 'toggle']);
    const renamed = new OpenStackCli({ ...bob.creds, project: 'toggled' });
    expect((await renamed.json<Row>(['token', 'issue'])).project_id).to.be.a('string');
    await admin.ok(['project', 'delete', 'toggled']);
  });

  it('user delete removes the user and their tokens stop working', async () => {
    await admin.ok(['role', 'add', '--project', 'admin', '--user', 'bob', 'reader']);
    const token = await gw.token('bob', 'bob-pw', 'admin');
    expect((await gw.call('GET', '/v2.1/flavors', { token })).status).to.equal(200);
    await admin.ok(['user', 'delete', 'bob']);
    expect((await gw.call('GET', '/v2.1/flavors', { token })).status).to.equal(401);
    const users = await admin.json<Row[]>(['user', 'list']);
    expect(users.map((r) => r.Name)).to.deep.equal(['admin']);
    const rbs = await suite.cp.kubectl([
      'get',
      'rolebindings',
      '-A',
      '-l',
      `identity.kova.io/user-id=${bobId}`,
      '-o',
      'name',
    ]);
    expect(rbs.stdout.trim()).to.equal('');
  });
});
