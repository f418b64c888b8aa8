// `make up`: a Kova cloud on this machine. A real kube-apiserver + etcd, this machine registered
// as a compute node, the operator, Nova's classic flavors; every process detached and recorded
// by PID in the cloud's folder so that `make down` stops exactly these. Logs go to <dir>/logs.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { type AddressInfo, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statfsSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import { join } from 'node:path';
import { ControlPlane } from '../../e2e/harness/controlplane.ts';
import {
  createFakeNode,
  createFlavor,
  createImage,
  createNamespace,
  waitForHostsUp,
} from '../../e2e/harness/fixtures.ts';
import { LIBVIRT_URI, createTinyGuestImages, ensureLibvirtd } from '../../e2e/harness/libvirt.ts';
import { repoRoot } from '../../e2e/harness/tools.ts';
import { KubeClient } from '../../operator/src/kube/client.ts';
import { cloudDir, isRunning, pidsFile, recordPid } from './processes.ts';

/** Nova's classic default flavors (nova-manage's old defaults, as DevStack creates them). */
export const DEFAULT_FLAVORS = [
  { name: 'm1.tiny', id: '1', vcpus: 1, ram: 512, disk: 1 },
  { name: 'm1.small', id: '2', vcpus: 1, ram: 2048, disk: 20 },
  { name: 'm1.medium', id: '3', vcpus: 2, ram: 4096, disk: 40 },
  { name: 'm1.large', id: '4', vcpus: 4, ram: 8192, disk: 80 },
  { name: 'm1.xlarge', id: '5', vcpus: 8, ram: 16384, disk: 160 },
];

/** The tiny bootable image `make up` provides. */
const IMAGE = 'tiny-linux';
const dir = cloudDir();
const logs = join(dir, 'logs');
const started = performance.now();

function step(what: string): () => void {
  const t0 = performance.now();
  process.stdout.write(`==> ${what} ... `);
  return () => console.log(`done (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

/** Starts a Kova program detached, its output in logs/<name>.log, its PID recorded. */
function startProgram(name: string, script: string, args: string[]): ChildProcess {
  const log = openSync(join(logs, `${name}.log`), 'a');
  const child = spawn(process.execPath, [join(repoRoot, script), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  child.unref();
  recordPid(dir, child.pid!, name);
  return child;
}

if (isRunning(dir)) {
  console.log(`Kova is already up (${dir}); \`make down\` stops it.`);
  process.exit(0);
}
// A fresh cloud each time: the previous one's state and logs go.
rmSync(dir, { recursive: true, force: true });
mkdirSync(logs, { recursive: true });

let done = step('kube-apiserver + etcd');
const cp = await ControlPlane.start({ detached: { dir: join(dir, 'controlplane') } });
cp.pids.forEach((pid, i) => recordPid(dir, pid, ['etcd', 'kube-apiserver'][i]!));
// Every log in one folder: the control plane writes its own next to its data.
for (const tool of ['etcd', 'kube-apiserver'])
  symlinkSync(join(cp.dir, `${tool}.log`), join(logs, `${tool}.log`));
const kubeconfig = join(dir, 'kubeconfig');
writeFileSync(kubeconfig, readFileSync(cp.kubeconfigPath));
const client = await KubeClient.create(cp.kubeConfig);
await createNamespace(client, 'kova-system');
done();

// libvirt + QEMU where they can run (KVM when /dev/kvm works, else software emulation); else the
// fake driver, and the reason.
done = step('libvirt');
const libvirt = await startLibvirt();
if (libvirt.ok) done();
else console.log(`not available: ${libvirt.reason}; servers use the fake driver (records, not VMs)`);
const driver = libvirt.ok ? 'libvirt' : 'fake';

done = step(`node ${hostname()} (${driver} driver)`);
const disk = statfsSync(dir);
await createFakeNode(
  client,
  hostname(),
  {
    cpu: cpus().length,
    memoryMb: Math.floor(totalmem() / 2 ** 20),
    diskGb: Math.floor((disk.blocks * disk.bsize) / 2 ** 30),
  },
  driver,
);
done();

