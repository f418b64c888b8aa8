// What os-services, os-hypervisors and os-availability-zone share: a ComputeHost is Nova's
// nova-compute service, its compute node (hypervisor) and, through the aggregates, its zone.
import type { Aggregate, ComputeHost } from '../../../operator/src/api/v1alpha1/index.ts';
import { AGGREGATES } from '../../../operator/src/controllers/aggregate.ts';
import { COMPUTE_HOSTS } from '../../../operator/src/controllers/computehost.ts';
import type { FastifyRequest } from 'fastify';
import type { Resource } from '../../../operator/src/kube/resources.ts';
import { type GatewayContext, enforce, principalOf } from '../context.ts';
import { ApiError, NOT_FOUND_MESSAGE } from '../errors.ts';
import { DEFAULT_AVAILABILITY_ZONE } from '../servers/view.ts';
import { derivedUuid } from '../compute/common.ts';
import { zonesOfHosts } from './aggregates.ts';

export const COMPUTE_BINARY = 'nova-compute';

/** The hosts sorted by name, and the zone of each (its aggregates', else the default zone). */
export async function hostsAndZones(
  ctx: GatewayContext,
): Promise<{ hosts: ComputeHost[]; zoneOf: (host: string) => string }> {
  const [hosts, aggregates] = await Promise.all([
    ctx.caches.get<ComputeHost>(COMPUTE_HOSTS),
    ctx.caches.get<Aggregate>(AGGREGATES),
  ]);
  const zones = zonesOfHosts(aggregates.list());
  return {
    hosts: hosts.list().sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1)),
    zoneOf: (host) => zones.get(host) ?? DEFAULT_AVAILABILITY_ZONE,
  };
}

/** servicegroup API service_is_up: a fresh heartbeat, and not forced down. */
export const serviceIsUp = (ch: ComputeHost): boolean => ch.status?.state === 'up' && !ch.spec.forcedDown;

/** The nova-compute service's uuid: a name-based (v5-style) uuid of the ComputeHost's uid. */
export function serviceUuid(ch: ComputeHost): string {
  return derivedUuid(ch.metadata.uid ?? '', COMPUTE_BINARY);
}

/** oslo's uuidutils.is_uuid_like. */
export const isUuidLike = (s: string): boolean =>
  /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(s);

/** A route Nova serves only in some microversions: others are its plain 404. */
export function onlyIn(matches: boolean): void {
  if (!matches) throw new ApiError(404, NOT_FOUND_MESSAGE);
}

/**
 * An admin-only read served from the gateway's cache: Nova's policy (admin), then Kubernetes RBAC
 * (a SubjectAccessReview, cached briefly) for the kind the answer is made of.
 */
export async function adminRead(
  ctx: GatewayContext,
  request: FastifyRequest,
  action: string,
  resource: Resource,
): Promise<void> {
  const p = principalOf(request);
  enforce(p, action, 'admin');
  await ctx.authorize(p, 'list', resource, undefined, action);
}
