// BENCH libvirt_server_to_marker_s: a Server created (kubectl's POST) to the tiny guest's boot
// marker on its serial console, through the operator (scheduler) and the libvirt agent on a real
// libvirtd + QEMU (software emulation). BENCH virsh_start_to_marker_s: a bare `virsh start` of the
// same domain XML (disks copied) to the same marker: what the Kova path adds is the difference.
// Medians of 3.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Server } from '../../operator/src/api/v1alpha1/index.ts';
import { SERVERS } from '../../operator/src/controllers/server.ts';
import { domainName } from '../../operator/src/drivers/libvirt/driver.ts';
import { objectPath } from '../../operator/src/kube/resources.ts';
import {
  createFakeNode,
  createFlavor,
  createServer,
  eventually,
  serverManifest,
  waitForHostsUp,
} from '../harness/fixtures.ts';
import { BOOT_MARKER } from '../harness/guest.ts';
import { createTinyGuestImages, ensureLibvirtd, startAgent, virsh } from '../harness/libvirt.ts';
import { startOperatorSuite } from '../harness/suite.ts';

const RUNS = 3;
const NODE = 'bench-lv';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Resolves with the seconds from t0 until file contains the boot marker. */
async function untilMarker(file: string, t0: number): Promise<number> {
  for (;;) {
    if (existsSync(file) && readFileSync(file, 'utf8').includes(BOOT_MARKER))
      return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > 120_000) throw new Error(`no boot marker in ${file}`);
    await sleep(20);
  }
}

const stopLibvirtd = (await ensureLibvirtd()).stop;
const stateDir = mkdtempSync(join(tmpdir(), 'kova-libvirt-bench-'));
chmodSync(stateDir, 0o755);
const suite = await startOperatorSuite({
  namespaces: ['bench'],
  setup: async (client) => {
    await createFakeNode(client, NODE, { cpu: 2, memoryMb: 4096, diskGb: 20 }, 'libvirt');
    await createFlavor(client, 'm1.nano', { vcpus: 1, ram: 128, disk: 1 });
    await createTinyGuestImages(client, 'tiny');
  },
});
const agent = startAgent(suite.cp, NODE, stateDir, ['--shutdown-timeout', '5', '--log-level', 'warn']);
const bareDir = mkdtempSync(join(tmpdir(), 'kova-libvirt-bare-'));
chmodSync(bareDir, 0o755);
const BARE = 'kova-bench-bare';
try {
  await waitForHostsUp(suite.client, 1, 60_000);
  const viaKova: number[] = [];
  const bare: number[] = [];
  // Interleaved (Kova, bare, Kova, bare...): both see the same load on a shared machine.
  for (let i = 0; i < RUNS; i++) {
    const name = `bench-${i}`;
    const t0 = performance.now();
    const s: Server = await createServer(suite.client, 'bench', serverManifest(name, 'm1.nano', 'tiny'));
    const uid = s.metadata.uid!;
    viaKova.push(await untilMarker(join(stateDir, uid, 'console.log'), t0));
    if (i === 0) {
      // The same domain, by hand: its XML with the disks copied elsewhere, a name and uuid of its own.
      execFileSync('sh', ['-c', `cp -a '${join(stateDir, uid)}/.' '${bareDir}/'`]);
      const xml = virsh('dumpxml', '--inactive', domainName(uid))
        .replaceAll(join(stateDir, uid), bareDir)
        .replace(/<name>[^<]*<\/name>/, `<name>${BARE}</name>`)
        .replace(/<uuid>[^<]*<\/uuid>/, '');
      writeFileSync(join(bareDir, 'domain.xml'), xml);
      virsh('define', join(bareDir, 'domain.xml'));
    }
    await suite.client.delete(objectPath(SERVERS, name, 'bench'));
    await eventually(`${name} gone`, async () => !virsh('list', '--all', '--name').includes(uid), 60_000);
    rmSync(join(bareDir, 'console.log'), { force: true });
    const t1 = performance.now();
    virsh('start', BARE);
    bare.push(await untilMarker(join(bareDir, 'console.log'), t1));
    virsh('destroy', BARE);
  }
  console.log(
    `# via Kova: ${viaKova.map((x) => x.toFixed(2)).join(', ')} s; bare virsh: ${bare.map((x) => x.toFixed(2)).join(', ')} s`,
  );
  console.log(`BENCH libvirt_server_to_marker_s=${median(viaKova).toFixed(2)} s`);
  console.log(`BENCH virsh_start_to_marker_s=${median(bare).toFixed(2)} s`);
} finally {
  try {
    virsh('destroy', BARE);
  } catch {
    // not running
  }
  try {
    virsh('undefine', BARE);
  } catch {
    // never defined
  }
  agent.child.kill('SIGTERM');
  await agent.exited;
  await suite.stop();
  rmSync(stateDir, { recursive: true, force: true });
  rmSync(bareDir, { recursive: true, force: true });
  stopLibvirtd();
}
