// The README's first command: `make up` starts a local cloud, the examples boot a server on it,
// and `make down` leaves no process behind.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually } from './harness/fixtures.ts';
import { BOOT_MARKER } from './harness/guest.ts';
import { OpenStackCli } from './harness/openstack.ts';
import { repoRoot, toolPath } from './harness/tools.ts';

const run = promisify(execFile);

/** PIDs of live processes whose command line names dir. */
function processesOf(dir: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('Local cloud (make up / make down)', function () {
  this.timeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'kova-cloud-'));
  const env = { ...process.env, KOVA_CLOUD_DIR: dir };
  const kubectl = async (...args: string[]) =>
    (await run(toolPath('kubectl'), ['--kubeconfig', join(dir, 'kubeconfig'), ...args], { env })).stdout;

  /** The admin, as the printed openrc logs in. */
  const admin = () => {
    const rc = Object.fromEntries(
      [...readFileSync(join(dir, 'openrc'), 'utf8').matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [
        m[1],
        m[2],
      ]),
    );
    return new OpenStackCli({
      authUrl: rc.OS_AUTH_URL!,
      user: rc.OS_USERNAME!,
      password: rc.OS_PASSWORD!,
      project: rc.OS_PROJECT_NAME!,
    });
  };

  after(async () => {
    await run('make', ['-s', 'down'], { cwd: repoRoot, env }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it("make up starts the control plane, a compute host, the operator and the gateway, with Nova's default flavors", async () => {
    const up = await run('make', ['-s', 'up'], { cwd: repoRoot, env });
    expect(up.stdout).to.include('Kova is up');
    expect(up.stdout).to.include(`source ${join(dir, 'openrc')}`);
    const flavors = await kubectl('get', 'flavors', '-o', 'jsonpath={.items[*].spec.name}');
    expect(flavors.split(' ').sort()).to.deep.equal([
      'm1.large',
      'm1.medium',
      'm1.small',
      'm1.tiny',
      'm1.xlarge',
    ]);
    const states = await kubectl('get', 'computehosts', '-o', 'jsonpath={.items[*].status.state}');
    expect(states).to.equal('up');
    // This machine runs libvirtd + QEMU (hack/install-system-deps.sh): real guests, not the fake driver.
    expect(up.stdout).to.include('(libvirt driver)');
    const driver = await kubectl('get', 'computehosts', '-o', 'jsonpath={.items[*].status.driver}');
    expect(driver).to.equal('libvirt');
  });

  it('make up a second time says it is already up and starts nothing', async () => {
    const before = processesOf(dir).sort();
    const again = await run('make', ['-s', 'up'], { cwd: repoRoot, env });
    expect(again.stdout).to.include('already up');
    expect(processesOf(dir).sort()).to.deep.equal(before);
  });

  it('the openstack CLI, with the printed openrc, boots a server with the built image to ACTIVE, and its console log shows the guest boot marker', async () => {
    const server = await admin().json<{ status: string; name: string }>([
      'server',
      'create',
      '--flavor',
      'm1.tiny',
      '--image',
      'tiny-linux',
      '--wait',
      'demo',
    ]);
    expect(server.status).to.equal('ACTIVE');
    // A real guest: its serial console, through Nova's os-getConsoleOutput, shows it booted.
    await eventually(
      'the boot marker on the console',
      async () => (await admin().ok(['console', 'log', 'show', 'demo'])).includes(BOOT_MARKER),
      120_000,
      2000,
    );
    const listed = await kubectl('get', 'servers', '-A', '-o', 'jsonpath={.items[*].spec.name}');
    expect(listed.split(' ')).to.include('demo');
  });

  it("kubectl apply of the examples in the admin project's namespace boots web-1, a real guest, to ACTIVE, and the openstack CLI lists it (the README's session)", async () => {
    const ex = (f: string) => join(repoRoot, 'examples', f);
    await kubectl(
      'apply',
      '-n',
      'admin',
      '-f',
      ex('keypair.yaml'),
      '-f',
      ex('servergroup.yaml'),
      '-f',
      ex('server.yaml'),
    );
    await eventually(
      'web-1 ACTIVE',
      async () =>
        (await kubectl('get', 'server', '-n', 'admin', 'web-1', '-o', 'jsonpath={.status.status}')) ===
        'ACTIVE',
      120_000,
      500,
    );
    const names = (await admin().json<{ Name: string }[]>(['server', 'list'])).map((s) => s.Name);
    expect(names).to.include.members(['demo', 'web-1']);
    await eventually(
      'the boot marker on web-1',
      async () => (await admin().ok(['console', 'log', 'show', 'web-1'])).includes(BOOT_MARKER),
      120_000,
      2000,
    );
  });

  it('make down stops every process make up started, and nothing else is left', async () => {
    expect(processesOf(dir).length).to.be.greaterThan(2);
    const down = await run('make', ['-s', 'down'], { cwd: repoRoot, env });
    expect(down.stdout).to.include('Kova is down');
    expect(processesOf(dir)).to.deep.equal([]);
  });
});
