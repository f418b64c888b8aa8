import { expect } from 'chai';
import type { Instance } from '../driver.ts';
import {
  HOST_LABEL,
  METADATA_ANNOTATION,
  SERVER_LABEL,
  UUID_LABEL,
  buildVirtualMachine,
  cpuRequest,
  memoryRequest,
  vmiHostname,
  type VmManifestInput,
} from './manifest.ts';
import { guestHostname } from '../../compute/hostname.ts';

const UUID = '6f1c3b8e-0000-4000-8000-000000000001';

function input(overrides: Partial<VmManifestInput> = {}, inst: Partial<Instance> = {}): VmManifestInput {
  return {
    instance: {
      uuid: UUID,
      key: 'demo/web-1',
      displayName: 'Web 1',
      host: 'node-a',
      flavor: { name: 'm1.small', vcpus: 2, ram: 2048, disk: 20, ephemeral: 0, swap: 0 },
      ...inst,
    },
    owner: { apiVersion: 'compute.kova.io/v1alpha1', kind: 'Server', name: 'web-1', uid: UUID },
    root: { containerDisk: 'quay.io/containerdisks/cirros:0.6' },
    hostname: 'web-1',
    ratios: { vcpus: 4, memoryMb: 1 },
    running: true,
    ...overrides,
  };
}

describe('KubeVirt VirtualMachine manifest', () => {
  it('is named after the Server, owned by it, and labelled back to it and its host', () => {
    const vm = buildVirtualMachine(input());
    expect(vm.apiVersion).to.equal('kubevirt.io/v1');
    expect(vm.kind).to.equal('VirtualMachine');
    expect(vm.metadata).to.include({ name: 'web-1', namespace: 'demo' });
    expect(vm.metadata!.ownerReferences).to.deep.equal([
      {
        apiVersion: 'compute.kova.io/v1alpha1',
        kind: 'Server',
        name: 'web-1',
        uid: UUID,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    const labels = { [UUID_LABEL]: UUID, [SERVER_LABEL]: 'web-1', [HOST_LABEL]: 'node-a' };
    expect(vm.metadata!.labels).to.deep.equal(labels);
    expect(vm.spec.template.metadata!.labels).to.deep.equal(labels);
  });

  it('is pinned to exactly the node Kova chose (required node affinity on metadata.name)', () => {
    const vm = buildVirtualMachine(input());
    expect(vm.spec.template.spec!.affinity!.nodeAffinity).to.deep.equal({
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-a'] }] }],
      },
    });
  });

  it("gives the guest the flavor's vCPUs and RAM, and requests them divided by the host's allocation ratios", () => {
    const { domain } = buildVirtualMachine(input()).spec.template.spec!;
    expect(domain.cpu).to.deep.equal({ sockets: 2, cores: 1, threads: 1 });
    expect(domain.memory).to.deep.equal({ guest: '2048Mi' });
    expect(domain.resources!.requests).to.deep.equal({ cpu: '500m', memory: '2048Mi' });
    expect(domain.firmware!.uuid).to.equal(UUID);
  });

  it('rounds requests up and never asks for nothing', () => {
    expect(cpuRequest(1, 3)).to.equal('334m');
    expect(cpuRequest(1, 100000)).to.equal('1m');
    expect(memoryRequest(1000, 1.5)).to.equal('667Mi');
  });

  it('boots a containerDisk image, or imports a URL image into a DataVolume of the flavor disk size', () => {
    const cd = buildVirtualMachine(input()).spec.template.spec!;
    expect(cd.volumes![0]).to.deep.equal({
      name: 'root',
      containerDisk: { image: 'quay.io/containerdisks/cirros:0.6' },
    });
    expect(cd.domain.devices.disks![0]).to.deep.equal({
      name: 'root',
      bootOrder: 1,
      disk: { bus: 'virtio' },
    });
    const vm = buildVirtualMachine(input({ root: { url: 'https://images.example/cirros.qcow2' } }));
    expect(vm.spec.template.spec!.volumes![0]).to.deep.equal({
      name: 'root',
      dataVolume: { name: 'web-1-root' },
    });
    expect(vm.spec.dataVolumeTemplates).to.have.length(1);
    expect(vm.spec.dataVolumeTemplates![0]).to.deep.include({
      spec: {
        source: { http: { url: 'https://images.example/cirros.qcow2' } },
        storage: { resources: { requests: { storage: '20Gi' } } },
      },
    });
  });

  it('adds blank ephemeral and swap disks sized by the flavor', () => {
    const spec = buildVirtualMachine(
      input({}, { flavor: { name: 'x', vcpus: 1, ram: 512, disk: 1, ephemeral: 5, swap: 256 } }),
    ).spec.template.spec!;
    expect(spec.volumes).to.deep.include({ name: 'ephemeral0', emptyDisk: { capacity: '5Gi' } });
    expect(spec.volumes).to.deep.include({ name: 'swap', emptyDisk: { capacity: '256Mi' } });
    expect(spec.domain.devices.disks!.map((d) => d.name)).to.deep.equal([
      'root',
      'ephemeral0',
      'swap',
      'config-2',
    ]);
  });

  it('carries user data, keys, hostname and metadata on an OpenStack config drive', () => {
    const vm = buildVirtualMachine(
      input({ keysSecret: 'web-1-keys' }, { userData: 'I2Nsb3VkLWNvbmZpZw==', metadata: { role: 'web' } }),
    );
    const spec = vm.spec.template.spec!;
    expect(spec.volumes).to.deep.include({
      name: 'config-2',
      cloudInitConfigDrive: { userDataBase64: 'I2Nsb3VkLWNvbmZpZw==' },
    });
    expect(spec.hostname).to.equal('web-1');
    expect(spec.accessCredentials).to.deep.equal([
      {
        sshPublicKey: {
          source: { secret: { secretName: 'web-1-keys' } },
          propagationMethod: { configDrive: {} },
        },
      },
    ]);
    expect(vm.metadata!.annotations).to.deep.equal({ [METADATA_ANNOTATION]: '{"role":"web"}' });
  });

  it('is Halted when built stopped; RerunOnFailure when running (a guest that shuts down stays off, as in Nova)', () => {
    expect(buildVirtualMachine(input()).spec.runStrategy).to.equal('RerunOnFailure');
    expect(buildVirtualMachine(input({ running: false })).spec.runStrategy).to.equal('Halted');
  });

  it("derives Nova's default hostname from the display name", () => {
    expect(guestHostname('Web Server_1!')).to.equal('web-server-1');
    expect(guestHostname('...')).to.equal('server');
  });

  it('gives the VMI the first label of an FQDN hostname (2.94), as a DNS label', () => {
    expect(vmiHostname('web-1.example.com')).to.equal('web-1');
    expect(vmiHostname('db_primary.internal')).to.equal('db-primary');
    expect(vmiHostname('.x')).to.equal('x');
    expect(vmiHostname('...')).to.equal('server');
  });
});
