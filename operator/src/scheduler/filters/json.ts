// JsonFilter (nova/scheduler/filters/json_filter.py): the scheduler hint `query` holds a JSON
// expression over the host's attributes, e.g. ["and", [">=", "$free_ram_mb", 1024],
// [">=", "$free_disk_mb", 204800]]. Operators: =, <, >, <=, >= (the first argument against each of
// the others), in (the first among the others), not (each argument negated: a list), or, and.
// "$name.key" reads a Nova HostState attribute (host_attributes.ts); a missing one, and null or
// "", are dropped from the arguments, so a comparison left with fewer than two arguments is false.
// A list result (from "not") passes when any element is true. No query (or an empty one) passes.
//
// Evaluation follows Python's semantics, which Nova's code inherits: truthiness ([] and {} are
// false, so ["and", ["not"]] is false while ["and", ["not", false]] is true), == and ordering
// (True == 1; strings compare by code point; lists lexicographically; ordering values of
// different types raises TypeError). Where Nova raises (a query that is not JSON, an unknown
// operator, an unorderable comparison), failing the whole request, this filter fails the host
// instead: the request still ends in NoValidHost.
import type { Filter, HostState } from '../framework.ts';
import { novaAttributePath } from '../host_attributes.ts';
import { pyCompare } from '../utils.ts';
import { getSchedulerHint } from './affinity.ts';

export const NAME = 'JsonFilter';
export const REASON_QUERY_FAILED = 'host does not satisfy the query hint';
export const REASON_INVALID_QUERY = 'the query hint is not a valid JsonFilter query';

/** What Python raises evaluating a query (KeyError, TypeError, ...). */
class QueryError extends Error {}

function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false) return false;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

const isNumber = (v: unknown): v is number | boolean => typeof v === 'number' || typeof v === 'boolean';
const isDict = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Python's ==. */
function eq(a: unknown, b: unknown): boolean {
  if (isNumber(a) && isNumber(b)) return Number(a) === Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => eq(x, b[i]));
  if (isDict(a) && isDict(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && eq(a[k], b[k]));
  }
  return false;
}

type Order = '<' | '>' | '<=' | '>=';

function holds(c: number, op: Order): boolean {
  switch (op) {
    case '<':
      return c < 0;
    case '>':
      return c > 0;
    case '<=':
      return c <= 0;
    case '>=':
      return c >= 0;
  }
}

/** Python's ordering of two values: numbers, strings (by code point) and lists (lexicographic). */
function order(a: unknown, b: unknown, op: Order): boolean {
  if (isNumber(a) && isNumber(b)) {
    const x = Number(a);
    const y = Number(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return false;
    return holds(x < y ? -1 : x > y ? 1 : 0, op);
  }
  if (typeof a === 'string' && typeof b === 'string') return holds(pyCompare(a, b), op);
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (!eq(a[i], b[i])) return order(a[i], b[i], op);
    return holds(a.length - b.length, op);
  }
  throw new QueryError(`TypeError: '${op}' not supported between these types`);
}

/** Nova's _op_compare: the first argument against every other one; false with fewer than two. */
function compare(args: unknown[], op: Order | '=' | 'in'): boolean {
  if (args.length < 2) return false;
  const [first, ...rest] = args;
  if (op === 'in') return rest.some((x) => eq(first, x));
  // Python builds the whole list of failures: every comparison runs (and may raise).
  const results = rest.map((x) => (op === '=' ? eq(first, x) : order(first, x, op)));
  return results.every(Boolean);
}

const COMMANDS: Record<string, (args: unknown[]) => unknown> = {
  '=': (args) => compare(args, '='),
  '<': (args) => compare(args, '<'),
  '>': (args) => compare(args, '>'),
  in: (args) => compare(args, 'in'),
  '<=': (args) => compare(args, '<='),
  '>=': (args) => compare(args, '>='),
  not: (args) => args.map((x) => !truthy(x)),
  or: (args) => args.some(truthy),
  and: (args) => args.every(truthy),
};

/** Nova's _parse_string: "$a.b" reads attribute a, key b; other strings stand for themselves. */
function parseString(s: string, host: HostState): unknown {
  if (!s) return undefined;
  if (!s.startsWith('$')) return s;
  return novaAttributePath(host, s.slice(1).split('.')) ?? undefined;
}

/** Nova's _process_filter. */
function processFilter(query: unknown, host: HostState): unknown {
  if (!truthy(query)) return true;
  let items: unknown[];
  if (Array.isArray(query)) items = query;
  else if (typeof query === 'string')
    items = [...query]; // Python indexes a string by character
  else if (isDict(query)) throw new QueryError('KeyError: 0');
  else throw new QueryError(`TypeError: '${typeof query}' object is not subscriptable`);
  const cmd = items[0];
  const method = typeof cmd === 'string' && Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!method) throw new QueryError(`KeyError: ${JSON.stringify(cmd)}`);
  const cooked: unknown[] = [];
  for (const arg of items.slice(1)) {
    let value = arg;
    if (Array.isArray(arg)) value = processFilter(arg, host);
    else if (typeof arg === 'string') value = parseString(arg, host);
    if (value !== undefined && value !== null) cooked.push(value);
  }
  return method(cooked);
}

/** Evaluates a query (the hint's JSON text) on a host; throws where Nova raises. */
export function evaluateQuery(query: string, host: HostState): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(query);
  } catch (err) {
    throw new QueryError(`ValueError: ${(err as Error).message}`);
  }
  let result = processFilter(parsed, host);
  if (Array.isArray(result)) result = result.some(truthy);
  return truthy(result);
}

export function create(): Filter {
  return {
    name: NAME,
    hostPasses(host, spec) {
      const query = getSchedulerHint(spec, 'query');
      if (!truthy(query)) return undefined;
      // Nova's jsonutils.loads() takes only a string: several query hints (a list) raise.
      if (typeof query !== 'string') return REASON_INVALID_QUERY;
      try {
        return evaluateQuery(query, host) ? undefined : REASON_QUERY_FAILED;
      } catch (err) {
        if (err instanceof QueryError) return REASON_INVALID_QUERY;
        throw err;
      }
    },
  };
}
