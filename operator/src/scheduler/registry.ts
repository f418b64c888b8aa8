// Filters and weighers by Nova name, with the options each reads. Adding a plugin = one file
// exporting NAME and create() (and OPTIONS if it reads any), and one line here.
import type { TSchema } from 'typebox';
import type { Filter, Weigher } from './framework.ts';
import * as Affinity from './filters/affinity.ts';
import * as AggregateImagePropertiesIsolation from './filters/aggregate_image_properties_isolation.ts';
import * as AggregateInstanceExtraSpecsFilter from './filters/aggregate_instance_extra_specs.ts';
import * as AggregateIoOpsFilter from './filters/aggregate_io_ops.ts';
import * as AggregateMultiTenancyIsolation from './filters/aggregate_multitenancy_isolation.ts';
import * as AggregateNumInstancesFilter from './filters/aggregate_num_instances.ts';
import * as AggregateTypeAffinityFilter from './filters/type_affinity.ts';
import * as ComputeCapabilitiesFilter from './filters/compute_capabilities.ts';
import * as ImagePropertiesFilter from './filters/image_properties.ts';
import * as IoOpsFilter from './filters/io_ops.ts';
import * as NumInstancesFilter from './filters/num_instances.ts';
import * as AllHostsFilter from './filters/all_hosts.ts';
import * as AvailabilityZoneFilter from './filters/availability_zone.ts';
import * as ComputeFilter from './filters/compute.ts';
import * as IsolatedHostsFilter from './filters/isolated_hosts.ts';
import * as JsonFilter from './filters/json.ts';
import * as KubernetesNodeFilter from './filters/kubernetes_node.ts';
import * as Placement from './filters/placement.ts';
import * as RetryFilter from './filters/retry.ts';
import * as SoftAffinity from './weighers/affinity.ts';
import * as BuildFailureWeigher from './weighers/build_failure.ts';
import * as CPUWeigher from './weighers/cpu.ts';
import * as DiskWeigher from './weighers/disk.ts';
import * as IoOpsWeigher from './weighers/io_ops.ts';
import * as MetricsWeigher from './weighers/metrics.ts';
import * as NumInstancesWeigher from './weighers/num_instances.ts';
import * as RAMWeigher from './weighers/ram.ts';
import type { PlacementConfig } from './placement.ts';

/** Scheduler options, with Nova's names ([filter_scheduler], [scheduler] and the plugins'). */
export interface SchedulerConfig extends PlacementConfig {
  enabled_filters: string[];
  weight_classes: string[];
  host_subset_size: number;
  max_attempts: number;
  [option: string]: unknown;
}

export interface Plugin<T> {
  create: (config: SchedulerConfig) => T;
  /** The Nova options it reads: name → schema with its default. */
  options?: Record<string, TSchema>;
}

const plugin = <T>(m: {
  create: (c: SchedulerConfig) => T;
  OPTIONS?: Record<string, TSchema>;
}): Plugin<T> => ({
  create: m.create,
  options: m.OPTIONS,
});

export const FILTERS: Record<string, Plugin<Filter>> = {
  [ComputeFilter.NAME]: plugin(ComputeFilter),
  [AvailabilityZoneFilter.NAME]: plugin(AvailabilityZoneFilter),
  [ComputeCapabilitiesFilter.NAME]: plugin(ComputeCapabilitiesFilter),
  [ImagePropertiesFilter.NAME]: plugin(ImagePropertiesFilter),
  [AggregateInstanceExtraSpecsFilter.NAME]: plugin(AggregateInstanceExtraSpecsFilter),
  [AggregateMultiTenancyIsolation.NAME]: plugin(AggregateMultiTenancyIsolation),
  [AggregateImagePropertiesIsolation.NAME]: plugin(AggregateImagePropertiesIsolation),
  [AggregateTypeAffinityFilter.NAME]: plugin(AggregateTypeAffinityFilter),
  [NumInstancesFilter.NAME]: plugin(NumInstancesFilter),
  [AggregateNumInstancesFilter.NAME]: plugin(AggregateNumInstancesFilter),
  [IoOpsFilter.NAME]: plugin(IoOpsFilter),
  [AggregateIoOpsFilter.NAME]: plugin(AggregateIoOpsFilter),
  [Affinity.NAME_SERVER_GROUP_AFFINITY]: plugin({ create: Affinity.createServerGroupAffinity }),
  [Affinity.NAME_SERVER_GROUP_ANTI_AFFINITY]: plugin({ create: Affinity.createServerGroupAntiAffinity }),
  [Affinity.NAME_SAME_HOST]: plugin({ create: Affinity.createSameHost }),
  [Affinity.NAME_DIFFERENT_HOST]: plugin({ create: Affinity.createDifferentHost }),
  [Affinity.NAME_SIMPLE_CIDR_AFFINITY]: plugin({ create: Affinity.createSimpleCidrAffinity }),
  [IsolatedHostsFilter.NAME]: plugin(IsolatedHostsFilter),
  [JsonFilter.NAME]: plugin(JsonFilter),
  [AllHostsFilter.NAME]: plugin(AllHostsFilter),
};

