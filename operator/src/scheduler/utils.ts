// Helpers of the filters, after nova/scheduler/filters/utils.py (aggregate_values_from_key,
// aggregate_metadata_get_by_host, validate_num_values), and the few Python built-ins whose exact
// behaviour the filters depend on: str.split()/strip(), int(), float(), str() and repr(), string
// ordering by code point. Where Python raises (int('x'), float(''), [].pop(0)), these throw
// ValueError or IndexError, so a filter ported line by line fails where Nova's fails.
import type { HostState } from './framework.ts';

/** Python's ValueError: a value Nova would refuse (int('x'), float(''), a bad image property). */
export class ValueError extends Error {
  override name = 'ValueError';
}

/** Python's IndexError (e.g. `<or>` with nothing after it in an extra spec). */
export class IndexError extends Error {
  override name = 'IndexError';
}

// The characters for which Python's str.isspace() is true: str.split() and str.strip() use them.
const PY_SPACE =
  '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_SPACE_RUN = new RegExp(`[${PY_SPACE}]+`, 'u');
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'gu');

/** Python's str.split() without arguments: split on runs of whitespace, no empty words. */
export function pySplit(s: string): string[] {
  return s.split(PY_SPACE_RUN).filter((w) => w !== '');
}

/** Python's str.strip() without arguments. */
export function pyStrip(s: string): string {
  return s.replace(PY_STRIP, '');
}

const DIGITS = String.raw`\d(?:_?\d)*`;
const PY_INT = new RegExp(`^[+-]?${DIGITS}$`);
const PY_FLOAT = new RegExp(
  `^[+-]?(?:(?:${DIGITS}(?:\\.(?:${DIGITS})?)?|\\.${DIGITS})(?:[eE][+-]?${DIGITS})?|inf|infinity|nan)$`,
  'i',
);

/** Python's int(s) (base 10): surrounding whitespace, a sign and `_` between digits allowed. */
export function pyInt(s: string): number {
  const t = pyStrip(s);
  if (!PY_INT.test(t)) throw new ValueError(`invalid literal for int() with base 10: ${pyRepr(s)}`);
  return Number(t.replace(/_/g, ''));
}

/** Python's float(s): also 'inf', 'infinity', 'nan' in any case; not '' nor '0x10'. */
export function pyFloat(s: string): number {
  const t = pyStrip(s);
  if (!PY_FLOAT.test(t)) throw new ValueError(`could not convert string to float: ${pyRepr(s)}`);
  const body = t.replace(/^[+-]/, '').toLowerCase();
  const sign = t.startsWith('-') ? -1 : 1;
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan') return NaN;
  return Number(t.replace(/_/g, ''));
}

/** Python's ordering of str: by code point (JavaScript's < compares UTF-16 code units). */
export function pyCompare(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** Python's repr(float): shortest round-trip digits, '1.0', '1e-05', '1e+16', 'inf', 'nan'. */
export function pyFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const [mantissa, e] = Math.abs(n).toExponential().split('e') as [string, string];
  const exp = Number(e);
  const digits = mantissa.replace('.', '');
  const sign = n < 0 ? '-' : '';
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const int = digits.length > exp + 1 ? digits.slice(0, exp + 1) : digits.padEnd(exp + 1, '0');
  return `${sign}${int}.${digits.slice(exp + 1) || '0'}`;
}

/** A number as Python prints it: integral values as int, others as float. */
function pyNumber(n: number): string {
  return Number.isInteger(n) ? BigInt(n).toString() : pyFloatRepr(n);
}

function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    if (c === '\\' || c === quote) out += `\\${c}`;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (cp < 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp === 0xad)
      out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp > 0xff && /[\p{C}\p{Z}]/u.test(c))
      out +=
        cp > 0xffff ? `\\U${cp.toString(16).padStart(8, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return out + quote;
}

/** Python's repr() of a JSON-like value: "'a'", "['aes', 'mmx']", "{'cores': 1}", 'True', 'None'. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'string') return pyStrRepr(v);
  if (typeof v === 'number') return pyNumber(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    const items = Object.entries(v as Record<string, unknown>).map(
      ([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`,
    );
    return `{${items.join(', ')}}`;
  }
  return String(v);
}

/** Python's str(): a string is itself, anything else its repr. */
export function pyStr(v: unknown): string {
  return typeof v === 'string' ? v : pyRepr(v);
}

/** Python's json.dumps() defaults: ', ' and ': ' separators, non-ASCII escaped. */
export function pyJsonDumps(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string')
    return JSON.stringify(v).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  if (typeof v === 'number')
    return Number.isFinite(v) ? pyNumber(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(', ')}]`;
  if (typeof v === 'object') {
    const items = Object.entries(v as Record<string, unknown>).map(
      ([k, x]) => `${pyJsonDumps(k)}: ${pyJsonDumps(x)}`,
    );
    return `{${items.join(', ')}}`;
  }
  return JSON.stringify(String(v));
}

/** aggregate_values_from_key: the values of metadata key over the host's aggregates (unsplit). */
export function aggregateValuesFromKey(host: HostState, key: string): Set<string> {
  const values = new Set<string>();
  for (const aggr of host.aggregates) if (Object.hasOwn(aggr.metadata, key)) values.add(aggr.metadata[key]!);
  return values;
}

/**
 * aggregate_metadata_get_by_host: every metadata key of the host's aggregates with the union of
 * its values, each value split on ',' and stripped. With `key`, only the aggregates that have that
 * key contribute (all their keys).
 */
export function aggregateMetadataGetByHost(host: HostState, key?: string): Map<string, Set<string>> {
  const metadata = new Map<string, Set<string>>();
  for (const aggr of host.aggregates) {
    if (key !== undefined && !Object.hasOwn(aggr.metadata, key)) continue;
    for (const [k, v] of Object.entries(aggr.metadata)) {
      let values = metadata.get(k);
      if (!values) metadata.set(k, (values = new Set()));
      for (const x of v.split(',')) values.add(pyStrip(x));
    }
  }
  return metadata;
}

/**
 * validate_num_values: `dflt` when there are no values, else the min (or max) of the values cast
 * with castTo (Python's int by default). Like Nova's, it throws ValueError when any value does not
 * cast; the aggregate filters catch that and use their option instead.
 */
export function validateNumValues<D>(
  vals: Iterable<string>,
  dflt: D,
  castTo: (v: string) => number = pyInt,
  basedOn: 'min' | 'max' = 'min',
): number | D {
  const nums = [...vals].map(castTo);
  if (!nums.length) return dflt;
  // Python's min()/max(): the first value unless a later one is strictly smaller (larger).
  return nums.reduce((best, n) => ((basedOn === 'min' ? n < best : n > best) ? n : best));
}
