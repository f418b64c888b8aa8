// RAMWeigher (nova/scheduler/weights/ram.py): more free RAM weighs more, so servers spread;
// a negative ram_weight_multiplier stacks them instead.
import type { Weigher } from '../framework.ts';

export const NAME = 'RAMWeigher';
export const MULTIPLIER_OPTION = 'ram_weight_multiplier';

export function create(config: { ram_weight_multiplier?: number }): Weigher {
  return {
    name: NAME,
    multiplierOption: MULTIPLIER_OPTION,
    multiplier: config.ram_weight_multiplier ?? 1.0,
    minval: 0,
    weigh: (host) => host.limits.memoryMb - host.used.memoryMb,
  };
}
