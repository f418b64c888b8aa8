// The README's quickstart, step by step, against a real control plane with the operator process.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane } from './harness/controlplane.ts';
import { createFakeNode, eventually } from './harness/fixtures.ts';
import { type OperatorProcess, startOperator } from './harness/operator-process.ts';
import { KubeClient } from '../operator/src/kube/client.ts';
import { repoRoot } from './harness/tools.ts';

describe('README quickstart (kubectl + the operator process)', function () {
  this.timeout(120_000);
  let cp: ControlPlane;
  let client: KubeClient;
  let op: OperatorProcess;
  const stateDir = mkdtempSync(join(tmpdir(), 'kova-readme-'));

  before(async () => {
    cp = await ControlPlane.start({ installCRDs: false });
    client = await KubeClient.create(cp.kubeConfig);
  });
  after(async () => {
    op?.child.kill('SIGTERM');
    await op?.exited;
    await client?.close();
    await cp?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('apply the CRDs, start the operator, label a node, apply the examples: web-1 goes ACTIVE', async () => {
    const run = async (...args: string[]) => {
      const r = await cp.kubectl(args);
      expect(r.code, `kubectl ${args.join(' ')}: ${r.stderr}`).to.equal(0);
      return r.stdout;
    };
    await run('apply', '-f', join(repoRoot, 'crds'));
    await run('wait', '--for=condition=Established', '--all', 'crd');
    await run('create', 'namespace', 'kova-system');
    // A node as the README's cluster has (here without kubelet, so the harness writes its status).
    await createFakeNode(client, 'node-1', { cpu: 8, memoryMb: 16384, diskGb: 100 }, 'none');
    op = startOperator(cp, { fake: { enabled: true, stateDir }, logLevel: 'warn' }, 'readme-op');
    await run('label', '--overwrite', 'node', 'node-1', 'compute.kova.io/driver=fake');
    // As the README says: wait for the node's compute service to report before booting.
    await eventually(
      'computehost up',
      async () => (await cp.kubectl(['get', 'computehost', 'node-1'])).code === 0,
    );
    await run('wait', '--for=jsonpath={.status.state}=up', '--timeout=60s', 'computehost/node-1');
    const ex = (f: string) => join(repoRoot, 'examples', f);
    await eventually('CRDs served', async () => (await cp.kubectl(['get', 'flavors'])).code === 0);
    await run('apply', '-f', ex('flavor.yaml'), '-f', ex('image.yaml'));
    await run('create', 'namespace', 'demo');
    await run('apply', '-n', 'demo', '-f', ex('servergroup.yaml'), '-f', ex('server.yaml'));
    await eventually(
      'web-1 ACTIVE',
      async () =>
        (await run('get', 'servers', '-n', 'demo', 'web-1', '-o', 'jsonpath={.status.status}')) === 'ACTIVE',
      60_000,
      250,
    );
    await run('create', '-n', 'demo', '-f', ex('serveraction.yaml'));
    await eventually(
      'reboot recorded',
      async () =>
        (await run('get', 'act', '-n', 'demo', 'web-1-reboot-1', '-o', 'jsonpath={.status.phase}')) ===
        'Succeeded',
    );
    await run(
      'patch',
      'server',
      '-n',
      'demo',
      'web-1',
      '--type',
      'merge',
      '-p',
      '{"spec":{"powerState":"stopped"}}',
    );
    await eventually(
      'web-1 SHUTOFF',
      async () =>
        (await run('get', 'servers', '-n', 'demo', 'web-1', '-o', 'jsonpath={.status.status}')) === 'SHUTOFF',
    );
  });
});
