// The openstack CLI (Debian's python3-openstackclient) driving the servers API: create with
// --wait, list, show, set/unset --property, delete --wait; at the CLI's default microversion and
// at 2.90. The outputs are compared with the Server objects in Kubernetes.
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { SERVERS } from '../../../operator/src/controllers/server.ts';
import { collectionPath } from '../../../operator/src/kube/resources.ts';
import type { TestGateway } from '../../../e2e/harness/gateway.ts';
import { OpenStackCli } from '../../../e2e/harness/openstack.ts';
import type { OperatorSuite } from '../../../e2e/harness/suite.ts';
import { type ServersSuite, startServersSuite } from './testsuite.ts';

const PUBLIC_KEY =
  'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHd1ObXtdRKtrnR8TfIX1sQgr8ZtI5UpQ5mxXG8VGThp alice@example';

type Row = Record<string, unknown>;

describe('openstack CLI: server create/list/show/set/unset/delete', function () {
  this.timeout(300_000);
  let world: ServersSuite;
  let suite: OperatorSuite;
  let gw: TestGateway;
  let cli: OpenStackCli;
  let dir: string;

  before(async () => {
    world = await startServersSuite();
    ({ suite, gw } = world);
    await gw.addUser('alice', 'alice-pw', 'project-a', 'member');
    cli = new OpenStackCli({
      authUrl: gw.authUrl,
      user: 'alice',
      password: 'alice-pw',
      project: 'project-a',
    });
    dir = mkdtempSync(join(tmpdir(), 'kova-cli-'));
    writeFileSync(join(dir, 'key.pub'), PUBLIC_KEY + '\n');
    await cli.json(['keypair', 'create', '--public-key', join(dir, 'key.pub'), 'key1']);
  });
  after(async () => {
    await world?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function kubeServer(id: string): Promise<Server | undefined> {
    const all = await suite.client.list<Server>(collectionPath(SERVERS, 'project-a'));
    return all.items.find((s) => s.metadata.uid === id);
  }

  for (const version of [undefined, '2.90']) {
    const name = version ? 'cli-290' : 'cli-default';
    it(`works end to end at ${version ?? 'the default microversion'}`, async () => {
      const os = cli.withComputeVersion(version);
      const created = await os.json<Row>([
        'server',
        'create',
        '--flavor',
        'm1.small',
        '--image',
        'cirros',
        '--key-name',
        'key1',
        '--property',
        'role=web',
        '--wait',
        name,
      ]);
      const id = created.id as string;
      expect(created.status).to.equal('ACTIVE');
      let k = (await kubeServer(id))!;
      expect(k.spec).to.include({ name, keyName: 'key1' });
      expect(k.status?.status).to.equal('ACTIVE');

      const listed = await os.json<Row[]>(['server', 'list']);
      const row = listed.find((r) => r.ID === id)!;
      expect(row).to.include({ Name: name, Status: 'ACTIVE' });

      const shown = await os.json<Row>(['server', 'show', name]);
      expect(shown).to.include({ id, name, status: 'ACTIVE', key_name: 'key1' });
      if (version) expect(shown.hostname ?? shown['OS-EXT-SRV-ATTR:hostname']).to.equal(k.spec.hostname);

      await os.ok(['server', 'set', '--property', 'tier=front', name]);
      await os.ok(['server', 'unset', '--property', 'role', name]);
      k = (await kubeServer(id))!;
      expect(k.spec.metadata).to.deep.equal({ tier: 'front' });
      const after = await os.json<Row>(['server', 'show', id]);
      expect(JSON.stringify(after.properties)).to.contain('tier');

      await os.ok(['server', 'delete', '--wait', id]);
      expect(await kubeServer(id)).to.equal(undefined);
    });
  }
});
