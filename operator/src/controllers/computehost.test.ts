import { expect } from 'chai';
import type { Server } from '../api/v1alpha1/index.ts';
import { type Node, type Pod, capacityOf, serviceState, usageOf } from './computehost.ts';

const node: Node = {
  metadata: { name: 'n1' },
  status: { allocatable: { cpu: '8', memory: '16Gi', 'ephemeral-storage': '100Gi' } },
};
const pod = (name: string, nodeName: string, cpu: string, memory: string, over: Partial<Pod> = {}): Pod => ({
  metadata: { name, namespace: 'x' },
  spec: { nodeName, containers: [{ resources: { requests: { cpu, memory } } }] },
  status: { phase: 'Running' },
  ...over,
});

describe('ComputeHost records from Kubernetes nodes', () => {
  it("capacity is the node's allocatable minus what other pods on it request", () => {
    const pods = [
      pod('a', 'n1', '1500m', '2Gi'),
      pod('elsewhere', 'n2', '4', '4Gi'),
      pod('done', 'n1', '4', '4Gi', { status: { phase: 'Succeeded' } }),
      pod('virt-launcher', 'n1', '2', '2Gi', {
        metadata: { name: 'vl', namespace: 'x', labels: { 'compute.kova.io/server-uid': 'u1' } },
      }),
    ];
    // 8 - 1.5 = 6.5 vCPUs rounds down; a Kova server's own pod is not subtracted.
    expect(capacityOf(node, pods)).to.deep.equal({ vcpus: 6, memoryMb: 14 * 1024, localGb: 100 });
  });

  it('up while the heartbeat is younger than service_down_time; down without one', () => {
    const lease = (renewTime: string) => ({ metadata: { name: 'compute-n1' }, spec: { renewTime } });
    const now = Date.parse('2026-01-01T00:01:00Z');
    expect(serviceState(lease('2026-01-01T00:00:30.000000Z'), now, 60)).to.equal('up');
    expect(serviceState(lease('2026-01-01T00:00:00.000000Z'), now, 60)).to.equal('up');
    expect(serviceState(lease('2025-12-31T23:59:59.000000Z'), now, 60)).to.equal('down');
    expect(serviceState(undefined, now, 60)).to.equal('down');
  });

  it('usage sums the flavors of the servers placed on the host; running VMs count power state', () => {
    const s = (host: string, vcpus: number, powerState: 'running' | 'shutdown'): Server =>
      ({
        metadata: { name: `s-${vcpus}`, namespace: 'p', uid: `u-${vcpus}-${host}` },
        spec: {},
        status: {
          host,
          powerState,
          flavor: { id: '1', name: 'f', vcpus, ram: 1024 * vcpus, disk: 10, ephemeral: 5, swap: 512 },
        },
      }) as unknown as Server;
    const usage = usageOf('n1', [s('n1', 2, 'running'), s('n1', 4, 'shutdown'), s('n2', 8, 'running')]);
    expect(usage).to.deep.equal({ vcpus: 6, memoryMb: 6144, localGb: 32, runningVms: 1 });
  });
});
