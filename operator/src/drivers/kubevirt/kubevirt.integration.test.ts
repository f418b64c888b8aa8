// The KubeVirt driver on a real apiserver with KubeVirt's CRD schemas installed: every object Kova
// writes is validated by KubeVirt's schema; KubeVirt's controllers and virt-api are played by
// e2e/harness/kubevirt.ts as KubeVirt documents them.
import { expect } from 'chai';
import { join } from 'node:path';
import { API_VERSION } from '../../api/kind.ts';
import type { ComputeHost, Server, ServerAction } from '../../api/v1alpha1/index.ts';
import { SERVER_ACTIONS } from '../../controllers/serveraction.ts';
import { COMPUTE_HOSTS } from '../../controllers/computehost.ts';
import { KEYPAIRS } from '../../controllers/keypair.ts';
import { IMAGES, SERVERS, USER_ANNOTATION } from '../../controllers/server.ts';
import type { KubeError } from '../../kube/client.ts';
import { type KubeClient, isNotFound } from '../../kube/client.ts';
import { NODES, collectionPath, objectPath } from '../../kube/resources.ts';
import {
  createFakeNode,
  createFlavor,
  createServer,
  eventually,
  getServer,
  runAction,
  serverManifest,
} from '../../../../e2e/harness/fixtures.ts';
import { FakeKubeVirt } from '../../../../e2e/harness/kubevirt.ts';
import { type OperatorSuite, startOperatorSuite } from '../../../../e2e/harness/suite.ts';
import {
  VIRTUAL_MACHINES,
  VIRTUAL_MACHINE_INSTANCES,
  VIRTUAL_MACHINE_INSTANCE_MIGRATIONS,
} from './driver.ts';
import {
  HOST_LABEL,
  KUBEVIRT_SCHEDULABLE_LABEL,
  METADATA_ANNOTATION,
  SERVER_LABEL,
  UUID_LABEL,
} from './manifest.ts';
import type {
  V1VirtualMachine,
  V1VirtualMachineInstance,
  V1VirtualMachineInstanceMigration,
} from './types.ts';
import type { SubresourceClient } from './driver.ts';

const NS = 'kv';
/** KubeVirt's CRDs (KOVA_KUBEVIRT_CRDS: another directory of them, e.g. a cluster's own). */
const KUBEVIRT_CRDS =
  process.env.KOVA_KUBEVIRT_CRDS ?? join(import.meta.dirname, '../../../../e2e/testdata/kubevirt');
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIqEr+cwqUU4w648xqk85LraLVfmI9Vz3ZYqnrrCyUxX demo@kova';
const OTHER_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0vMallorysKeyMallorysKeyMallorysKeyMal mallory@kova';
const CONTAINER_DISK = 'quay.io/containerdisks/cirros:0.6.2';
const FEDORA_DISK = 'quay.io/containerdisks/fedora:41';

async function settled(client: KubeClient, name: string, status: string): Promise<Server> {
  return eventually(`${name} ${status}`, async () => {
    const s = await getServer(client, NS, name);
    return s.status?.status === status && !s.status.taskState && !s.status.action && s;
  });
}

const getVm = (client: KubeClient, name: string) =>
  client.get<V1VirtualMachine>(objectPath(VIRTUAL_MACHINES, name, NS));
const getVmi = (client: KubeClient, name: string) =>
  client
    .get<V1VirtualMachineInstance>(objectPath(VIRTUAL_MACHINE_INSTANCES, name, NS))
    .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));

async function kubevirtNode(client: KubeClient, name: string, schedulable: boolean): Promise<void> {
  await createFakeNode(client, name, { cpu: 16, memoryMb: 32768, diskGb: 500 }, 'kubevirt');
  if (schedulable) {
    await client.patch(objectPath(NODES, name), {
      metadata: { labels: { [KUBEVIRT_SCHEDULABLE_LABEL]: 'true' } },
    });
  }
}

