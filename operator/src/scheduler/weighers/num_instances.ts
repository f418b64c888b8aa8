// NumInstancesWeigher (nova/scheduler/weights/num_instances.py; Nova 2023.2 "Bobcat", after Zed):
// weighs hosts by their number of servers. The default num_instances_weight_multiplier, 0.0,
// disables it; a negative one prefers the hosts with fewest servers (spread), a positive one the
// hosts with most (pack).
import { Type } from 'typebox';
import type { Weigher } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';

export const NAME = 'NumInstancesWeigher';
export const MULTIPLIER_OPTION = 'num_instances_weight_multiplier';
export const OPTIONS = { [MULTIPLIER_OPTION]: Type.Number({ default: 0.0 }) };

export function create(config: SchedulerConfig): Weigher {
  return {
    name: NAME,
    multiplierOption: MULTIPLIER_OPTION,
    multiplier: Number(config[MULTIPLIER_OPTION] ?? 0.0),
    weigh: (host) => host.numInstances,
  };
}
