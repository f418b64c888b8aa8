// Nova's soft affinity weighers (nova/scheduler/weights/affinity.py), two plugins in one file as in
// Nova; each has its NAME_<X>, MULTIPLIER_OPTION_<X>, OPTIONS_<X> and create<X>():
//
// - ServerGroupSoftAffinityWeigher: for a "soft-affinity" group, the weight is the number of the
//   group's members on the host, so hosts with more members win (soft_affinity_weight_multiplier).
// - ServerGroupSoftAntiAffinityWeigher: for a "soft-anti-affinity" group, minus that number, so
//   hosts with fewer members win (soft_anti_affinity_weight_multiplier).
//
// Requests without a group, or with another policy, weigh 0 everywhere. Both multipliers default to
// 1.0 and, as oslo.config enforces in Nova (min=0.0), may not be negative.
import { Type } from 'typebox';
import type { HostState, RequestSpec, Weigher } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';

export const NAME_SOFT_AFFINITY = 'ServerGroupSoftAffinityWeigher';
export const NAME_SOFT_ANTI_AFFINITY = 'ServerGroupSoftAntiAffinityWeigher';
export const MULTIPLIER_OPTION_SOFT_AFFINITY = 'soft_affinity_weight_multiplier';
export const MULTIPLIER_OPTION_SOFT_ANTI_AFFINITY = 'soft_anti_affinity_weight_multiplier';
export const OPTIONS_SOFT_AFFINITY = {
  [MULTIPLIER_OPTION_SOFT_AFFINITY]: Type.Number({ default: 1.0, minimum: 0.0 }),
};
export const OPTIONS_SOFT_ANTI_AFFINITY = {
  [MULTIPLIER_OPTION_SOFT_ANTI_AFFINITY]: Type.Number({ default: 1.0, minimum: 0.0 }),
};

function multiplier(config: SchedulerConfig, option: string): number {
  const value = Number(config[option] ?? 1.0);
  if (!(value >= 0)) throw new Error(`${option} must be at least 0.0, not ${String(config[option])}`);
  return value;
}

/** Nova's _SoftAffinityWeigherBase: the group's members on the host, for the matching policy only. */
function membersOn(host: HostState, spec: RequestSpec, policy: string): number {
  const group = spec.instanceGroup;
  if (!group || group.policy !== policy) return 0;
  return group.memberHosts.filter((h) => h === host.name).length;
}

export function createSoftAffinity(config: SchedulerConfig): Weigher {
  return {
    name: NAME_SOFT_AFFINITY,
    multiplierOption: MULTIPLIER_OPTION_SOFT_AFFINITY,
    multiplier: multiplier(config, MULTIPLIER_OPTION_SOFT_AFFINITY),
    appliesTo: (spec) => spec.instanceGroup?.policy === 'soft-affinity',
    weigh: (host, spec) => membersOn(host, spec, 'soft-affinity'),
  };
}

export function createSoftAntiAffinity(config: SchedulerConfig): Weigher {
  return {
    name: NAME_SOFT_ANTI_AFFINITY,
    multiplierOption: MULTIPLIER_OPTION_SOFT_ANTI_AFFINITY,
    multiplier: multiplier(config, MULTIPLIER_OPTION_SOFT_ANTI_AFFINITY),
    appliesTo: (spec) => spec.instanceGroup?.policy === 'soft-anti-affinity',
    weigh: (host, spec) => -1 * membersOn(host, spec, 'soft-anti-affinity'),
  };
}
