// CPUWeigher (nova/scheduler/weights/cpu.py): more free vCPUs (vcpus_total × cpu_allocation_ratio
// − vcpus_used) weigh more, so servers spread; a negative cpu_weight_multiplier stacks them.
// Overcommitted hosts (negative free vCPUs) weigh as 0 (minval).
import { Type } from 'typebox';
import type { Weigher } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';

export const NAME = 'CPUWeigher';
export const MULTIPLIER_OPTION = 'cpu_weight_multiplier';
export const OPTIONS = { [MULTIPLIER_OPTION]: Type.Number({ default: 1.0 }) };

export function create(config: SchedulerConfig): Weigher {
  return {
    name: NAME,
    multiplierOption: MULTIPLIER_OPTION,
    multiplier: Number(config[MULTIPLIER_OPTION] ?? 1.0),
    minval: 0,
    weigh: (host) => host.total.vcpus * host.allocationRatios.vcpus - host.used.vcpus,
  };
}
