// A real Kubernetes control plane for tests (envtest style): etcd + kube-apiserver on free
// loopback ports in a temp dir, RBAC on, Kova's CRDs installed and Established.
//
// Every child is recorded by PID in the temp dir. stop() ends them and removes the dir; a
// process 'exit' hook does the same if a test run ends without stop() (a failure, Ctrl-C),
// and start() reaps the leftovers of an earlier run that was killed outright (SIGKILL).
//
// The local cloud (`make up`) starts the same control plane `detached` in a folder of its own:
// the processes outlive the starting script, and `make down` ends them by the PIDs recorded there.
import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeConfig } from '@kubernetes/client-node';
import { VERSION } from '../../operator/src/api/kind.ts';
import { crdsDir, toolPath, toolVersions } from './tools.ts';

const DIR_PREFIX = 'kova-envtest-';

export interface TestUser {
  name: string;
  groups?: string[];
}

export interface ControlPlaneOptions {
  /** Install the CRDs in crds/ and wait until they are Established (default true). */
  installCRDs?: boolean;
  /** Extra users known to the apiserver by static token (admin is always there). */
  users?: TestUser[];
  /** Extra kube-apiserver flags. */
  apiserverFlags?: string[];
  /**
   * Run in this folder (created; its `pids` file lists the processes), the processes detached
   * from this one: nothing stops them when it exits. For the local cloud, not for tests.
   */
  detached?: { dir: string; securePort?: number };
}

export class ControlPlane {
  /** kube-apiserver's https URL. */
  readonly server: string;
  /** The admin's KubeConfig (group system:masters). */
  readonly kubeConfig: KubeConfig;
  /** A kubeconfig file for kubectl, with the admin as current context. */
  readonly kubeconfigPath: string;
  /** Seconds from start() until the apiserver was ready and the CRDs Established. */
  startupSeconds = 0;

  readonly dir: string;
  private readonly children: ChildProcess[];
  private readonly caData: string;
  private readonly tokens: Map<string, string>;
  private stopped = false;

  private constructor(
    dir: string,
    children: ChildProcess[],
    server: string,
    caData: string,
    tokens: Map<string, string>,
  ) {
    this.dir = dir;
    this.children = children;
    this.server = server;
    this.caData = caData;
    this.tokens = tokens;
    this.kubeConfig = this.kubeConfigFor('admin');
    this.kubeconfigPath = join(dir, 'kubeconfig');
    writeFileSync(this.kubeconfigPath, this.kubeConfig.exportConfig());
  }

  /** PIDs of the etcd and kube-apiserver processes. */
  get pids(): number[] {
    return this.children.map((c) => c.pid!).filter(Boolean);
  }

