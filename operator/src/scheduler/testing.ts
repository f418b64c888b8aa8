// Builders of HostState and RequestSpec for the plugins' unit tests (Nova's fakes.FakeHostState).
import type { HostState, RequestSpec } from './framework.ts';

/** A 16-vCPU, 16 GiB, 100 GiB host, enabled, up, Ready, empty; `over` replaces any field. */
export function fakeHost(name: string, over: Partial<HostState> = {}): HostState {
  const total = over.total ?? { vcpus: 16, memoryMb: 16384, diskGb: 100 };
  const allocationRatios = over.allocationRatios ?? { vcpus: 1, memoryMb: 1, diskGb: 1 };
  return {
    name,
    version: 0,
    total,
    allocationRatios,
    limits: {
      vcpus: total.vcpus * allocationRatios.vcpus,
      memoryMb: total.memoryMb * allocationRatios.memoryMb,
      diskGb: total.diskGb * allocationRatios.diskGb,
    },
    used: { vcpus: 0, memoryMb: 0, diskGb: 0 },
    numInstances: 0,
    numIoOps: 0,
    instances: [],
    enabled: true,
    up: true,
    availabilityZone: 'nova',
    aggregates: [],
    traits: [],
    metrics: {},
    failedBuilds: 0,
    node: { ready: true, unschedulable: false, taints: [], labels: {} },
    ...over,
  };
}

/** A request for one m1.small (1 vCPU, 2 GiB, 20 GiB) server of project "demo". */
export function fakeSpec(over: Partial<RequestSpec> = {}): RequestSpec {
  return {
    instanceUuid: 'uuid-1',
    projectId: 'demo',
    flavor: { name: 'm1.small', vcpus: 1, ram: 2048, disk: 20, ephemeral: 0, swap: 0, extraSpecs: {} },
    image: { properties: {} },
    ignoreHosts: [],
    schedulerHints: {},
    numInstances: 1,
    tolerations: [],
    ...over,
  };
}
