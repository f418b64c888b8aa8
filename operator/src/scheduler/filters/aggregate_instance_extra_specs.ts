// AggregateInstanceExtraSpecsFilter (nova/scheduler/filters/aggregate_instance_extra_specs.py):
// each flavor extra spec `aggregate_instance_extra_specs:<key>`, or unscoped `<key>`, must match
// (with extra_specs_ops) one of the values of metadata key <key> over the host's aggregates, each
// aggregate value split on ','. A key no aggregate of the host has fails it, so unscoped extra specs
// restrict flavors to aggregates that carry them; extra specs of other scopes (hw:, quota:, ...)
// are ignored, and a flavor without extra specs passes everywhere. Only the first ':' separates
// the scope: `aggregate_instance_extra_specs:a:b` is key `a:b`.
// Like Nova's, a numeric operator on a non-numeric value throws ValueError (see extra_specs_ops.ts).
import type { Filter } from '../framework.ts';
import { match } from '../extra_specs_ops.ts';
import { aggregateMetadataGetByHost } from '../utils.ts';

export const NAME = 'AggregateInstanceExtraSpecsFilter';
export const REASON_NOT_IN_AGGREGATE = "a flavor extra spec is not in the metadata of the host's aggregates";
export const REASON_MISMATCH = "the host's aggregate metadata does not match a flavor extra spec";

const SCOPE = 'aggregate_instance_extra_specs';

export function create(): Filter {
  return {
    name: NAME,
    hostPasses(host, spec) {
      const extraSpecs = Object.entries(spec.flavor.extraSpecs);
      if (!extraSpecs.length) return undefined;

      const metadata = aggregateMetadataGetByHost(host);
      for (const [fullKey, req] of extraSpecs) {
        // Either not scope format, or aggregate_instance_extra_specs scope.
        const colon = fullKey.indexOf(':');
        let key = fullKey;
        if (colon >= 0) {
          if (fullKey.slice(0, colon) !== SCOPE) continue;
          key = fullKey.slice(colon + 1);
        }
        const aggregateVals = metadata.get(key);
        if (!aggregateVals?.size) return REASON_NOT_IN_AGGREGATE;
        if (![...aggregateVals].some((v) => match(v, req))) return REASON_MISMATCH;
      }
      return undefined;
    },
  };
}
