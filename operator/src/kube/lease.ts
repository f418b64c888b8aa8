// coordination.k8s.io/v1 Lease, used for leader election and for compute host heartbeats.
import type { KubeObject } from './client.ts';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** MicroTime: RFC 3339 with microseconds, e.g. 2026-01-01T00:00:00.000000Z. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

/** Kubernetes MicroTime for a clock reading in milliseconds. */
export const microTime = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '000Z');

/** The operator's leader-election Lease (in its namespace): the leader runs the controllers. */
export const LEADER_LEASE = 'kova-operator';