  /** A KubeConfig authenticating as one of the users given at start (or 'admin'). */
  kubeConfigFor(user: string): KubeConfig {
    const token = this.tokens.get(user);
    if (!token) throw new Error(`envtest: no user ${user}`);
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'envtest', server: this.server, caData: this.caData, skipTLSVerify: false }],
      users: [{ name: user, token }],
      contexts: [{ name: user, cluster: 'envtest', user }],
      currentContext: user,
    });
    return kc;
  }

  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const t0 = performance.now();
    const detached = options.detached;
    if (!detached) reapOrphans();
    const dir = detached ? detached.dir : mkdtempSync(join(tmpdir(), DIR_PREFIX));
    if (detached) mkdirSync(dir, { recursive: true });
    else writeFileSync(join(dir, 'owner'), `${process.pid}\n`);
    const children: ChildProcess[] = [];
    // A failed local cloud keeps its folder: the logs say why.
    const cleanup = (): void => (detached ? killAll(children) : killAndRemove(dir, children));
    process.once('exit', cleanup);
    const launch = (tool: string, args: string[]) => launchIn(dir, children, tool, args, !!detached);
    try {
      const [randomPort] = await freePorts(1);
      const securePort = detached?.securePort ?? randomPort!;
      // etcd, on fresh ports and data once more if it never becomes healthy (seen once in a CI run
      // on a loaded machine: alive, silent, and /health never 200 within a minute).
      let etcdClient = 0;
      for (let attempt = 1; ; attempt++) {
        const [client, peer] = await freePorts(2);
        etcdClient = client!;
        const etcd = launch('etcd', [
          `--name=envtest`,
          `--data-dir=${join(dir, `etcd-${attempt}`)}`,
          `--listen-client-urls=http://127.0.0.1:${client}`,
          `--advertise-client-urls=http://127.0.0.1:${client}`,
          `--listen-peer-urls=http://127.0.0.1:${peer}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
          `--initial-cluster=envtest=http://127.0.0.1:${peer}`,
          // Test data need not survive a power cut; fsync would dominate every write here.
          '--unsafe-no-fsync',
          '--log-level=warn',
        ]);
        try {
          await waitFor(
            'etcd',
            etcd,
            dir,
            async () => (await httpGet(`http://127.0.0.1:${client}/health`)) === 200,
          );
          break;
        } catch (err) {
          etcd.kill('SIGKILL');
          children.splice(children.indexOf(etcd), 1);
          if (attempt === 2) throw err;
          console.log(`      envtest: ${(err as Error).message.split('\n', 1)[0]}; starting etcd again`);
        }
      }

      const tokens = new Map<string, string>();
      const tokenLines: string[] = [];
      for (const u of [{ name: 'admin', groups: ['system:masters'] }, ...(options.users ?? [])]) {
        const token = randomBytes(24).toString('hex');
        tokens.set(u.name, token);
        tokenLines.push(`${token},${u.name},${u.name},"${(u.groups ?? []).join(',')}"`);
      }
      writeFileSync(join(dir, 'tokens.csv'), tokenLines.join('\n') + '\n', { mode: 0o600 });

      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }), {
        mode: 0o600,
      });
      writeFileSync(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));

      const certDir = join(dir, 'pki');
      mkdirSync(certDir);
      const apiserver = launch('kube-apiserver', [
        `--etcd-servers=http://127.0.0.1:${etcdClient}`,
        `--bind-address=127.0.0.1`,
        `--advertise-address=127.0.0.1`,
        `--secure-port=${securePort}`,
        `--cert-dir=${certDir}`,
        `--token-auth-file=${join(dir, 'tokens.csv')}`,
        '--authorization-mode=RBAC',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${join(dir, 'sa.pub')}`,
        `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--allow-privileged=true',
        // No kubernetes Service endpoints for a loopback advertise address (refused otherwise).
        '--endpoint-reconciler-type=none',
        // No kube-controller-manager creates `default` ServiceAccounts, which this plugin demands of pods.
        '--disable-admission-plugins=ServiceAccount',
        ...(options.apiserverFlags ?? []),
      ]);
      const server = `https://127.0.0.1:${securePort}`;
      const adminToken = tokens.get('admin')!;
      await waitFor(
        'kube-apiserver',
        apiserver,
        dir,
        async () => (await httpGet(`${server}/readyz`, adminToken)) === 200,
      );
      // The self-signed serving certificate is written with its CA appended: trust that chain.
      const caData = Buffer.from(readFileSync(join(certDir, 'apiserver.crt'))).toString('base64');
      const cp = new ControlPlane(dir, children, server, caData, tokens);
      if (options.installCRDs !== false) await cp.installCRDs();
      process.removeListener('exit', cleanup);
      if (!detached) process.once('exit', () => cp.stopNow());
      cp.startupSeconds = (performance.now() - t0) / 1000;
      const v = toolVersions();
      if (!detached)
        console.log(
          `      envtest: kube-apiserver ${v.K8S_VERSION} + etcd ${v.ETCD_VERSION} ready in ${cp.startupSeconds.toFixed(1)} s`,
        );
      return cp;
    } catch (err) {
      cleanup();
      process.removeListener('exit', cleanup);
      throw err;
    }
  }

  /**
   * Applies every CRD in dir (default crds/, served at version) with kubectl, as a user installs them, and waits until each is
   * Established and its storage serves lists (for a moment after Established the apiserver
   * answers 429 "storage is (re)initializing"). client-node's typed API is not used to apply
   * them: it drops schema keys it has no model field for, such as `default` and
   * `x-kubernetes-validations`.
   */
  async installCRDs(dir = crdsDir, version = VERSION): Promise<void> {
    const applied = await this.kubectl(['apply', '--server-side', '-f', dir]);
    if (applied.code !== 0) throw new Error(`envtest: applying ${dir} failed: ${applied.stderr}`);
    const crds = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length));
    const established = await this.kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=30s',
      ...crds.map((name) => `crd/${name}`),
    ]);
    if (established.code !== 0) throw new Error(`envtest: CRDs not Established: ${established.stderr}`);
    const deadline = Date.now() + 30_000;
    for (const name of crds) {
      const [plural, ...group] = name.split('.');
      const url = `${this.server}/apis/${group.join('.')}/${version}/${plural}?limit=1`;
      while ((await httpGet(url, this.tokens.get('admin')).catch(() => 0)) !== 200) {
        if (Date.now() > deadline) throw new Error(`envtest: ${name} not served within 30 s`);
        await sleep(50);
      }
    }
  }

  /** Runs the built kubectl against this control plane as admin. */
  async kubectl(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const child = spawn(toolPath('kubectl'), ['--kubeconfig', this.kubeconfigPath, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(stdin ?? '');
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    return { code, stdout, stderr };
  }

  /** Stops kube-apiserver then etcd (SIGTERM, SIGKILL after a grace period) and removes the temp dir. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const child of [...this.children].reverse()) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const graceful = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
      if (!graceful) {
        child.kill('SIGKILL');
        await exited;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous last resort, for process exit. */
  private stopNow(): void {
    if (this.stopped) return;
    this.stopped = true;
    killAndRemove(this.dir, this.children);
  }
}

function launchIn(
  dir: string,
  children: ChildProcess[],
  tool: string,
  args: string[],
  detached: boolean,
): ChildProcess {
  const log = openSync(join(dir, `${tool}.log`), 'a');
  const child = spawn(toolPath(tool), args, { cwd: dir, stdio: ['ignore', log, log], detached });
  if (detached) child.unref();
  closeSync(log);
  children.push(child);
  if (child.pid) appendFileSync(join(dir, 'pids'), `${child.pid}\n`);
  return child;
}

async function waitFor(what: string, child: ChildProcess, dir: string, ready: () => Promise<boolean>) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `envtest: ${what} exited (${child.exitCode ?? child.signalCode}):\n${logTail(dir, what)}`,
      );
    }
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`envtest: ${what} not ready in 60 s:\n${logTail(dir, what)}`);
    await sleep(100);
  }
}

