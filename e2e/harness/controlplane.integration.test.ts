import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, VersionApi } from '@kubernetes/client-node';
import { ControlPlane } from './controlplane.ts';
import { crdsDir, toolVersions } from './tools.ts';

/** Whether a process runs (a zombie waiting for its reaper does not count). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function untilGone(pids: number[], ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
}

/** Runs testdata/start-control-plane.ts in a child process; resolves with what it printed once it is up. */
async function startInChild(mode: 'exit' | 'wait') {
  const child = spawn(
    process.execPath,
    [join(import.meta.dirname, 'testdata', 'start-control-plane.ts'), mode],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    if (line.startsWith('{')) return { child, ...(JSON.parse(line) as { dir: string; pids: number[] }) };
  }
  throw new Error('child printed no control plane');
}

describe('envtest control plane (real kube-apiserver + etcd)', function () {
  this.timeout(90_000);
  let cp: ControlPlane;

  before(async () => {
    cp = await ControlPlane.start();
  });
  after(async () => {
    await cp?.stop();
  });

  it('is up in under 20 s on this machine, with the CRDs Established', () => {
    expect(cp.startupSeconds).to.be.below(20);
  });

  it('serves the pinned Kubernetes release', async () => {
    const info = await cp.kubeConfig.makeApiClient(VersionApi).getCode();
    expect(info.gitVersion).to.equal(toolVersions().K8S_VERSION);
  });

  it('enforces RBAC: a user with no bindings is forbidden', async () => {
    const other = await ControlPlane.start({ installCRDs: false, users: [{ name: 'alice' }] });
    try {
      const api = other.kubeConfigFor('alice').makeApiClient(CoreV1Api);
      const err = await api.listNamespace().then(
        () => undefined,
        (e: { code?: number }) => e,
      );
      expect(err?.code).to.equal(403);
    } finally {
      await other.stop();
    }
  });

  it('installs every CRD in crds/', async () => {
    const { stdout, code } = await cp.kubectl(['get', 'crds', '-o', 'name']);
    expect(code).to.equal(0);
    expect(stdout).to.contain('customresourcedefinition.apiextensions.k8s.io/flavors.compute.kova.io');
    expect(existsSync(crdsDir)).to.equal(true);
  });

  it('leaves no process or temp dir behind after stop()', async () => {
    const other = await ControlPlane.start({ installCRDs: false });
    const { pids, dir } = other;
    expect(pids).to.have.length(2);
    expect(pids.every(alive)).to.equal(true);
    expect(existsSync(dir)).to.equal(true);
    await other.stop();
    expect(pids.filter(alive)).to.deep.equal([]);
    expect(existsSync(dir)).to.equal(false);
  });

  it('cleans up when the test process exits without stop()', async () => {
    const { child, dir, pids } = await startInChild('exit');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).to.equal(3);
    await untilGone(pids);
    expect(pids.filter(alive)).to.deep.equal([]);
    expect(existsSync(dir)).to.equal(false);
  });

  it('reaps the processes of a test run that was SIGKILLed, at the next start', async () => {
    const { child, dir, pids } = await startInChild('wait');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(pids.every(alive), 'orphans survive a SIGKILL of their parent').to.equal(true);
    const next = await ControlPlane.start({ installCRDs: false });
    await next.stop();
    await untilGone(pids);
    expect(pids.filter(alive)).to.deep.equal([]);
    expect(existsSync(dir)).to.equal(false);
  });
});
