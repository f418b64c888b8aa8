// The local cloud's processes: each recorded by PID (with a name) in <dir>/pids when started,
// so that `make down` stops exactly those, and a PID reused since by another program is spared.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../e2e/harness/tools.ts';

/** The cloud's folder: KOVA_CLOUD_DIR, or .cloud/ in the repository. */
export function cloudDir(): string {
  return process.env.KOVA_CLOUD_DIR ?? join(repoRoot, '.cloud');
}

export const pidsFile = (dir: string) => join(dir, 'pids');

export interface Recorded {
  pid: number;
  name: string;
}

export function recordPid(dir: string, pid: number, name: string): void {
  appendFileSync(pidsFile(dir), `${pid} ${name}\n`);
}

export function recorded(dir: string): Recorded[] {
  if (!existsSync(pidsFile(dir))) return [];
  return readFileSync(pidsFile(dir), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pid, name] = line.split(' ');
      return { pid: Number(pid), name: name ?? '' };
    });
}

/** Whether pid runs a program started for this cloud: its command line names the cloud's folder. */
export function isOurs(dir: string, pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return false;
  }
}

export function isRunning(dir: string): boolean {
  return recorded(dir).some((p) => isOurs(dir, p.pid));
}