export const WEIGHERS: Record<string, Plugin<Weigher>> = {
  [RAMWeigher.NAME]: plugin(RAMWeigher),
  [CPUWeigher.NAME]: plugin(CPUWeigher),
  [DiskWeigher.NAME]: plugin(DiskWeigher),
  [IoOpsWeigher.NAME]: plugin(IoOpsWeigher),
  [NumInstancesWeigher.NAME]: plugin(NumInstancesWeigher),
  [SoftAffinity.NAME_SOFT_AFFINITY]: plugin({
    create: SoftAffinity.createSoftAffinity,
    OPTIONS: SoftAffinity.OPTIONS_SOFT_AFFINITY,
  }),
  [SoftAffinity.NAME_SOFT_ANTI_AFFINITY]: plugin({
    create: SoftAffinity.createSoftAntiAffinity,
    OPTIONS: SoftAffinity.OPTIONS_SOFT_ANTI_AFFINITY,
  }),
  [BuildFailureWeigher.NAME]: plugin(BuildFailureWeigher),
  [MetricsWeigher.NAME]: plugin(MetricsWeigher),
};

/**
 * Nova's defaults (Zed): its default enabled_filters (availability zones are placement's
 * query_placement_for_availability_zone pre-filter), and every weigher (all_weighers).
 */
export const DEFAULT_SCHEDULER_CONFIG: SchedulerConfig = {
  enabled_filters: [
    ComputeFilter.NAME,
    ComputeCapabilitiesFilter.NAME,
    ImagePropertiesFilter.NAME,
    Affinity.NAME_SERVER_GROUP_ANTI_AFFINITY,
    Affinity.NAME_SERVER_GROUP_AFFINITY,
  ],
  weight_classes: Object.keys(WEIGHERS),
  host_subset_size: 1,
  max_attempts: 3,
};

/** The configuration with its plugins built. */
export interface SchedulerPlugins {
  config: SchedulerConfig;
  filters: Filter[];
  weighers: Weigher[];
}

/**
 * The filter chain: Placement's resource check, the Kubernetes node check and the retry exclusion
 * always come first (as Placement and alternates do in Nova), then the enabled filters in order.
 */
export function buildFilters(config: SchedulerConfig): Filter[] {
  const unknown = config.enabled_filters.filter((n) => !FILTERS[n]);
  if (unknown.length) throw new Error(`unknown scheduler filters: ${unknown.join(', ')}`);
  return [
    Placement.create(),
    KubernetesNodeFilter.create(),
    RetryFilter.create(),
    ...config.enabled_filters.map((n) => FILTERS[n]!.create(config)),
  ];
}

export function buildWeighers(config: SchedulerConfig): Weigher[] {
  const unknown = config.weight_classes.filter((n) => !WEIGHERS[n]);
  if (unknown.length) throw new Error(`unknown scheduler weighers: ${unknown.join(', ')}`);
  return config.weight_classes.map((n) => WEIGHERS[n]!.create(config));
}

export function buildPlugins(config: SchedulerConfig): SchedulerPlugins {
  return { config, filters: buildFilters(config), weighers: buildWeighers(config) };
}
