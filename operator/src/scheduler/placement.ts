// Placement's part of scheduling (nova/scheduler/utils.py ResourceRequest, request_filter.py, and
// the Placement service's allocation-candidate query), done in-process:
// - the resources asked: VCPU, MEMORY_MB, DISK_GB from the flavor, overridden by `resources:<RC>`
//   extra specs (0 drops a class; other classes must be offered by the host);
// - required and forbidden traits: flavor `trait:<T>=required|forbidden`, image `traits:<T>=required`;
// - Nova's request pre-filters, each behind its Nova option: tenant aggregates
//   (limit_tenants_to_placement_aggregate, placement_aggregate_required_for_tenants), AZ
//   aggregates (query_placement_for_availability_zone), image type traits
//   (query_placement_for_image_type_support) and isolated aggregates
//   (enable_isolated_aggregate_filtering).
import type { AggregateInfo, HostState, RequestSpec, Resources } from './framework.ts';

export interface PlacementRequest {
  /** Amounts per resource class. */
  resources: Record<string, number>;
  requiredTraits: string[];
  forbiddenTraits: string[];
  /** Each set: the host must be in at least one of these aggregates (uuids). */
  requiredAggregates: Set<string>[];
  /** The host must be in none of these aggregates. */
  forbiddenAggregates: Set<string>;
  /** The host must be in this zone (a zone from node labels, which no aggregate defines). */
  requiredZone?: string;
  /** Set when a pre-filter refuses the request outright (Nova's RequestFilterFailed). */
  failure?: string;
}

export interface PlacementConfig {
  default_availability_zone?: string;
  limit_tenants_to_placement_aggregate?: boolean;
  placement_aggregate_required_for_tenants?: boolean;
  query_placement_for_availability_zone?: boolean;
  query_placement_for_image_type_support?: boolean;
  enable_isolated_aggregate_filtering?: boolean;
}

const STANDARD: Record<string, keyof Resources> = { VCPU: 'vcpus', MEMORY_MB: 'memoryMb', DISK_GB: 'diskGb' };

/** Nova's resources_from_flavor with extra-spec overrides, and the trait requests. */
export function resourceRequest(
  spec: RequestSpec,
): Pick<PlacementRequest, 'resources' | 'requiredTraits' | 'forbiddenTraits'> {
  const f = spec.flavor;
  const resources: Record<string, number> = {
    VCPU: f.vcpus,
    MEMORY_MB: f.ram,
    DISK_GB: f.disk + f.ephemeral + Math.ceil(f.swap / 1024),
  };
  const required = new Set<string>();
  const forbidden = new Set<string>();
  for (const [key, value] of Object.entries(f.extraSpecs)) {
    const res = /^resources:([A-Z0-9_]+)$/.exec(key);
    if (res) {
      const amount = Number(value);
      if (Number.isInteger(amount) && amount >= 0) resources[res[1]!] = amount;
      continue;
    }
    const trait = /^trait:([A-Z0-9_]+)$/.exec(key);
    if (trait && value === 'required') required.add(trait[1]!);
    if (trait && value === 'forbidden') forbidden.add(trait[1]!);
  }
  for (const [key, value] of Object.entries(spec.image.properties)) {
    const trait = /^traits:([A-Z0-9_]+)$/.exec(key);
    if (trait && value === 'required') required.add(trait[1]!);
  }
  for (const rc of Object.keys(resources)) if (resources[rc] === 0) delete resources[rc];
  return { resources, requiredTraits: [...required], forbiddenTraits: [...forbidden] };
}

