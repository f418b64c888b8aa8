// Placement's part of scheduling as the first filter, so "No valid host" names it like any other:
// a host must offer the requested resources (after allocation ratios and reserved amounts), the
// required traits and none of the forbidden ones, and satisfy the request pre-filters'
// aggregate constraints. In Nova this is the Placement service's allocation-candidate query.
import { type Filter, perRequest } from '../framework.ts';
import { placementCheck, placementRequest } from '../placement.ts';

export const NAME = 'Placement';
export {
  REASON_AGGREGATE,
  REASON_CAPACITY,
  REASON_ISOLATED,
  REASON_NO_TENANT_AGGREGATE,
  REASON_TRAIT_FORBIDDEN,
  REASON_TRAIT_MISSING,
} from '../placement.ts';

export function create(): Filter {
  // The scheduler sets spec.placement once per decision; a bare spec gets the flavor's request.
  const check = perRequest((spec) => placementCheck(spec.placement ?? placementRequest(spec, [], {})));
  return { name: NAME, hostPasses: (host, spec) => check(spec)(host) };
}
