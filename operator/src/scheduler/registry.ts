// Filters and weighers by Nova name, with the options each reads. Adding a plugin = one file
// exporting NAME and create() (and OPTIONS if it reads any), and one line here.
import type { TSchema } from 'typebox';
import type { Filter, Weigher } from './framework.ts';
import * as AvailabilityZoneFilter from './filters/availability_zone.ts';
import * as ComputeFilter from './filters/compute.ts';
import * as KubernetesNodeFilter from './filters/kubernetes_node.ts';
import * as Placement from './filters/placement.ts';
import * as RetryFilter from './filters/retry.ts';
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
};

export const WEIGHERS: Record<string, Plugin<Weigher>> = {
  [RAMWeigher.NAME]: plugin(RAMWeigher),
};

/** Nova's defaults (Zed): its default enabled_filters, and every weigher (all_weighers). */
export const DEFAULT_SCHEDULER_CONFIG: SchedulerConfig = {
  enabled_filters: [ComputeFilter.NAME, AvailabilityZoneFilter.NAME],
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
