// AggregateMultiTenancyIsolation (nova/scheduler/filters/aggregate_multitenancy_isolation.py): a
// host in an aggregate with metadata filter_tenant_id (a comma-separated list of project ids)
// takes only servers of those projects; a host in several such aggregates, those of any of them;
// a host in no such aggregate takes every project. It keeps other projects off the isolated
// hosts; it does not keep the listed projects on them (Placement's
// limit_tenants_to_placement_aggregate does that).
//
// Only the key filter_tenant_id itself counts here, as in Nova Zed's filter: the numbered keys
// (filter_tenant_id2, filter_tenant_id:123, ...) are read by the Placement request pre-filter
// (limit_tenants_to_placement_aggregate, nova/scheduler/request_filter.py), not by this filter.
import type { Filter } from '../framework.ts';
import { aggregateMetadataGetByHost } from '../utils.ts';

export const NAME = 'AggregateMultiTenancyIsolation';
export const REASON_OTHER_TENANTS = "the host's aggregates are isolated to other projects (filter_tenant_id)";

const KEY = 'filter_tenant_id';

export function create(): Filter {
  return {
    name: NAME,
    hostPasses(host, spec) {
      const metadata = aggregateMetadataGetByHost(host, KEY);
      if (metadata.size) {
        const configuredTenantIds = metadata.get(KEY);
        if (configuredTenantIds?.size && !configuredTenantIds.has(spec.projectId))
          return REASON_OTHER_TENANTS;
      }
      return undefined;
    },
  };
}
