// AggregateImagePropertiesIsolation
// (nova/scheduler/filters/aggregate_image_properties_isolation.py): for each metadata key of the
// host's aggregates that is also an image property the image sets, the image's value must be one
// of the aggregate values (each split on ','; several aggregates' values pooled). Keys that are no
// image property, and properties the image does not set (or sets to a false value: False, 0, ''),
// do not restrict. With aggregate_image_properties_isolation_namespace set, only the keys starting
// with namespace + aggregate_image_properties_isolation_separator (default '.') count.
//
// The image's properties are read as Nova's ImageMetaProps holds them (image_properties.ts's
// imageMetaProp): only ImageMetaProps fields count (a custom Glance property such as "os" never
// matches, as in Nova), legacy names stand for current ones, values are coerced (os_type
// lower-cased, hw_architecture canonicalised, integers, booleans printed True/False).
import { Type } from 'typebox';
import type { Filter } from '../framework.ts';
import type { SchedulerConfig } from '../registry.ts';
import { aggregateMetadataGetByHost, pyStr } from '../utils.ts';
import { imageMetaProp } from './image_properties.ts';

export const NAME = 'AggregateImagePropertiesIsolation';
export const REASON_IMAGE_PROPERTY = "an image property does not match the metadata of the host's aggregates";

export const OPTIONS = {
  aggregate_image_properties_isolation_namespace: Type.String(),
  aggregate_image_properties_isolation_separator: Type.String({ default: '.' }),
};

/** Python truthiness of a property value. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== '';
}

export function create(config: SchedulerConfig): Filter {
  const namespace = config.aggregate_image_properties_isolation_namespace;
  const cfgNamespace = typeof namespace === 'string' ? namespace : undefined;
  const cfgSeparator = String(config.aggregate_image_properties_isolation_separator ?? '.');
  return {
    name: NAME,
    hostPasses(host, spec) {
      const imageProps = spec.image?.properties ?? {};
      const metadata = aggregateMetadataGetByHost(host);
      for (const [key, options] of metadata) {
        if (cfgNamespace && !key.startsWith(cfgNamespace + cfgSeparator)) continue;
        const prop = imageMetaProp(imageProps, key);
        // Aggregate metadata is only strings: the property is compared as str() prints it.
        if (truthy(prop) && !options.has(pyStr(prop))) return REASON_IMAGE_PROPERTY;
      }
      return undefined;
    },
  };
}
