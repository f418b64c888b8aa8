// A libvirt host for the libvirt agent's e2e tests: libvirtd + virtlogd started by hand (there is
// no systemd here) unless one already answers, and stopped again by whoever started them; the
// tiny guest's three Images (root AMI, kernel, ramdisk); and the agent as a child process.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { API_VERSION } from '../../operator/src/api/kind.ts';
import { IMAGES } from '../../operator/src/controllers/server.ts';
import type { KubeClient } from '../../operator/src/kube/client.ts';
import { collectionPath } from '../../operator/src/kube/resources.ts';
import type { ControlPlane } from './controlplane.ts';
import { buildTinyGuest, type TinyGuest } from './guest.ts';
import { repoRoot } from './tools.ts';

export const LIBVIRT_URI = 'qemu:///system';

export function virsh(...args: string[]): string {
  return execFileSync('virsh', ['-q', '-c', LIBVIRT_URI, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_ALL: 'C' },
  });
}

function answers(): boolean {
  try {
    virsh('version');
    return true;
  } catch {
    return false;
  }
}

function pidOf(file: string): number | undefined {
  const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : NaN;
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Ensures libvirtd answers, starting virtlogd and libvirtd (their PID files in pidDir) when none
 * runs; returns the PIDs it started and a function stopping them.
 */
export async function ensureLibvirtd(pidDir = '/run'): Promise<{ started: number[]; stop: () => void }> {
  const started: number[] = [];
  const stop = () => {
    for (const pid of [...started].reverse()) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  };
  if (answers()) return { started, stop };
  const daemon = (bin: string, pidFile: string) => {
    execFileSync(bin, ['-d', '-p', pidFile]);
    const pid = pidOf(pidFile);
    if (pid) started.push(pid);
  };
  // QEMU's console logs go through virtlogd: start one unless one runs (a socket may be stale).
  const alive = (pidFile: string) => {
    const pid = pidOf(pidFile);
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '); // not a zombie
    } catch {
      return false;
    }
  };
  const virtlogdPid = join(pidDir, 'kova-test-virtlogd.pid');
  if (!alive('/run/virtlogd.pid') && !alive('/run/kova-test-virtlogd.pid') && !alive(virtlogdPid)) {
    daemon('virtlogd', virtlogdPid);
  }
  daemon('libvirtd', join(pidDir, 'kova-test-libvirtd.pid'));
  for (let i = 0; i < 100 && !answers(); i++) await sleep(100);
  if (!answers()) {
    stop();
    throw new Error('libvirtd did not start');
  }
  return { started, stop };
}

/** Creates the tiny guest's Images: `name` (the root) with kernel_id and ramdisk_id. */
export async function createTinyGuestImages(client: KubeClient, name: string): Promise<TinyGuest> {
  const guest = buildTinyGuest();
  const image = (n: string, diskFormat: string, nodePath: string, properties?: Record<string, string>) =>
    client.create(collectionPath(IMAGES), {
      apiVersion: API_VERSION,
      kind: 'Image',
      metadata: { name: n },
      spec: {
        name: n,
        diskFormat,
        containerFormat: diskFormat === 'raw' ? 'bare' : diskFormat,
        visibility: 'public',
        source: { nodePath },
        ...(properties ? { properties } : {}),
      },
    });
  await image(`${name}-kernel`, 'aki', guest.kernel);
  await image(`${name}-ramdisk`, 'ari', guest.initramfs);
  await image(name, 'raw', guest.root, {
    kernel_id: `${name}-kernel`,
    ramdisk_id: `${name}-ramdisk`,
    os_command_line: guest.cmdline,
  });
  return guest;
}

export interface AgentProcess {
  child: ChildProcess;
  exited: Promise<number | string>;
  log(): string;
}

/** Starts `node operator/src/agent/main.ts` for node against the control plane. */
export function startAgent(
  cp: ControlPlane,
  node: string,
  stateDir: string,
  extra: string[] = [],
): AgentProcess {
  const logFile = join(cp.dir, `agent-${node}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      join(repoRoot, 'operator/src/agent/main.ts'),
      '--node',
      node,
      '--kubeconfig',
      cp.kubeconfigPath,
      '--state-dir',
      stateDir,
      '--libvirt-uri',
      LIBVIRT_URI,
      '--virt-type',
      'qemu',
      '--report-interval',
      '1',
      ...extra,
    ],
    { stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  process.once('exit', () => child.kill('SIGKILL'));
  return { child, exited, log: () => readFileSync(logFile, 'utf8') };
}

/** The kova domains libvirt has (running or not). */
export function kovaDomains(): string[] {
  return virsh('list', '--all', '--name')
    .split('\n')
    .filter((n) => n.startsWith('kova-'));
}
