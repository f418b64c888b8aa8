// DiskWeigher (nova/scheduler/weights/disk.py): more free disk (free_disk_mb: usable disk less
// what servers use, before the allocation ratio) weighs more, so servers spread; a negative
// disk_weight_multiplier stacks them. Hosts with negative free disk weigh as 0 (minval).
import { Type } from 'typebox';
import type { Weigher } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';

export const NAME = 'DiskWeigher';
export const MULTIPLIER_OPTION = 'disk_weight_multiplier';
export const OPTIONS = { [MULTIPLIER_OPTION]: Type.Number({ default: 1.0 }) };

export function create(config: SchedulerConfig): Weigher {
  return {
    name: NAME,
    multiplierOption: MULTIPLIER_OPTION,
    multiplier: Number(config[MULTIPLIER_OPTION] ?? 1.0),
    minval: 0,
    // free_disk_mb, as host_attributes.ts maps it.
    weigh: (host) => (host.total.diskGb - host.used.diskGb) * 1024,
  };
}
