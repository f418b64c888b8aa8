// BuildFailureWeigher (nova/scheduler/weights/compute.py): hosts where recent builds failed weigh
// less. As in Nova, the raw weight is failed_builds and the multiplier is the negated
// build_failure_weight_multiplier (default 1000000.0, large enough to outweigh the others), so the
// host with the most failures loses `build_failure_weight_multiplier` and a host without failures
// loses nothing. 0.0 disables it.
import { Type } from 'typebox';
import type { Weigher } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';

export const NAME = 'BuildFailureWeigher';
export const MULTIPLIER_OPTION = 'build_failure_weight_multiplier';
export const OPTIONS = { [MULTIPLIER_OPTION]: Type.Number({ default: 1000000.0 }) };

export function create(config: SchedulerConfig): Weigher {
  return {
    name: NAME,
    multiplierOption: MULTIPLIER_OPTION,
    multiplier: -1 * Number(config[MULTIPLIER_OPTION] ?? 1000000.0),
    negated: true,
    weigh: (host) => host.failedBuilds,
  };
}
