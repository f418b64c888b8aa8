// The scheduler's configuration file: YAML with Nova's option names, validated with ajv against
// the options of the core and of every registered plugin (an unknown or mistyped option is an
// error, not silently ignored), defaults filled in. A file that changes is reloaded; a bad new
// file is reported and the previous configuration stays (as the seed's scheduler_options.py).
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import { Ajv } from 'ajv';
import { Type, type TSchema } from 'typebox';
import { parse } from 'yaml';
import { DEFAULT_SCHEDULER_CONFIG, FILTERS, WEIGHERS, type SchedulerConfig } from './registry.ts';

/** The JSON schema of a scheduler configuration. */
export function schedulerConfigSchema(): TSchema {
  const pluginOptions: Record<string, TSchema> = {};
  for (const p of [...Object.values(FILTERS), ...Object.values(WEIGHERS)])
    Object.assign(pluginOptions, p.options ?? {});
  return Type.Object(
    {
      enabled_filters: Type.Array(Type.String({ enum: Object.keys(FILTERS) }), {
        default: DEFAULT_SCHEDULER_CONFIG.enabled_filters,
      }),
      weight_classes: Type.Array(Type.String({ enum: Object.keys(WEIGHERS) }), {
        default: DEFAULT_SCHEDULER_CONFIG.weight_classes,
      }),
      host_subset_size: Type.Integer({ minimum: 1, default: 1 }),
      max_attempts: Type.Integer({ minimum: 1, default: 3 }),
      limit_tenants_to_placement_aggregate: Type.Boolean({ default: false }),
      placement_aggregate_required_for_tenants: Type.Boolean({ default: false }),
      query_placement_for_availability_zone: Type.Boolean({ default: true }),
      query_placement_for_image_type_support: Type.Boolean({ default: false }),
      enable_isolated_aggregate_filtering: Type.Boolean({ default: false }),
      ...Object.fromEntries(Object.entries(pluginOptions).map(([k, v]) => [k, Type.Optional(v)])),
    },
    { additionalProperties: false },
  );
}

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });

/** Validates options (a parsed YAML document) and fills in defaults; throws with every problem. */
export function validateSchedulerConfig(options: unknown): SchedulerConfig {
  const config = structuredClone(options ?? {}) as Record<string, unknown>;
  const validate = ajv.compile(schedulerConfigSchema());
  if (!validate(config)) {
    const problems = (validate.errors ?? []).map((e) =>
      e.keyword === 'additionalProperties'
        ? `unknown option ${(e.params as { additionalProperty: string }).additionalProperty}`
        : `${e.instancePath.slice(1) || 'config'} ${e.message}`,
    );
    throw new Error(`invalid scheduler configuration: ${problems.join('; ')}`);
  }
  return config as SchedulerConfig;
}

export function loadSchedulerConfig(file: string): SchedulerConfig {
  return validateSchedulerConfig(parse(readFileSync(file, 'utf8')));
}

/**
 * Calls onChange with each new valid configuration of file (polled, so a ConfigMap's symlink swap
 * is seen too) and onError for an invalid one. Returns a function that stops watching.
 */
export function watchSchedulerConfig(
  file: string,
  onChange: (c: SchedulerConfig) => void,
  onError: (e: Error) => void,
  intervalMs = 2000,
): () => void {
  const listener = () => {
    try {
      onChange(loadSchedulerConfig(file));
    } catch (e) {
      onError(e as Error);
    }
  };
  watchFile(file, { interval: intervalMs, persistent: false }, listener);
  return () => unwatchFile(file, listener);
}
