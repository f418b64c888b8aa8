// MetricsWeigher (nova/scheduler/weights/metrics.py): weighs hosts by the metrics they report, as
// [metrics] weight_setting says: "name1=1.0, name2=-1.0" weighs name1.value × 1.0 +
// name2.value × -1.0. Malformed entries (no "=", no name, a ratio that is not a float) are ignored.
// A host lacking a metric of the setting:
// - with `required` (the default): Nova raises ComputeHostMetricNotFound, failing the request;
//   so does this weigher (enable MetricsFilter to remove such hosts first, as Nova advises);
// - without: the host weighs weight_of_unavailable (default -10000.0), unless that metric's ratio
//   or the multiplier is 0, in which case the metric is skipped.
// Nova's [metrics] options are read under these names: weight_setting, required,
// weight_of_unavailable, and metrics_weight_multiplier for [metrics] weight_multiplier (the name
// its aggregate metadata override uses).
import { Type } from 'typebox';
import type { Weigher } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';
import { ValueError, pyFloat } from '../utils.ts';

export const NAME = 'MetricsWeigher';
export const MULTIPLIER_OPTION = 'metrics_weight_multiplier';
export const OPTIONS = {
  [MULTIPLIER_OPTION]: Type.Number({ default: 1.0 }),
  /** A ListOpt: a list, or a comma-separated string as nova.conf writes it. */
  weight_setting: Type.Union([Type.Array(Type.String()), Type.String()], { default: [] }),
  required: Type.Boolean({ default: true }),
  weight_of_unavailable: Type.Number({ default: -10000.0 }),
};

/** Nova's exception.ComputeHostMetricNotFound. */
export class ComputeHostMetricNotFound extends Error {
  override name = 'ComputeHostMetricNotFound';
  readonly metric: string;
  readonly host: string;
  constructor(metric: string, host: string) {
    super(`Metric ${metric} could not be found on the compute host node ${host}.${host}.`);
    this.metric = metric;
    this.host = host;
  }
}

/** Nova's utils.parse_options(opts, sep='=', converter=float): the valid (name, ratio) pairs. */
export function parseWeightSetting(setting: unknown): [string, number][] {
  let opts: string[];
  if (typeof setting === 'string') opts = setting.split(',').map((s) => s.trim());
  else if (Array.isArray(setting)) opts = setting.map(String);
  else opts = [];
  const good: [string, number][] = [];
  for (const opt of opts) {
    const i = opt.indexOf('=');
    const key = i < 0 ? opt : opt.slice(0, i);
    let ratio: number;
    try {
      ratio = pyFloat(i < 0 ? '' : opt.slice(i + 1));
    } catch (err) {
      if (err instanceof ValueError) continue;
      throw err;
    }
    if (key && i >= 0) good.push([key, ratio]);
  }
  return good;
}

export function create(config: SchedulerConfig): Weigher {
  const setting = parseWeightSetting(config.weight_setting ?? []);
  const required = config.required === undefined ? true : Boolean(config.required);
  const weightOfUnavailable = Number(config.weight_of_unavailable ?? -10000.0);
  const multiplier = Number(config[MULTIPLIER_OPTION] ?? 1.0);
  return {
    name: NAME,
    multiplierOption: MULTIPLIER_OPTION,
    multiplier,
    // No metric to weigh: every host weighs 0.
    appliesTo: () => setting.length > 0,
    weigh(host) {
      let value = 0.0;
      for (const [name, ratio] of setting) {
        if (Object.hasOwn(host.metrics, name)) {
          value += host.metrics[name]! * ratio;
        } else if (required) {
          throw new ComputeHostMetricNotFound(name, host.name);
        } else if (ratio * multiplier !== 0) {
          // The unavailable metric is the most negative factor: the host goes last.
          return weightOfUnavailable;
        }
      }
      return value;
    },
  };
}
