// The Helm chart, installed by the real helm into a real control plane: it renders, the apiserver
// accepts every object, and its RBAC is enough and no more: the operator, running as the chart's
// ServiceAccount, boots a server, and the apiserver's audit log shows it was never refused.
import { expect } from 'chai';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../operator/src/config.ts';
import { KubeClient } from '../operator/src/kube/client.ts';
import { Operator } from '../operator/src/operator.ts';
import { API_VERSION } from '../operator/src/api/kind.ts';
import { Agent } from '../operator/src/agent/agent.ts';
import { IMAGES } from '../operator/src/controllers/server.ts';
import { FakeLibvirt } from '../operator/src/drivers/libvirt/fake.ts';
import { COMPUTE_HOSTS } from '../operator/src/controllers/computehost.ts';
import { collectionPath, objectPath } from '../operator/src/kube/resources.ts';
import { ControlPlane } from './harness/controlplane.ts';
import { startGateway } from './harness/gateway.ts';
import { OpenStackCli } from './harness/openstack.ts';
import {
  createFakeNode,
  createFlavor,
  createImage,
  createNamespace,
  createServer,
  eventually,
  serverManifest,
  waitForHostsUp,
} from './harness/fixtures.ts';
import { repoRoot, toolPath } from './harness/tools.ts';

const run = promisify(execFile);
const CHART = join(repoRoot, 'charts', 'kova');
const NS = 'kova-system';
/** The ServiceAccounts as the apiserver names them (release "kova"). */
const OPERATOR_SA = `system:serviceaccount:${NS}:kova-operator`;
const GATEWAY_SA = `system:serviceaccount:${NS}:kova-gateway`;
const AGENT_SA = `system:serviceaccount:${NS}:kova-agent`;
const SA_GROUPS = ['system:serviceaccounts', `system:serviceaccounts:${NS}`];

interface AuditEvent {
  user: { username: string };
  impersonatedUser?: { username: string };
  verb: string;
  requestURI: string;
  responseStatus?: { code: number };
}

