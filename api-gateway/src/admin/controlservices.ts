// The nova-scheduler and nova-conductor records of os-services. In Kova both services are the
// operator's leader (the scheduler and the conductor's work are its controllers), so their
// records are its leader-election Lease (kova-operator in kova-system): the host is the holder,
// the service is up while the holder renews the Lease within its leaseDurationSeconds (as Nova's
// servicegroup DB driver: up while the service reports within service_down_time), updated_at is
// the last renewal, and the ids are derived from the Lease's uid and the binary, stable across
// leader changes. A released Lease (no holder: no operator leads) shows no records. They are in
// Nova's internal zone and, as Nova's, cannot be updated (only nova-compute services can).
import type { FastifyRequest } from 'fastify';
import { LEADER_LEASE, type Lease } from '../../../operator/src/kube/lease.ts';
import { LEASES, objectPath } from '../../../operator/src/kube/resources.ts';
import { isNotFound } from '../../../operator/src/kube/client.ts';
import type { GatewayContext } from '../context.ts';
import { SYSTEM_NAMESPACE } from '../identity/store.ts';
import { novaTime, numericId } from '../compute/common.ts';
import { derivedUuid } from '../compute/common.ts';

export const CONTROL_BINARIES = ['nova-scheduler', 'nova-conductor'] as const;
/** CONF.internal_service_availability_zone. */
export const INTERNAL_ZONE = 'internal';

export interface ControlService {
  binary: (typeof CONTROL_BINARIES)[number];
  host: string;
  id: number;
  uuid: string;
  up: boolean;
  updatedAt?: string;
}

/** The control services a leader Lease stands for, as of `now` (ms). */
export function controlServices(lease: Lease | undefined, now: number): ControlService[] {
  const holder = lease?.spec?.holderIdentity;
  if (!lease || !holder) return [];
  const renewed = Date.parse(lease.spec?.renewTime ?? '');
  const up = Number.isFinite(renewed) && now <= renewed + (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
  return CONTROL_BINARIES.map((binary) => ({
    binary,
    host: holder,
    id: numericId(`${lease.metadata.uid}/${binary}`),
    uuid: derivedUuid(lease.metadata.uid ?? '', binary),
    up,
    updatedAt: lease.spec?.renewTime,
  }));
}

/** The leader Lease now (read, not cached: compute heartbeats share its namespace). */
export async function leaderLease(ctx: GatewayContext): Promise<Lease | undefined> {
  try {
    return await ctx.kube.get<Lease>(objectPath(LEASES, LEADER_LEASE, SYSTEM_NAMESPACE));
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** _get_service_detail for a control service. */
export function controlServiceView(s: ControlService, request: FastifyRequest): Record<string, unknown> {
  const at = (v: string) => request.microversion?.matches(v) ?? false;
  return {
    binary: s.binary,
    host: s.host,
    id: at('2.53') ? s.uuid : s.id,
    zone: INTERNAL_ZONE,
    status: 'enabled',
    state: s.up ? 'up' : 'down',
    updated_at: novaTime(s.updatedAt),
    disabled_reason: null,
    ...(at('2.11') ? { forced_down: false } : {}),
  };
}
