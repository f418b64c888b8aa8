// The Kova API on a real apiserver: the examples apply and read back, every validation rule
// refuses what it should with its message, and kubectl prints Nova's columns.
import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Value } from 'typebox/value';
import { parse, stringify } from 'yaml';
import { ControlPlane } from '../../../../e2e/harness/controlplane.ts';
import { repoRoot } from '../../../../e2e/harness/tools.ts';
import { API_VERSION } from '../kind.ts';
import { kinds } from './index.ts';

const NS = 'demo-project';
const examplesDir = join(repoRoot, 'examples');
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIqEr+cwqUU4w648xqk85LraLVfmI9Vz3ZYqnrrCyUxX demo@kova';

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown>;
};

const obj = (kind: string, name: string, spec: Record<string, unknown>): Manifest => ({
  apiVersion: API_VERSION,
  kind,
  metadata: { name },
  spec,
});
const flavor = (spec: Record<string, unknown>) =>
  obj('Flavor', 'bad-flavor', { name: 'f', vcpus: 1, ram: 512, disk: 1, ...spec });
const keypair = (spec: Record<string, unknown>) =>
  obj('Keypair', 'bad-keypair', { name: 'k', user: 'demo', publicKey: SSH_KEY, ...spec });
const server = (spec: Record<string, unknown>) =>
  obj('Server', 'bad-server', { name: 's', flavorRef: 'm1.small', imageRef: 'tiny-linux', ...spec });
const action = (spec: Record<string, unknown>) =>
  obj('ServerAction', 'bad-action', { server: 'web-1', ...spec });

/** One manifest per validation rule, and the message the apiserver must answer with. */
const invalid: [string, Manifest, string][] = [
  ['a flavor with 0 vcpus', flavor({ vcpus: 0 }), 'spec.vcpus in body should be greater than or equal to 1'],
  ['a flavor without ram', obj('Flavor', 'f', { name: 'f', vcpus: 1, disk: 1 }), 'spec.ram: Required value'],
  ['a flavor id with a leading space', flavor({ id: ' 1' }), 'spec.id in body should match'],
  ['a flavor name with trailing whitespace', flavor({ name: 'm1 ' }), 'spec.name in body should match'],
  [
    'a flavor with rxtx_factor 0',
    flavor({ rxtxFactor: 0 }),
    'spec.rxtxFactor in body should be greater than 0',
  ],
  [
    'an access list on a public flavor',
    flavor({ access: ['p1'] }),
    'access lists apply only to private flavors: set isPublic to false',
  ],
  [
    'an extra spec key with a bad character',
    flavor({ extraSpecs: { 'hw*cpu': '1' } }),
    'extra spec keys must be 1-255 characters',
  ],
  ['a keypair name with "!"', keypair({ name: 'my!key' }), 'spec.name in body should match'],
  ['a keypair of an unknown type', keypair({ type: 'pgp' }), 'spec.type: Unsupported value: "pgp"'],
  [
    'an ssh keypair that is not an OpenSSH key',
    keypair({ publicKey: 'not a key' }),
    'is not an OpenSSH public key',
  ],
  [
    'an x509 keypair that is not a certificate',
    keypair({ type: 'x509' }),
    'publicKey is not a PEM certificate',
  ],
  [
    'an availability zone with ":"',
    obj('Aggregate', 'a', { name: 'a', availabilityZone: 'az:1' }),
    'spec.availabilityZone in body should match',
  ],
  [
    'aggregate metadata with a bad key',
    obj('Aggregate', 'a', { name: 'a', metadata: { 'k/v': 'x' } }),
    'metadata keys must be 1-255 characters',
  ],
  [
    'a server without flavorRef',
    obj('Server', 's', { name: 's', imageRef: 'tiny-linux' }),
    'spec.flavorRef: Required value',
  ],
  ['a server tag with ","', server({ tags: ['a,b'] }), 'spec.tags[0] in body should match'],
  [
    'a server with 51 tags',
    server({ tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }),
    'must have at most 50 items',
  ],
  ['user data that is not base64', server({ userData: 'not base64!' }), 'spec.userData in body should match'],
  [
    'requested networks without a list',
    server({ networks: { allocation: 'requested' } }),
    'networks.requested must be given exactly when networks.allocation is requested',
  ],
  [
    'an unknown desired power state',
    server({ powerState: 'hibernated' }),
    'spec.powerState: Unsupported value: "hibernated"',
  ],
  [
    'server metadata with a bad key',
    server({ metadata: { 'a/b': 'x' } }),
    'metadata keys must be 1-255 characters',
  ],
  [
    'rules on an affinity group',
    obj('ServerGroup', 'g', { name: 'g', policy: 'affinity', rules: { maxServerPerHost: 2 } }),
    'rules are only allowed with the anti-affinity policy',
  ],
  [
    'an unknown server group policy',
    obj('ServerGroup', 'g', { name: 'g', policy: 'spread' }),
    'spec.policy: Unsupported value: "spread"',
  ],
  ['a reboot without a type', action({ action: 'reboot' }), 'reboot needs parameters.type: SOFT or HARD'],
  ['a resize without a flavor', action({ action: 'resize' }), 'resize needs parameters.flavorRef'],
  ['a rebuild without an image', action({ action: 'rebuild' }), 'rebuild needs parameters.imageRef'],
  ['an unknown action', action({ action: 'teleport' }), 'spec.action: Unsupported value: "teleport"'],
  [
    'an image with two sources',
    obj('Image', 'i', { name: 'i', source: { url: 'https://example.org/i.img', nodePath: '/i.img' } }),
    'source needs exactly one of url, nodePath or containerDisk',
  ],
  [
    'an image of an unknown disk format',
    obj('Image', 'i', { name: 'i', diskFormat: 'zip' }),
    'spec.diskFormat: Unsupported value: "zip"',
  ],
  [
    'a disabled reason on an enabled host',
    obj('ComputeHost', 'h', { disabledReason: 'why' }),
    'disabledReason applies only to a disabled host',
  ],
  [
    'a cpu allocation ratio of 0',
    obj('ComputeHost', 'h', { cpuAllocationRatio: 0 }),
    'spec.cpuAllocationRatio in body should be greater than 0',
  ],
  [
    'a second quota object in a project',
    obj('ProjectQuota', 'extra', { instances: 5 }),
    'a project has one ProjectQuota, named default',
  ],
  [
    'a quota limit below -1',
    obj('ProjectQuota', 'default', { instances: -2 }),
    'spec.instances in body should be greater than or equal to -1',
  ],
];