function logTail(dir: string, tool: string): string {
  try {
    return readFileSync(join(dir, `${tool}.log`), 'utf8')
      .split('\n')
      .slice(-30)
      .join('\n');
  } catch {
    return '(no log)';
  }
}

/** Status code of a GET; TLS is not verified here (only used to poll loopback health endpoints). */
function httpGet(url: string, token?: string): Promise<number> {
  if (url.startsWith('http:')) {
    return fetch(url).then((r) => r.status);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        rejectUnauthorized: false,
        headers: token ? { Authorization: `Bearer ${token}` } : {},
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

/**
 * n free loopback ports, picked at random below the kernel's ephemeral range (32768-60999 here),
 * where an outgoing connection could take the port between our check and the server's bind.
 */
async function freePorts(n: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < n) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    if (ports.includes(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) ports.push(port);
  }
  return ports;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killAll(children: ChildProcess[]): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}

function killAndRemove(dir: string, children: ChildProcess[]): void {
  killAll(children);
  rmSync(dir, { recursive: true, force: true });
}

/** Kills the processes of, and removes, temp dirs whose owning test process is gone. */
function reapOrphans(): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const dir = join(tmpdir(), name);
    const owner = Number(readFileSafe(join(dir, 'owner')));
    if (owner && isAlive(owner)) continue;
    for (const pid of readFileSafe(join(dir, 'pids')).split('\n').map(Number).filter(Boolean)) {
      // Only a process whose arguments name this dir: a PID may have been reused since.
      if (isAlive(pid) && readFileSafe(`/proc/${pid}/cmdline`).includes(dir)) process.kill(pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function readFileSafe(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}