/** Runs Nova's request pre-filters against every aggregate, giving the full placement request. */
export function placementRequest(
  spec: RequestSpec,
  aggregates: readonly AggregateInfo[],
  config: PlacementConfig,
): PlacementRequest {
  const req: PlacementRequest = {
    ...resourceRequest(spec),
    requiredAggregates: [],
    forbiddenAggregates: new Set(),
  };

  if (config.limit_tenants_to_placement_aggregate) {
    const mine = aggregates.filter((a) =>
      Object.entries(a.metadata).some(([k, v]) => k.startsWith('filter_tenant_id') && v === spec.projectId),
    );
    if (mine.length) req.requiredAggregates.push(new Set(mine.map((a) => a.uuid)));
    else if (config.placement_aggregate_required_for_tenants) req.failure = 'No hosts available for tenant';
  }

  if ((config.query_placement_for_availability_zone ?? true) && spec.availabilityZone) {
    const zone = aggregates.filter((a) => a.availabilityZone === spec.availabilityZone);
    if (zone.length) req.requiredAggregates.push(new Set(zone.map((a) => a.uuid)));
    // Kova also takes zones from node labels (topology.kubernetes.io/zone), which no aggregate
    // defines; those are matched on the host's zone. The default zone restricts nothing, as in Nova.
    else if (spec.availabilityZone !== (config.default_availability_zone ?? 'nova'))
      req.requiredZone = spec.availabilityZone;
  }

  const diskFormat = spec.image.properties.disk_format;
  if (config.query_placement_for_image_type_support && diskFormat) {
    req.requiredTraits.push(`COMPUTE_IMAGE_TYPE_${diskFormat.toUpperCase()}`);
  }

  if (config.enable_isolated_aggregate_filtering) {
    const wanted = new Set(req.requiredTraits.map((t) => `trait:${t}`));
    for (const a of aggregates) {
      const keys = Object.entries(a.metadata).filter(([k, v]) => k.startsWith('trait:') && v === 'required');
      if (keys.some(([k]) => !wanted.has(k))) req.forbiddenAggregates.add(a.uuid);
    }
  }
  return req;
}

export const REASON_NO_TENANT_AGGREGATE = 'no hosts available for tenant';
export const REASON_AGGREGATE = 'not in a required aggregate';
export const REASON_ZONE = 'not in the requested availability zone';
export const REASON_ISOLATED = 'in an isolated aggregate';
export const REASON_TRAIT_MISSING = 'lacks a required trait';
export const REASON_TRAIT_FORBIDDEN = 'has a forbidden trait';
export const REASON_CAPACITY = 'insufficient';

/**
 * A check of hosts against req, prepared once per request (a scheduling decision runs it on
 * every host): returns why placement would not offer a host, or undefined if it would.
 */
export function placementCheck(req: PlacementRequest): (host: HostState) => string | undefined {
  const amounts = Object.entries(req.resources).map(([rc, amount]) => [rc, STANDARD[rc], amount] as const);
  const aggregateRules = req.requiredAggregates.length > 0 || req.forbiddenAggregates.size > 0;
  const traitRules = req.requiredTraits.length > 0 || req.forbiddenTraits.length > 0;
  return (host) => {
    if (req.failure) return REASON_NO_TENANT_AGGREGATE;
    if (req.requiredZone !== undefined && host.availabilityZone !== req.requiredZone) return REASON_ZONE;
    if (aggregateRules) {
      const member = host.aggregates.map((a) => a.uuid);
      if (req.requiredAggregates.some((any) => !member.some((u) => any.has(u)))) return REASON_AGGREGATE;
      if (member.some((u) => req.forbiddenAggregates.has(u))) return REASON_ISOLATED;
    }
    for (const [rc, field, amount] of amounts) {
      // Kova hosts offer only the standard classes: any other class has no provider.
      if (!field || host.used[field] + amount > host.limits[field]) return `${REASON_CAPACITY} ${rc}`;
    }
    if (traitRules) {
      if (req.requiredTraits.some((t) => !host.traits.includes(t))) return REASON_TRAIT_MISSING;
      if (req.forbiddenTraits.some((t) => host.traits.includes(t))) return REASON_TRAIT_FORBIDDEN;
    }
    return undefined;
  };
}

/** What a request takes from a host, in the standard classes (for the scheduler's bookkeeping). */
export function claimedResources(req: Pick<PlacementRequest, 'resources'>): Resources {
  return {
    vcpus: req.resources.VCPU ?? 0,
    memoryMb: req.resources.MEMORY_MB ?? 0,
    diskGb: req.resources.DISK_GB ?? 0,
  };
}