/** Changes to stored objects that must be refused: [what, manifest, merge patch of spec, message]. */
const invalidUpdates: [string, Manifest, Record<string, unknown>, string][] = [
  [
    "changing a server's flavor in place",
    server({}),
    { flavorRef: 'm1.large' },
    'flavorRef is immutable (resize and rebuild are server actions)',
  ],
  ['adding a keypair to a built server', server({}), { keyName: 'late' }, 'keyName is immutable'],
  ["changing a flavor's vcpus", flavor({}), { vcpus: 8 }, 'vcpus is immutable'],
  ["replacing a keypair's public key", keypair({}), { publicKey: SSH_KEY + 'x' }, 'publicKey is immutable'],
  [
    "changing a server group's policy",
    obj('ServerGroup', 'g', { name: 'g', policy: 'affinity' }),
    { policy: 'soft-affinity' },
    'a server group is immutable',
  ],
  [
    'changing a recorded action',
    action({ action: 'reboot', parameters: { type: 'SOFT' } }),
    { action: 'stop' },
    'a server action is immutable',
  ],
];

describe('The Kova API (CRDs) on the real apiserver', function () {
  this.timeout(120_000);
  let cp: ControlPlane;

  before(async () => {
    cp = await ControlPlane.start();
    expect((await cp.kubectl(['create', 'namespace', NS])).code).to.equal(0);
  });
  after(async () => {
    await cp?.stop();
  });

  describe('examples/', () => {
    for (const file of readdirSync(examplesDir).filter((f) => f.endsWith('.yaml'))) {
      it(`${file} applies with kubectl and reads back unchanged apart from defaults`, async () => {
        const manifest = parse(readFileSync(join(examplesDir, file), 'utf8')) as Manifest;
        const def = kinds.find((k) => k.kind === manifest.kind);
        expect(def, `a kind for ${manifest.kind}`).to.not.equal(undefined);
        const applied = await cp.kubectl(['apply', '-n', NS, '-f', join(examplesDir, file)]);
        expect(applied.stderr).to.equal('');
        expect(applied.code).to.equal(0);
        const got = await cp.kubectl([
          'get',
          '-n',
          NS,
          `${def!.plural}.compute.kova.io`,
          manifest.metadata.name,
          '-o',
          'json',
        ]);
        const stored = JSON.parse(got.stdout) as Manifest;
        const expected = Value.Default(def!.spec, structuredClone(manifest.spec));
        expect(stored.spec).to.deep.equal(expected);
      });
    }

    it('covers every kind', () => {
      const covered = readdirSync(examplesDir).map(
        (f) => (parse(readFileSync(join(examplesDir, f), 'utf8')) as Manifest).kind,
      );
      expect([...covered].sort()).to.deep.equal(kinds.map((k) => k.kind).sort());
    });
  });

  describe('validation: the apiserver refuses, with a message a user understands,', () => {
    for (const [what, manifest, message] of invalid) {
      it(what, async () => {
        const res = await cp.kubectl(['create', '-n', NS, '-f', '-'], stringify(manifest));
        expect(res.code, res.stdout).to.not.equal(0);
        expect(res.stderr).to.contain(message);
      });
    }

    for (const [i, [what, manifest, patch, message]] of invalidUpdates.entries()) {
      it(what, async () => {
        const valid = { ...manifest, metadata: { name: `valid-${i}` } };
        const created = await cp.kubectl(['create', '-n', NS, '-f', '-'], stringify(valid));
        expect(created.stderr).to.equal('');
        const def = kinds.find((k) => k.kind === manifest.kind)!;
        const res = await cp.kubectl([
          'patch',
          '-n',
          NS,
          `${def.plural}.compute.kova.io`,
          valid.metadata.name,
          '--type=merge',
          '-p',
          JSON.stringify({ spec: patch }),
        ]);
        expect(res.code).to.not.equal(0);
        expect(res.stderr).to.contain(message);
      });
    }
  });

  describe('kubectl', () => {
    it('`kubectl get servers` shows status, task state, power state, flavor, host and addresses', async () => {
      const manifest = server({});
      manifest.metadata.name = 'db-1';
      expect((await cp.kubectl(['create', '-n', NS, '-f', '-'], stringify(manifest))).code).to.equal(0);
      const status = {
        vmState: 'active',
        powerState: 'running',
        status: 'ACTIVE',
        host: 'node-1',
        flavor: { id: '2', name: 'm1.small', vcpus: 1, ram: 2048, disk: 20, ephemeral: 0, swap: 0 },
        addresses: [
          { network: 'private', version: 4, addr: '10.0.0.5', type: 'fixed' },
          { network: 'private', version: 6, addr: 'fd00::5', type: 'fixed' },
        ],
      };
      const patched = await cp.kubectl([
        'patch',
        '-n',
        NS,
        'server',
        'db-1',
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status }),
      ]);
      expect(patched.stderr).to.equal('');
      const { stdout } = await cp.kubectl(['get', '-n', NS, 'servers', 'db-1']);
      const [header, row] = stdout.trimEnd().split('\n') as [string, string];
      expect(header.split(/\s+/)).to.deep.equal([
        'NAME',
        'STATUS',
        'TASK',
        'POWER',
        'FLAVOR',
        'HOST',
        'ADDRESSES',
        'AGE',
      ]);
      // Columns are aligned under their headers; an absent value (no task) prints blank.
      const starts = [...header.matchAll(/\S+/g)].map((m) => m.index);
      const cells = starts.map((start, i) => row.slice(start, starts[i + 1]).trim());
      expect(cells.slice(0, 7)).to.deep.equal([
        'db-1',
        'ACTIVE',
        '',
        'running',
        'm1.small',
        'node-1',
        '10.0.0.5', // the server-side printer shows the first address
      ]);
    });

    it('`kubectl get kova` lists every Kova kind', async () => {
      const { stdout, code } = await cp.kubectl(['get', 'kova', '-A', '-o', 'name']);
      expect(code).to.equal(0);
      for (const def of kinds) expect(stdout).to.contain(`${def.singular}.compute.kova.io/`);
    });

    it('short names work (`kubectl get srv,flv,kp,sg,act,agg,ch,img,pq`)', async () => {
      const { code, stderr } = await cp.kubectl(['get', '-A', 'srv,flv,kp,sg,act,agg,ch,img,pq']);
      expect(stderr).to.equal('');
      expect(code).to.equal(0);
    });
  });
});
