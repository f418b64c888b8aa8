// `make down`: stops what `make up` started, by the PIDs it recorded, newest first (the programs
// before the apiserver they talk to, etcd last): SIGTERM, then SIGKILL after 10 s. The folder
// (logs, state) stays until the next `make up`.
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { cloudDir, isOurs, pidsFile, recorded } from './processes.ts';

const dir = cloudDir();
const procs = recorded(dir)
  .filter((p) => isOurs(dir, p.pid))
  .reverse();
if (procs.length === 0) {
  console.log(`Kova is not running (${dir}).`);
  process.exit(0);
}
for (const p of procs) {
  process.stdout.write(`==> stopping ${p.name} (${p.pid}) ... `);
  process.kill(p.pid, 'SIGTERM');
  const deadline = Date.now() + 10_000;
  while (isOurs(dir, p.pid) && Date.now() < deadline) await sleep(100);
  if (isOurs(dir, p.pid)) {
    process.kill(p.pid, 'SIGKILL');
    while (isOurs(dir, p.pid)) await sleep(50);
    console.log('killed');
  } else console.log('stopped');
}
rmSync(pidsFile(dir), { force: true });
console.log(`Kova is down; logs stay in ${dir}/logs until the next \`make up\`.`);
