// The compute host controller: one ComputeHost per node labelled compute.kova.io/driver, whose
// status says what the node offers servers (allocatable minus what non-Kova pods request), its
// driver, whether its compute service is up (a fresh heartbeat Lease) and what its servers use.
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { API_VERSION } from '../api/kind.ts';
import { ComputeHostKind, type ComputeHost, type Server } from '../api/v1alpha1/index.ts';
import type { ComputeConfig } from '../config.ts';
import type { KubeClient, KubeObject } from '../kube/client.ts';
import type { Lease } from '../kube/lease.ts';
import { parseQuantity, podRequest } from '../kube/quantity.ts';
import { collectionPath, kovaResource } from '../kube/resources.ts';
import { patchStatus } from '../kube/writes.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Informer } from '../runtime/informer.ts';
import type { ReconcileResult } from '../runtime/controller.ts';
import { claimsOf } from '../scheduler/cache.ts';
import { heartbeatLeaseName } from './compute.ts';

export const COMPUTE_HOSTS = kovaResource(ComputeHostKind);
/** Nodes with this label are compute hosts; its value names the virt driver. */
export const DRIVER_LABEL = 'compute.kova.io/driver';
/** Pods with this label run a Kova server (KubeVirt's virt-launcher): not subtracted from capacity. */
export const SERVER_POD_LABEL = 'compute.kova.io/server-uid';

export interface Node extends KubeObject {
  spec?: { unschedulable?: boolean; taints?: { key: string; value?: string; effect: string }[] };
  status?: {
    allocatable?: Record<string, string>;
    addresses?: { type: string; address: string }[];
    conditions?: { type: string; status: string }[];
  };
}
export interface Pod extends KubeObject {
  spec: { nodeName?: string } & Parameters<typeof podRequest>[0];
  status?: { phase?: string };
}

type HostStatus = NonNullable<ComputeHost['status']>;

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** What a node offers servers: allocatable minus the requests of the other pods on it. */
export function capacityOf(node: Node, pods: readonly Pod[]): NonNullable<HostStatus['capacity']> {
  const alloc = node.status?.allocatable ?? {};
  const others = pods.filter(
    (p) =>
      p.spec.nodeName === node.metadata.name &&
      !p.metadata.labels?.[SERVER_POD_LABEL] &&
      p.status?.phase !== 'Succeeded' &&
      p.status?.phase !== 'Failed',
  );
  const minus = (resource: string) => others.reduce((t, p) => t + podRequest(p.spec, resource), 0);
  const clamp = (n: number) => Math.max(0, Math.floor(n));
  return {
    vcpus: clamp(parseQuantity(alloc.cpu) - minus('cpu')),
    memoryMb: clamp((parseQuantity(alloc.memory) - minus('memory')) / MiB),
    localGb: clamp((parseQuantity(alloc['ephemeral-storage']) - minus('ephemeral-storage')) / GiB),
  };
}

/** up while the heartbeat is younger than service_down_time (Nova's servicegroup DB driver). */
export function serviceState(lease: Lease | undefined, now: number, serviceDownTime: number): 'up' | 'down' {
  const renewed = lease?.spec?.renewTime ? Date.parse(lease.spec!.renewTime) : NaN;
  return Number.isFinite(renewed) && now - renewed <= serviceDownTime * 1000 ? 'up' : 'down';
}

/** What the servers placed on host use. */
export function usageOf(host: string, servers: readonly Server[]): NonNullable<HostStatus['usage']> {
  const usage = { vcpus: 0, memoryMb: 0, localGb: 0, runningVms: 0 };
  for (const s of servers) {
    for (const c of claimsOf(s)) {
      if (c.host !== host) continue;
      usage.vcpus += c.vcpus;
      usage.memoryMb += c.memoryMb;
      usage.localGb += c.diskGb;
    }
    if (s.status?.host === host && s.status.powerState === 'running') usage.runningVms++;
  }
  return usage;
}

export interface ComputeHostDeps {
  client: KubeClient;
  /** Where the heartbeat Leases are (the operator's namespace). */
  namespace: string;
  nodes: Informer<Node>;
  pods: Informer<Pod>;
  leases: Informer<Lease>;
  servers: Informer<Server>;
  computeHosts: Informer<ComputeHost>;
  config: ComputeConfig;
  clock: Clock;
  log: Logger;
}

export function computeHostReconciler(d: ComputeHostDeps) {
  return async (name: string): Promise<ReconcileResult | void> => {
    const node = d.nodes.get(name);
    const ch = d.computeHosts.get(name);
    const driver = node?.metadata.labels?.[DRIVER_LABEL];
    if (!ch) {
      if (!driver) return;
      await d.client.create(collectionPath(COMPUTE_HOSTS), {
        apiVersion: API_VERSION,
        kind: 'ComputeHost',
        metadata: { name },
        spec: {},
      });
      return; // comes back through the informer
    }
    const now = d.clock.now();
    const lease = d.leases.get(`${d.namespace}/${heartbeatLeaseName(name)}`);
    const state = serviceState(lease, now, d.config.service_down_time);
    const desired: Partial<HostStatus> = {
      state,
      usage: usageOf(name, d.servers.list()),
      ...(lease?.spec?.renewTime
        ? { lastHeartbeatTime: new Date(Date.parse(lease.spec!.renewTime)).toISOString() }
        : {}),
      // Once a libvirt host's agent has reported (hypervisorType), its capacity is the agent's
      // view of the hypervisor (/proc/meminfo, CPUs, the instances disk), not the Node's.
      ...(node && !(driver === 'libvirt' && ch.status?.hypervisorType)
        ? { capacity: capacityOf(node, d.pods.list()) }
        : {}),
      ...(driver === 'fake' || driver === 'libvirt' || driver === 'kubevirt' ? { driver } : {}),
      ...(node?.status?.addresses?.find((a) => a.type === 'InternalIP')
        ? { hostIp: node.status.addresses.find((a) => a.type === 'InternalIP')!.address }
        : {}),
    };
    const current = ch.status ?? {};
    const changed = (Object.keys(desired) as (keyof HostStatus)[]).some(
      (k) => !isDeepStrictEqual(current[k], desired[k]), // by value: the apiserver sorts keys
    );
    if (changed) await patchStatus(d.client, COMPUTE_HOSTS, ch, desired);
    // Look again when the heartbeat would go stale, to mark the host down.
    if (state === 'up' && lease?.spec?.renewTime) {
      return {
        requeueAfterMs: Date.parse(lease.spec!.renewTime) + d.config.service_down_time * 1000 - now + 1,
      };
    }
  };
}
