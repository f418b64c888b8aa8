// Runs kova-operator as a child process against a test control plane, to test what only a real
// process shows: SIGKILL at any point, restarts, two replicas electing a leader.
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { DeepPartial, OperatorConfig } from '../../operator/src/config.ts';
import type { ControlPlane } from './controlplane.ts';
import { repoRoot } from './tools.ts';

export interface OperatorProcess {
  child: ChildProcess;
  identity: string;
  logFile: string;
  /** Resolves with the exit code or signal. */
  exited: Promise<number | string>;
  log(): string;
}

let counter = 0;
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `node operator/src/main.ts` with the given configuration; its log goes to the control plane's dir. */
export function startOperator(
  cp: ControlPlane,
  config: DeepPartial<OperatorConfig>,
  name = `op-${++counter}`,
): OperatorProcess {
  const configFile = join(cp.dir, `${name}.yaml`);
  writeFileSync(
    configFile,
    stringify({ identity: name, metrics: { host: '127.0.0.1', port: 0 }, ...config }),
  );
  const logFile = join(cp.dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'operator/src/main.ts'), '--config', configFile, '--kubeconfig', cp.kubeconfigPath],
    { stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  process.once('exit', () => child.kill('SIGKILL'));
  return { child, identity: name, logFile, exited, log: () => readFileSync(logFile, 'utf8') };
}