describe('KubeVirt driver: servers as KubeVirt VirtualMachines (real apiserver, KubeVirt CRD schemas)', function () {
  this.timeout(180_000);
  let suite: OperatorSuite;
  let client: KubeClient;
  let kubevirt: FakeKubeVirt;

  before(async () => {
    let subresources: SubresourceClient | undefined;
    suite = await startOperatorSuite({
      namespaces: [NS],
      crds: [[KUBEVIRT_CRDS, 'v1']],
      setup: async (c) => {
        await kubevirtNode(c, 'kv-a', true);
        await kubevirtNode(c, 'kv-b', true);
        await kubevirtNode(c, 'kv-none', false); // labelled for Kova, but no virt-handler there
        await createFlavor(c, 'm1.small', { vcpus: 2, ram: 3072, disk: 10 });
        await createFlavor(c, 'm1.medium', { vcpus: 4, ram: 6144, disk: 10 });
        await c.create(collectionPath(IMAGES), {
          apiVersion: API_VERSION,
          kind: 'Image',
          metadata: { name: 'cirros' },
          spec: { name: 'cirros', visibility: 'public', source: { containerDisk: CONTAINER_DISK } },
        });
        await c.create(collectionPath(IMAGES), {
          apiVersion: API_VERSION,
          kind: 'Image',
          metadata: { name: 'fedora' },
          spec: { name: 'fedora', visibility: 'public', source: { containerDisk: FEDORA_DISK } },
        });
        await c.create(collectionPath(KEYPAIRS), {
          apiVersion: API_VERSION,
          kind: 'Keypair',
          metadata: { name: 'demo-key' },
          spec: { name: 'demo-key', user: 'demo', type: 'ssh', publicKey: SSH_KEY },
        });
        // Another user's keypair of the same name: never the one injected for demo's server.
        await c.create(collectionPath(KEYPAIRS), {
          apiVersion: API_VERSION,
          kind: 'Keypair',
          metadata: { name: 'a-mallory-key' }, // listed first,
          spec: { name: 'demo-key', user: 'mallory', type: 'ssh', publicKey: OTHER_KEY },
        });
        kubevirt = new FakeKubeVirt(c);
        subresources = await kubevirt.start();
      },
      // The driver reaches virt-api through this (a loopback server here, the aggregator in a cluster).
      operator: { kubevirtSubresources: { put: (ns, name, verb) => subresources!.put(ns, name, verb) } },
      // Two KubeVirt hosts: a build is tried on each before the server is ERROR.
      config: {
        kubevirt: { timeoutSeconds: 30 },
        scheduler: { max_attempts: 2 },
        compute: { sync_power_state_interval: 1 },
      },
      hostsUp: 2,
    });
    client = suite.client;
    // The hosts overcommit RAM 1.5:1 (an admin's ram_allocation_ratio); CPU stays at 4.0.
    for (const h of ['kv-a', 'kv-b']) {
      await client.patch(objectPath(COMPUTE_HOSTS, h), { spec: { ramAllocationRatio: 1.5 } });
    }
    await eventually('ratios cached', async () =>
      ['kv-a', 'kv-b'].every(
        (h) => suite.operator.informers.computeHosts.get(h)?.spec.ramAllocationRatio === 1.5,
      ),
    );
  });

  after(async () => {
    await kubevirt?.stop();
    await suite?.stop();
  });

  it("refuses what KubeVirt's schema refuses (the installed CRDs are KubeVirt's, validating strictly)", async () => {
    const post = (spec: object) =>
      client
        .request('POST', collectionPath(VIRTUAL_MACHINES, NS), {
          body: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachine', metadata: { name: 'bad' }, spec },
          query: { fieldValidation: 'Strict' },
        })
        .then(
          () => undefined,
          (e: unknown) => (e as KubeError).message,
        );
    expect(await post({ runStrategy: 'Always' })).to.match(/spec\.template: Required value/);
    expect(await post({ template: { spec: { domain: { devices: {}, cpuz: 1 } } } })).to.match(
      /unknown field "spec\.template\.spec\.domain\.cpuz"/,
    );
    expect(
      await post({ template: { spec: { domain: { devices: {} } } }, dataVolumeTemplates: 'x' }),
    ).to.match(/dataVolumeTemplates: Invalid value: "string"/);
  });

  it('a server on a KubeVirt host is a VirtualMachine pinned to the chosen node, with the flavor, image and cloud-init payload', async () => {
    const s = serverManifest('web-1', 'm1.small', 'cirros');
    s.metadata.annotations = { [USER_ANNOTATION]: 'demo' };
    s.spec = {
      ...s.spec,
      keyName: 'demo-key',
      userData: Buffer.from('#cloud-config\nruncmd: [echo hi]\n').toString('base64'),
      metadata: { role: 'web' },
      hostname: 'web-one',
    };
    const created = await createServer(client, NS, s);
    const server = await settled(client, 'web-1', 'ACTIVE');
    const host = server.status!.host!;
    expect(host).to.be.oneOf(['kv-a', 'kv-b']);
    const vm = await getVm(client, 'web-1');
    const uuid = created.metadata.uid!;
    expect(vm.metadata!.ownerReferences).to.deep.equal([
      {
        apiVersion: API_VERSION,
        kind: 'Server',
        name: 'web-1',
        uid: uuid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(vm.metadata!.labels).to.deep.equal({
      [UUID_LABEL]: uuid,
      [SERVER_LABEL]: 'web-1',
      [HOST_LABEL]: host,
    });
    expect(vm.metadata!.annotations).to.deep.include({ [METADATA_ANNOTATION]: '{"role":"web"}' });
    expect(vm.spec.runStrategy).to.equal('RerunOnFailure');
    const spec = vm.spec.template.spec!;
    expect(
      spec.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms,
    ).to.deep.equal([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [host] }] }]);
    expect(spec.domain.cpu).to.deep.equal({ sockets: 2, cores: 1, threads: 1 });
    expect(spec.domain.memory).to.deep.equal({ guest: '3072Mi' });
    // requests = guest ÷ the host's allocation ratios (cpu 4.0, ram 1.5)
    expect(spec.domain.resources!.requests).to.deep.equal({ cpu: '500m', memory: '2048Mi' });
    expect(spec.volumes![0]).to.deep.equal({ name: 'root', containerDisk: { image: CONTAINER_DISK } });
    expect(spec.volumes).to.deep.include({
      name: 'config-2',
      cloudInitConfigDrive: { userDataBase64: s.spec.userData },
    });
    expect(spec.hostname).to.equal('web-one');
    expect(spec.accessCredentials).to.deep.equal([
      {
        sshPublicKey: {
          source: { secret: { secretName: 'web-1-keys' } },
          propagationMethod: { configDrive: {} },
        },
      },
    ]);
    const secret = await client.get<{
      data: Record<string, string>;
      metadata: { ownerReferences: { uid: string }[] };
    }>(`/api/v1/namespaces/${NS}/secrets/web-1-keys`);
    expect(Buffer.from(secret.data['demo-key']!, 'base64').toString()).to.equal(SSH_KEY);
    expect(secret.metadata.ownerReferences[0]!.uid).to.equal(uuid);
    // KubeVirt ran it where Kova chose, and the server shows the VMI's address.
    const vmi = (await getVmi(client, 'web-1'))!;
    expect(vmi.status!.nodeName).to.equal(host);
    const ip = vmi.status!.interfaces![0]!.ipAddress!;
    expect(server.status!.addresses).to.deep.include({
      network: 'private',
      version: 4,
      addr: ip,
      type: 'fixed',
      macAddr: vmi.status!.interfaces![0]!.mac,
    });
    expect(server.status!.powerState).to.equal('running');
    expect(await suite.operator.kubevirtDriver!.powerState(host, uuid)).to.equal('running');
  });

  it('a KubeVirt host whose node has no KubeVirt (no kubevirt.io/schedulable) is down and never chosen', async () => {
    const up = await client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, 'kv-a'));
    expect(up.status).to.include({ driver: 'kubevirt', state: 'up', hypervisorType: 'KubeVirt' });
    const ch = await client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, 'kv-none'));
    expect(ch.status?.driver).to.equal('kubevirt');
    expect(ch.status?.state).to.equal('down');
    const s = serverManifest('forced', 'm1.small', 'cirros');
    s.spec = { ...s.spec, host: 'kv-none' };
    await createServer(client, NS, s);
    const failed = await settled(client, 'forced', 'ERROR');
    expect(failed.status!.host).to.equal(undefined);
    expect(failed.status!.fault!.message).to.match(/No valid host/);
    expect(
      isNotFound(await client.get(objectPath(VIRTUAL_MACHINES, 'forced', NS)).catch((e: unknown) => e)),
    ).to.equal(true);
  });

  it('stop and start: runStrategy Halted removes the VMI (SHUTOFF), RerunOnFailure brings a new one (ACTIVE)', async () => {
    const { host } = (await getServer(client, NS, 'web-1')).status!;
    const uuid = (await getServer(client, NS, 'web-1')).metadata.uid!;
    expect((await runAction(client, NS, 'web-1', 'stop')).status!.phase).to.equal('Succeeded');
    const stopped = await settled(client, 'web-1', 'SHUTOFF');
    expect(stopped.status!.powerState).to.equal('shutdown');
    expect((await getVm(client, 'web-1')).spec.runStrategy).to.equal('Halted');
    expect(await getVmi(client, 'web-1')).to.equal(undefined);
    expect(await suite.operator.kubevirtDriver!.powerState(host!, uuid)).to.equal('shutdown');
    expect((await runAction(client, NS, 'web-1', 'start')).status!.phase).to.equal('Succeeded');
    await settled(client, 'web-1', 'ACTIVE');
    expect((await getVm(client, 'web-1')).spec.runStrategy).to.equal('RerunOnFailure');
    expect((await getVmi(client, 'web-1'))!.status!.phase).to.equal('Running');
  });

  it("pause and unpause go through virt-api's VMI subresources (PAUSED, then ACTIVE)", async () => {
    const { host } = (await getServer(client, NS, 'web-1')).status!;
    const uuid = (await getServer(client, NS, 'web-1')).metadata.uid!;
    const before = kubevirt.requests.length;
    expect((await runAction(client, NS, 'web-1', 'pause')).status!.phase).to.equal('Succeeded');
    expect((await settled(client, 'web-1', 'PAUSED')).status!.powerState).to.equal('paused');
    expect(await suite.operator.kubevirtDriver!.powerState(host!, uuid)).to.equal('paused');
    expect((await runAction(client, NS, 'web-1', 'unpause')).status!.phase).to.equal('Succeeded');
    await settled(client, 'web-1', 'ACTIVE');
    expect(kubevirt.requests.slice(before)).to.deep.equal([
      {
        method: 'PUT',
        path: `/apis/subresources.kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/web-1/pause`,
        contentType: 'application/json',
        body: {},
      },
      {
        method: 'PUT',
        path: `/apis/subresources.kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/web-1/unpause`,
        contentType: 'application/json',
        body: {},
      },
    ]);
  });

  it("a soft reboot is virt-api's softreboot; a hard reboot is the VM's restart (a new VMI)", async () => {
    const before = kubevirt.requests.length;
    const vmiBefore = (await getVmi(client, 'web-1'))!.metadata!.uid;
    expect(
      (await runAction(client, NS, 'web-1', 'reboot', { parameters: { type: 'SOFT' } })).status!.phase,
    ).to.equal('Succeeded');
    expect((await getVmi(client, 'web-1'))!.metadata!.uid).to.equal(vmiBefore);
    expect(
      (await runAction(client, NS, 'web-1', 'reboot', { parameters: { type: 'HARD' } })).status!.phase,
    ).to.equal('Succeeded');
    await settled(client, 'web-1', 'ACTIVE');
    const vmiAfter = (await getVmi(client, 'web-1'))!;
    expect(vmiAfter.metadata!.uid).to.not.equal(vmiBefore);
    expect(vmiAfter.status!.phase).to.equal('Running');
    expect(kubevirt.requests.slice(before).map((r) => `${r.method} ${r.path}`)).to.deep.equal([
      `PUT /apis/subresources.kubevirt.io/v1/namespaces/${NS}/virtualmachineinstances/web-1/softreboot`,
      `PUT /apis/subresources.kubevirt.io/v1/namespaces/${NS}/virtualmachines/web-1/restart`,
    ]);
  });

  it('live migration is a VirtualMachineInstanceMigration to the host Kova chose, the VM re-pinned there', async () => {
    const from = (await getServer(client, NS, 'web-1')).status!.host!;
    const to = from === 'kv-a' ? 'kv-b' : 'kv-a';
    const act = await runAction(client, NS, 'web-1', 'live-migration', {
      admin: true,
      parameters: { host: to },
    });
    expect(act.status!.phase, act.status!.message).to.equal('Succeeded');
    const moved = await settled(client, 'web-1', 'ACTIVE');
    expect(moved.status!.host).to.equal(to);
    const migs = await client.list<V1VirtualMachineInstanceMigration>(
      collectionPath(VIRTUAL_MACHINE_INSTANCE_MIGRATIONS, NS),
    );
    expect(migs.items).to.have.length(1);
    expect(migs.items[0]!.spec).to.deep.equal({
      vmiName: 'web-1',
      addedNodeSelector: { 'kubernetes.io/hostname': to },
    });
    expect(migs.items[0]!.status!.phase).to.equal('Succeeded');
    const vm = await getVm(client, 'web-1');
    expect(vm.metadata!.labels![HOST_LABEL]).to.equal(to);
    expect(
      vm.spec.template.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!
        .nodeSelectorTerms,
    ).to.deep.equal([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [to] }] }]);
    expect((await getVmi(client, 'web-1'))!.status!.nodeName).to.equal(to);
  });

  it('diagnostics come from the VM and its VMI: vCPUs, memory, disks, NICs', async () => {
    const act = await runAction(client, NS, 'web-1', 'diagnostics');
    expect(act.status!.phase, act.status!.message).to.equal('Succeeded');
    const d = act.status!.diagnostics as Record<string, unknown>;
    expect(d).to.include({
      state: 'running',
      driver: 'kubevirt',
      num_cpus: 2,
      num_disks: 2,
      num_nics: 1,
      config_drive: true,
    });
    expect(d.memory_details).to.deep.equal({ maximum: 3072, used: null });
    expect(d.uptime).to.be.a('number').and.at.least(0);
    const vmi = (await getVmi(client, 'web-1'))!;
    expect((d.nic_details as { mac_address: string }[])[0]!.mac_address).to.equal(
      vmi.status!.interfaces![0]!.mac,
    );
  });

  it('createImage is refused by the API for KubeVirt hosts (no VirtualMachineSnapshot support yet), the server unchanged', async () => {
    const act = await runAction(client, NS, 'web-1', 'createImage', { parameters: { name: 'snap' } });
    expect(act.status!.phase).to.equal('Failed');
    expect(act.status!.message).to.match(/createImage is not supported by the kubevirt driver/);
    expect((await settled(client, 'web-1', 'ACTIVE')).status!.powerState).to.equal('running');
  });

  it('suspend has no KubeVirt equivalent: refused, the server unchanged', async () => {
    const act = await runAction(client, NS, 'web-1', 'suspend');
    expect(act.status!.phase).to.equal('Failed');
    expect(act.status!.message).to.match(/not supported by the kubevirt driver/);
    expect((await settled(client, 'web-1', 'ACTIVE')).status!.powerState).to.equal('running');
  });

  it('a guest that shuts itself down is seen SHUTOFF (power-state sync), and the held spec.powerState running starts a fresh VMI', async () => {
    await createServer(client, NS, serverManifest('guest', 'm1.small', 'cirros'));
    await settled(client, 'guest', 'ACTIVE');
    const finished = (await getVmi(client, 'guest'))!.metadata!.uid;
    await kubevirt.guestShutdown(NS, 'guest');
    // RerunOnFailure: KubeVirt leaves it off; Kova saw SHUTOFF and recorded a start towards the
    // power state the user holds.
    const started = await eventually('the recorded start', async () => {
      const a = await client
        .get<ServerAction>(objectPath(SERVER_ACTIONS, 'guest-start-g1', NS))
        .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
      return a?.status?.phase === 'Succeeded' && a;
    });
    expect(started.spec.action).to.equal('start');
    await settled(client, 'guest', 'ACTIVE');
    const fresh = (await getVmi(client, 'guest'))!;
    expect(fresh.metadata!.uid).to.not.equal(finished);
    expect(fresh.status!.phase).to.equal('Running');
  });

  it("a VMI that fails while running puts the server in ERROR with KubeVirt's reason as its fault", async () => {
    await kubevirt.crash(NS, 'guest', 'virt-launcher OOM killed');
    const failed = await settled(client, 'guest', 'ERROR');
    expect(failed.status!.powerState).to.equal('crashed');
    expect(failed.status!.fault!.message).to.equal(
      'VirtualMachineInstance failed: PodFailed: virt-launcher OOM killed',
    );
  });

  it("rebuild boots the new image: the VM's containerDisk is replaced and a new VMI runs it", async () => {
    const before = (await getVmi(client, 'web-1'))!.metadata!.uid;
    const image = await client.get<{ metadata: { uid: string } }>(objectPath(IMAGES, 'fedora'));
    const act = await runAction(client, NS, 'web-1', 'rebuild', {
      parameters: { imageRef: image.metadata.uid },
    });
    expect(act.status!.phase, act.status!.message).to.equal('Succeeded');
    const rebuilt = await settled(client, 'web-1', 'ACTIVE');
    expect(rebuilt.status!.image!.id).to.equal(image.metadata.uid);
    const vm = await getVm(client, 'web-1');
    expect(vm.spec.template.spec!.volumes![0]).to.deep.equal({
      name: 'root',
      containerDisk: { image: FEDORA_DISK },
    });
    expect(vm.spec.runStrategy).to.equal('RerunOnFailure');
    const vmi = (await getVmi(client, 'web-1'))!;
    expect(vmi.metadata!.uid).to.not.equal(before);
    expect(vmi.spec!.volumes![0]).to.deep.equal({ name: 'root', containerDisk: { image: FEDORA_DISK } });
  });

  it("resize moves the VM to the new host with the new flavor's CPU and memory; confirm keeps it", async () => {
    const from = (await getServer(client, NS, 'web-1')).status!.host!;
    const act = await runAction(client, NS, 'web-1', 'resize', { parameters: { flavorRef: 'm1.medium' } });
    expect(act.status!.phase, act.status!.message).to.equal('Succeeded');
    const resized = await settled(client, 'web-1', 'VERIFY_RESIZE');
    const to = resized.status!.host!;
    expect(to).to.not.equal(from);
    const vm = await getVm(client, 'web-1');
    expect(vm.metadata!.labels![HOST_LABEL]).to.equal(to);
    const spec = vm.spec.template.spec!;
    expect(spec.domain.cpu).to.deep.equal({ sockets: 4, cores: 1, threads: 1 });
    expect(spec.domain.memory).to.deep.equal({ guest: '6144Mi' });
    expect(spec.domain.resources!.requests).to.deep.equal({ cpu: '1000m', memory: '4096Mi' });
    expect(
      spec.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms,
    ).to.deep.equal([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [to] }] }]);
    const vmi = (await getVmi(client, 'web-1'))!;
    expect(vmi.status!.nodeName).to.equal(to);
    expect(vm.metadata!.annotations ?? {}).to.not.have.property('compute.kova.io/moving');
    // Idempotent: the move asked again (a retry after a crash) leaves the running VM alone.
    await suite.operator.kubevirtDriver!.migrate(
      {
        uuid: resized.metadata.uid!,
        key: `${NS}/web-1`,
        displayName: 'web-1',
        host: to,
        flavor: resized.status!.flavor!,
        imageRef: resized.status!.image!.id,
      },
      from,
    );
    expect((await getVmi(client, 'web-1'))!.metadata!.uid).to.equal(vmi.metadata!.uid);
    expect((await runAction(client, NS, 'web-1', 'confirmResize')).status!.phase).to.equal('Succeeded');
    await settled(client, 'web-1', 'ACTIVE');
    expect((await getVm(client, 'web-1')).metadata!.labels![HOST_LABEL]).to.equal(to);
  });

  it("evacuate re-pins the VM of a down host's server to another host, where a new VMI runs it", async () => {
    await createServer(client, NS, serverManifest('evac', 'm1.small', 'cirros'));
    const before = await settled(client, 'evac', 'ACTIVE');
    const source = before.status!.host!;
    const oldVmi = (await getVmi(client, 'evac'))!.metadata!.uid;
    await client.patch(objectPath(COMPUTE_HOSTS, source), { spec: { forcedDown: true } });
    await eventually(
      'forced down seen',
      async () => suite.operator.informers.computeHosts.get(source)?.spec.forcedDown,
    );
    try {
      const act = await runAction(client, NS, 'evac', 'evacuate', { admin: true });
      expect(act.status!.phase, act.status!.message).to.equal('Succeeded');
      const after = await settled(client, 'evac', 'ACTIVE');
      const dest = after.status!.host!;
      expect(dest).to.not.equal(source);
      const vm = await getVm(client, 'evac');
      expect(vm.metadata!.labels![HOST_LABEL]).to.equal(dest);
      expect(
        vm.spec.template.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!
          .nodeSelectorTerms,
      ).to.deep.equal([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [dest] }] }]);
      const vmi = (await getVmi(client, 'evac'))!;
      expect(vmi.metadata!.uid).to.not.equal(oldVmi);
      expect(vmi.status!.nodeName).to.equal(dest);
    } finally {
      await client.patch(objectPath(COMPUTE_HOSTS, source), { spec: { forcedDown: false } });
      await eventually('source up again', async () => {
        const ch = await client.get<ComputeHost>(objectPath(COMPUTE_HOSTS, source));
        return ch.status?.state === 'up' && !ch.spec.forcedDown;
      });
    }
  });

  it("a VMI that fails to start is a build failure: rescheduled, then ERROR with KubeVirt's reason as the fault", async () => {
    kubevirt.failVmi = (vm) =>
      vm.metadata!.name === 'doomed' ? 'virt-launcher: failed to start QEMU' : undefined;
    await createServer(client, NS, serverManifest('doomed', 'm1.small', 'cirros'));
    const failed = await settled(client, 'doomed', 'ERROR');
    expect(failed.status!.retry!.hosts).to.have.members(['kv-a', 'kv-b']);
    expect(failed.status!.fault!.details).to.equal(
      'VirtualMachineInstance failed: PodFailed: virt-launcher: failed to start QEMU',
    );
    // Each failed attempt's VirtualMachine was removed before the reschedule.
    expect(
      isNotFound(await client.get(objectPath(VIRTUAL_MACHINES, 'doomed', NS)).catch((e: unknown) => e)),
    ).to.equal(true);
  });

  it('deleting the server deletes its VirtualMachine, keys Secret and (through KubeVirt) its VMI', async () => {
    await client.delete(objectPath(SERVERS, 'web-1', NS));
    await eventually('server gone', async () =>
      client.get(objectPath(SERVERS, 'web-1', NS)).then(
        () => false,
        (e: unknown) => isNotFound(e),
      ),
    );
    for (const path of [
      objectPath(VIRTUAL_MACHINES, 'web-1', NS),
      `/api/v1/namespaces/${NS}/secrets/web-1-keys`,
    ]) {
      const err = await client.get(path).catch((e: unknown) => e);
      expect(isNotFound(err), path).to.equal(true);
    }
    await eventually('VMI gone', async () => (await getVmi(client, 'web-1')) === undefined);
  });
});
