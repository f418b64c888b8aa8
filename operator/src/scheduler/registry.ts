// Filters and weighers by Nova name. Adding a plugin = one file exporting NAME and create(), and
// one line here.
import type { Filter, Weigher } from './framework.ts';
import * as AvailabilityZoneFilter from './filters/availability_zone.ts';
import * as ComputeFilter from './filters/compute.ts';
import * as Placement from './filters/placement.ts';
import * as RetryFilter from './filters/retry.ts';
import * as RAMWeigher from './weighers/ram.ts';

/** Scheduler options, with Nova's names ([filter_scheduler] and [scheduler]). */
export interface SchedulerConfig {
  enabled_filters: string[];
  weight_classes: string[];
  host_subset_size: number;
  max_attempts: number;
  ram_weight_multiplier?: number;
  [option: string]: unknown;
}

export const DEFAULT_SCHEDULER_CONFIG: SchedulerConfig = {
  enabled_filters: [ComputeFilter.NAME, AvailabilityZoneFilter.NAME],
  weight_classes: [RAMWeigher.NAME],
  host_subset_size: 1,
  max_attempts: 3,
  ram_weight_multiplier: 1.0,
};

type Factory<T> = (config: SchedulerConfig) => T;

export const FILTERS: Record<string, Factory<Filter>> = {
  [ComputeFilter.NAME]: ComputeFilter.create,
  [AvailabilityZoneFilter.NAME]: AvailabilityZoneFilter.create,
};

export const WEIGHERS: Record<string, Factory<Weigher>> = {
  [RAMWeigher.NAME]: RAMWeigher.create,
};

/**
 * The filter chain: Placement's resource check and the retry exclusion always come first (as
 * Placement and alternates do in Nova), then the enabled filters in their configured order.
 */
export function buildFilters(config: SchedulerConfig): Filter[] {
  const unknown = config.enabled_filters.filter((n) => !FILTERS[n]);
  if (unknown.length) throw new Error(`unknown scheduler filters: ${unknown.join(', ')}`);
  return [
    Placement.create(),
    RetryFilter.create(),
    ...config.enabled_filters.map((n) => FILTERS[n]!(config)),
  ];
}

export function buildWeighers(config: SchedulerConfig): Weigher[] {
  const unknown = config.weight_classes.filter((n) => !WEIGHERS[n]);
  if (unknown.length) throw new Error(`unknown scheduler weighers: ${unknown.join(', ')}`);
  return config.weight_classes.map((n) => WEIGHERS[n]!(config));
}
