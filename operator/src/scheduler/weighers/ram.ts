// RAMWeigher (nova/scheduler/weights/ram.py): more free RAM (free_ram_mb: usable RAM less what
// servers use, before the allocation ratio) weighs more, so servers spread; a negative
// ram_weight_multiplier stacks them instead.
import { Type } from 'typebox';
import type { Weigher } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';

export const NAME = 'RAMWeigher';
export const MULTIPLIER_OPTION = 'ram_weight_multiplier';
export const OPTIONS = { [MULTIPLIER_OPTION]: Type.Number({ default: 1.0 }) };

export function create(config: SchedulerConfig): Weigher {
  return {
    name: NAME,
    multiplierOption: MULTIPLIER_OPTION,
    multiplier: Number(config.ram_weight_multiplier ?? 1.0),
    minval: 0,
    weigh: (host) => host.total.memoryMb - host.used.memoryMb,
  };
}
