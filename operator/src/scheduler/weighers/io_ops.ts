// IoOpsWeigher (nova/scheduler/weights/io_ops.py): weighs hosts by num_io_ops (servers building,
// resizing, snapshotting, ...). The default io_ops_weight_multiplier, -1.0, prefers the hosts with
// the lightest I/O workload; a positive one prefers the busiest.
import { Type } from 'typebox';
import type { Weigher } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';

export const NAME = 'IoOpsWeigher';
export const MULTIPLIER_OPTION = 'io_ops_weight_multiplier';
export const OPTIONS = { [MULTIPLIER_OPTION]: Type.Number({ default: -1.0 }) };

export function create(config: SchedulerConfig): Weigher {
  return {
    name: NAME,
    multiplierOption: MULTIPLIER_OPTION,
    multiplier: Number(config[MULTIPLIER_OPTION] ?? -1.0),
    minval: 0,
    weigh: (host) => host.numIoOps,
  };
}