// The gateway's image store: its port and the secret it shares with the agent (snapshot uploads).
const port = (await portFree(8774)) ? 8774 : await freePort();
const gatewayUrl = `http://127.0.0.1:${port}`;
const storeSecretFile = join(dir, 'image-store-secret');
writeFileSync(storeSecretFile, randomBytes(32), { mode: 0o600 });

done = step('operator');
startProgram('operator', 'operator/src/main.ts', [
  '--kubeconfig',
  kubeconfig,
  '--no-leader-election',
  '--metrics-port',
  '0',
  ...(libvirt.ok ? [] : ['--fake-state-dir', join(dir, 'fake')]),
]);
if (libvirt.ok) {
  startProgram('libvirt-agent', 'operator/src/agent/main.ts', [
    '--node',
    hostname(),
    '--kubeconfig',
    kubeconfig,
    '--state-dir',
    join(dir, 'instances'),
    '--libvirt-uri',
    LIBVIRT_URI,
    '--image-store-url',
    gatewayUrl,
    '--image-store-secret-file',
    storeSecretFile,
  ]);
}
await waitForHostsUp(client, 1);
done();

done = step('flavors m1.tiny ... m1.xlarge');
for (const f of DEFAULT_FLAVORS) await createFlavor(client, f.name, f);
done();

done = step(`image ${IMAGE}${libvirt.ok ? ' (a kernel and busybox initramfs from Debian packages)' : ''}`);
if (libvirt.ok) await createTinyGuestImages(client, IMAGE);
else await createImage(client, IMAGE);
done();

done = step('API gateway (Nova, Keystone, Glance)');
const password = randomBytes(12).toString('base64url');
const passwordFile = join(dir, 'admin-password');
writeFileSync(passwordFile, password + '\n', { mode: 0o600 });
startProgram('gateway', 'api-gateway/src/main.ts', [
  '--kubeconfig',
  kubeconfig,
  '--listen',
  `127.0.0.1:${port}`,
  '--bootstrap-password-file',
  passwordFile,
  '--image-store',
  join(dir, 'images'),
  '--image-store-url',
  gatewayUrl,
  '--image-store-secret-file',
  storeSecretFile,
]);
await until('the gateway is ready', async () => (await fetch(`${gatewayUrl}/readyz`)).ok);
done();

await client.close();
const openrc = join(dir, 'openrc');
writeFileSync(
  openrc,
  [
    '# Kova local cloud: `source` this file to use the openstack CLI as the admin.',
    `export OS_AUTH_URL=${gatewayUrl}/identity/v3`,
    'export OS_IDENTITY_API_VERSION=3',
    'export OS_USERNAME=admin',
    `export OS_PASSWORD=${password}`,
    'export OS_PROJECT_NAME=admin',
    'export OS_USER_DOMAIN_NAME=Default',
    'export OS_PROJECT_DOMAIN_NAME=Default',
    'export OS_REGION_NAME=RegionOne',
    `export KUBECONFIG=${kubeconfig}`,
    '',
  ].join('\n'),
  { mode: 0o600 },
);
console.log(`
Kova is up in ${((performance.now() - started) / 1000).toFixed(0)} s (folder ${dir}, logs in ${logs}).

  source ${openrc}      # OS_* for the openstack CLI (admin), and KUBECONFIG
  openstack server create --flavor m1.tiny --image ${IMAGE} --wait demo
  kubectl get servers -A

\`make down\` stops it (the PIDs are in ${pidsFile(dir)}).`);
if (!existsSync(pidsFile(dir))) process.exitCode = 1;

/** Starts libvirtd (and virtlogd) unless one answers; their PIDs are the cloud's. */
async function startLibvirt(): Promise<{ ok: true } | { ok: false; reason: string }> {
  for (const bin of ['virsh', 'libvirtd', 'qemu-system-x86_64', 'xorriso']) {
    try {
      execFileSync('which', [bin], { stdio: 'ignore' });
    } catch {
      return { ok: false, reason: `${bin} is not installed (hack/install-system-deps.sh installs it)` };
    }
  }
  try {
    const { started } = await ensureLibvirtd(dir);
    started.forEach((pid, i) => recordPid(dir, pid, i === started.length - 1 ? 'libvirtd' : 'virtlogd'));
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}

/** Polls check every 200 ms for up to 60 s. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 60 s (see ${logs})`);
    await sleep(200);
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