describe('Helm chart (helm install on a real kube-apiserver)', function () {
  this.timeout(180_000);
  let cp: ControlPlane;
  let client: KubeClient;
  const dir = mkdtempSync(join(tmpdir(), 'kova-helm-'));
  const auditLog = join(dir, 'audit.log');
  const helm = (...args: string[]) =>
    run(toolPath('helm'), [...args, '--kubeconfig', cp.kubeconfigPath], {
      env: { ...process.env, HELM_CACHE_HOME: dir, HELM_CONFIG_HOME: dir, HELM_DATA_HOME: dir },
    });

  before(async () => {
    writeFileSync(
      join(dir, 'audit-policy.yaml'),
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n',
    );
    cp = await ControlPlane.start({
      installCRDs: false,
      users: [
        { name: OPERATOR_SA, groups: SA_GROUPS },
        { name: GATEWAY_SA, groups: SA_GROUPS },
        { name: AGENT_SA, groups: SA_GROUPS },
      ],
      apiserverFlags: [
        `--audit-policy-file=${join(dir, 'audit-policy.yaml')}`,
        `--audit-log-path=${auditLog}`,
        '--audit-log-mode=blocking',
      ],
    });
    client = await KubeClient.create(cp.kubeConfig);
  });
  after(async () => {
    await client?.close();
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('helm lint passes and the chart renders with its defaults', async () => {
    const lint = await helm('lint', CHART, '--strict');
    expect(lint.stdout).to.include('0 chart(s) failed');
  });

  it('values.schema.json refuses a bad value with a clear message', async () => {
    const bad = await helm('template', 'kova', CHART, '--set', 'operator.replicas=two').catch(
      (e: { stderr: string }) => e,
    );
    expect((bad as { stderr: string }).stderr).to.match(/operator.*replicas/);
  });

  it('helm template output (with the CRDs) applies with kubectl apply --dry-run=server', async () => {
    const rendered = await helm('template', 'kova', CHART, '--namespace', NS, '--include-crds');
    await createNamespace(client, NS);
    const applied = await cp.kubectl(['apply', '--dry-run=server', '-f', '-'], rendered.stdout);
    expect(applied.code, applied.stderr).to.equal(0);
    expect(applied.stdout).to.include('deployment.apps/kova-operator created (server dry run)');
  });

  it('helm install creates the CRDs, RBAC, the operator and gateway Deployments (2 replicas each) and their ServiceAccounts', async () => {
    await helm('install', 'kova', CHART, '--namespace', NS, '--create-namespace');
    const crds = await client.get<{ items: { metadata: { name: string } }[] }>(
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
    );
    expect(crds.items.map((c) => c.metadata.name)).to.include.members([
      'servers.compute.kova.io',
      'flavors.compute.kova.io',
      'computehosts.compute.kova.io',
    ]);
    const operator = await client.get<{ spec: { replicas: number } }>(
      `/apis/apps/v1/namespaces/${NS}/deployments/kova-operator`,
    );
    expect(operator.spec.replicas).to.equal(2);
    const gateway = await client.get<{ spec: { replicas: number } }>(
      `/apis/apps/v1/namespaces/${NS}/deployments/kova-gateway`,
    );
    expect(gateway.spec.replicas).to.equal(2);
    await client.get(`/api/v1/namespaces/${NS}/services/kova-gateway`);
    await client.get('/apis/rbac.authorization.k8s.io/v1/clusterroles/kova:member');
    await client.get(`/api/v1/namespaces/${NS}/serviceaccounts/kova-operator`);
    await client.get('/apis/rbac.authorization.k8s.io/v1/clusterroles/kova-operator');
  });

  it("the operator's RBAC is enough: running as its ServiceAccount it boots a server, never refused by the apiserver", async () => {
    await cp.kubectl(['wait', '--for=condition=Established', '--all', 'crd']);
    await createNamespace(client, 'demo');
    await createFakeNode(client, 'node-1', { cpu: 8, memoryMb: 16384, diskGb: 100 });
    await createFlavor(client, 'm1.tiny', { vcpus: 1, ram: 512, disk: 1 });
    await createImage(client, 'tiny');
    const stateDir = join(dir, 'fake');
    const operator = await Operator.create({
      kubeConfig: cp.kubeConfigFor(OPERATOR_SA),
      config: loadConfig(undefined, {
        fake: { enabled: true, stateDir },
        compute: { report_interval: 1 },
        leaderElection: { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 },
      }),
      log: pino({ level: 'silent' }),
    });
    const running = operator.run();
    try {
      await waitForHostsUp(client, 1);
      await createServer(client, 'demo', serverManifest('web-1', 'm1.tiny', 'tiny'));
      await eventually('web-1 ACTIVE', async () => {
        const s = await client.get<{ status?: { status?: string } }>(
          '/apis/compute.kova.io/v1alpha1/namespaces/demo/servers/web-1',
        );
        return s.status?.status === 'ACTIVE';
      });
    } finally {
      await operator.stop();
      await running;
    }
    expect(refusedRequests(OPERATOR_SA)).to.deep.equal([]);
  });

  it("the gateway's RBAC is enough: as its ServiceAccount it bootstraps the admin, who creates a project, a member and a flavor; the member boots a server and uploads, updates and deletes an image", async () => {
    const gw = await startGateway(cp, {
      kubeConfig: cp.kubeConfigFor(GATEWAY_SA),
      applyRbac: false, // the chart shipped it
      bootstrap: { user: 'admin', password: 'admin-pw', project: 'admin' },
    });
    const operator = await Operator.create({
      kubeConfig: cp.kubeConfigFor(OPERATOR_SA),
      config: loadConfig(undefined, {
        fake: { enabled: true, stateDir: join(dir, 'fake-2') },
        compute: { report_interval: 1 },
        leaderElection: { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 },
      }),
      log: pino({ level: 'silent' }),
    });
    const running = operator.run();
    try {
      const admin = new OpenStackCli({
        authUrl: gw.authUrl,
        user: 'admin',
        password: 'admin-pw',
        project: 'admin',
      });
      await admin.ok(['project', 'create', 'tenant-a']);
      await admin.ok(['user', 'create', '--password', 'alice-pw', 'alice']);
      await admin.ok(['role', 'add', '--project', 'tenant-a', '--user', 'alice', 'member']);
      await admin.ok(['flavor', 'create', '--ram', '512', '--vcpus', '1', '--disk', '1', 'm1.micro']);
      const alice = new OpenStackCli({
        authUrl: gw.authUrl,
        user: 'alice',
        password: 'alice-pw',
        project: 'tenant-a',
      });
      const server = await alice.json<{ status: string }>([
        'server',
        'create',
        '--flavor',
        'm1.micro',
        '--image',
        'tiny',
        '--wait',
        'app-1',
      ]);
      expect(server.status).to.equal('ACTIVE');
      // Glance writes of a member go through the gateway's image-writer role (gateway-image-rbac.yaml).
      const disk = join(dir, 'upload.raw');
      writeFileSync(disk, Buffer.alloc(65_536, 1));
      await alice.ok(['image', 'create', '--file', disk, '--disk-format', 'raw', 'up-1']);
      const image = await alice.json<{ status: string; size: number }>(['image', 'show', 'up-1']);
      expect(image).to.include({ status: 'active', size: 65_536 });
      await alice.ok(['image', 'set', '--property', 'os_distro=tiny', 'up-1']);
      await alice.ok(['image', 'delete', 'up-1']);
    } finally {
      await operator.stop();
      await running;
      await gw.close();
    }
    expect(refusedRequests(GATEWAY_SA)).to.deep.equal([]);
    expect(refusedRequests(OPERATOR_SA)).to.deep.equal([]);
  });

  it("the libvirt agent's RBAC is enough: as its ServiceAccount (libvirt in memory) it reports its host and builds a server", async () => {
    execFileSync('qemu-img', ['create', '-q', '-f', 'raw', join(dir, 'root.raw'), '1M']);
    await createFakeNode(client, 'lv-1', { cpu: 2, memoryMb: 4096, diskGb: 20 }, 'libvirt');
    await client.create(collectionPath(IMAGES), {
      apiVersion: API_VERSION,
      kind: 'Image',
      metadata: { name: 'blank' },
      spec: {
        name: 'blank',
        diskFormat: 'raw',
        visibility: 'public',
        source: { nodePath: join(dir, 'root.raw') },
      },
    });
    const operator = await Operator.create({
      kubeConfig: cp.kubeConfigFor(OPERATOR_SA),
      config: loadConfig(undefined, {
        compute: { report_interval: 1 },
        leaderElection: { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 },
      }),
      log: pino({ level: 'silent' }),
    });
    const agent = await Agent.create({
      kubeConfig: cp.kubeConfigFor(AGENT_SA),
      node: 'lv-1',
      namespace: NS,
      stateDir: join(dir, 'instances'),
      libvirt: new FakeLibvirt(),
      reportInterval: 1,
      log: pino({ level: 'silent' }),
    });
    const running = [operator.run(), agent.run()];
    try {
      // The fake driver of the tests before is gone: force node-1's compute service down (Nova's
      // os-services force-down) so that lv-1 is the only host.
      await client.patch(objectPath(COMPUTE_HOSTS, 'node-1'), { spec: { forcedDown: true } });
      await eventually('lv-1 reported by its agent', async () => {
        const ch = await client.get<{ status?: { state?: string } }>(objectPath(COMPUTE_HOSTS, 'lv-1'));
        return ch.status?.state === 'up';
      });
      await createServer(client, 'demo', serverManifest('vm-1', 'm1.tiny', 'blank'));
      await eventually('vm-1 ACTIVE on lv-1', async () => {
        const s = await client.get<{ status?: { status?: string; host?: string } }>(
          '/apis/compute.kova.io/v1alpha1/namespaces/demo/servers/vm-1',
        );
        return s.status?.status === 'ACTIVE' && s.status.host === 'lv-1';
      }).catch(async (e: Error) => {
        const s = await client.get('/apis/compute.kova.io/v1alpha1/namespaces/demo/servers/vm-1');
        throw new Error(
          `${e.message}: ${JSON.stringify((s as { status: unknown }).status)}; refused ${refusedRequests(AGENT_SA).join(', ')}`,
        );
      });
    } finally {
      await agent.stop();
      await operator.stop();
      await Promise.all(running);
    }
    expect(refusedRequests(AGENT_SA)).to.deep.equal([]);
  });

  /** The requests a ServiceAccount made in its own name (not impersonating) that were refused. */
  function refusedRequests(user: string): string[] {
    const events = readFileSync(auditLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditEvent)
      .filter((e) => e.user.username === user && !e.impersonatedUser);
    expect(events.length, `${user} made requests`).to.be.greaterThan(10);
    return events.filter((e) => e.responseStatus?.code === 403).map((e) => `${e.verb} ${e.requestURI}`);
  }
});
