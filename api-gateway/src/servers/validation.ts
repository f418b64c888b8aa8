// What the server schemas need on top of the shared validation (../validation.ts): Nova's formats
// base64, date-time, regex, ipv4/ipv6 (nova/api/validation/validators.py), the parameter types of
// parameter_types.py they use, and schemas picked by microversion range.
import { ApiError } from '../errors.ts';
import { BOOLEAN, ajv, type Schema, validationError } from '../validation.ts';

/** oslo timeutils.parse_isotime (iso8601): a date, optionally a time and a zone. */
const ISO_RE = /^\d{4}-?\d{2}-?\d{2}([T ]\d{2}(:?\d{2}(:?\d{2}([.,]\d+)?)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$/i;

export function parseIsoTime(v: string): Date | undefined {
  if (!ISO_RE.test(v.trim())) return undefined;
  let text = v.trim().replace(' ', 'T');
  if (!/(Z|[+-]\d{2}(:?\d{2})?)$/i.test(text) || /^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'Z';
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function isIPv4(v: string): boolean {
  const parts = v.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function isIPv6(v: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(v) || !v.includes(':')) return false;
  const dbl = v.split('::');
  if (dbl.length > 2) return false;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const all = [...groups(dbl[0]!), ...(dbl.length === 2 ? groups(dbl[1]!) : [])];
  const last = all.at(-1);
  const v4 = last !== undefined && last.includes('.');
  if (v4 && !isIPv4(last)) return false;
  const hexGroups = v4 ? all.slice(0, -1) : all;
  if (!hexGroups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const count = hexGroups.length + (v4 ? 2 : 0);
  return dbl.length === 2 ? count < 8 : count === 8;
}

function isBase64(v: string): boolean {
  // oslo base64.decode_as_bytes: binascii.a2b_base64 discards non-alphabet characters; it fails
  // on incorrect padding only.
  const data = v.replace(/[^A-Za-z0-9+/=]/g, '');
  const stripped = data.replace(/=+$/, '');
  if (stripped.includes('=')) return /^([A-Za-z0-9+/]{4})*[A-Za-z0-9+/]{2,3}==?/.test(data);
  return stripped.length % 4 !== 1 && (data.length % 4 === 0 || stripped.length === data.length);
}

function isRegex(v: string): boolean {
  if (!v) return false;
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
}

// The formats the server schemas use beyond the shared ones (name, uuid).
ajv.addFormat('base64', { type: 'string', validate: isBase64 });
ajv.addFormat('date-time', { type: 'string', validate: (v: string) => parseIsoTime(v) !== undefined });
ajv.addFormat('regex', { type: 'string', validate: isRegex });
ajv.addFormat('ipv4', { type: 'string', validate: isIPv4 });
ajv.addFormat('ipv6', { type: 'string', validate: isIPv6 });
ajv.addFormat('cidr', { type: 'string', validate: () => true });

/** A validator that throws Nova's 400 for the first error found (compiled once, on first use). */
export function validator(schema: Schema, where: 'body' | 'query' = 'body'): (data: unknown) => void {
  return (data) => {
    const error = validationError(schema, data ?? null, where);
    if (error) throw new ApiError(400, error);
  };
}

/** A schema picked by microversion range, like stacked @validation.schema decorators. */
export interface Versioned<T> {
  min: string;
  max?: string;
  value: T;
}

export function forVersion<T>(
  entries: readonly Versioned<T>[],
  version: { matches(min?: string, max?: string): boolean },
): T | undefined {
  return entries.find((e) => version.matches(e.min, e.max))?.value;
}

// parameter_types.py, the ones the server routes use.
export const types = {
  name: { type: 'string', minLength: 1, maxLength: 255, format: 'name' },
  boolean: BOOLEAN,
  positiveInteger: { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 1, minLength: 1 },
  nonNegativeInteger: { type: ['integer', 'string'], pattern: '^[0-9]*$', minimum: 0, minLength: 1 },
  hostname: {
    type: 'string',
    minLength: 2,
    maxLength: 63,
    pattern: '^[a-zA-Z0-9]+[a-zA-Z0-9-]*[a-zA-Z0-9]+$',
  },
  fqdn: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' },
  description: {
    type: ['string', 'null'],
    minLength: 0,
    maxLength: 255,
    pattern: '^[^\\p{Cc}\\p{Cf}\\p{Cs}\\p{Co}\\p{Cn}\\p{Zl}\\p{Zp}]*$',
  },
  uuid: { type: 'string', format: 'uuid' },
  metadata: {
    type: 'object',
    patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: 'string', maxLength: 255 } },
    additionalProperties: false,
  },
  ipAddress: { type: 'string', oneOf: [{ format: 'ipv4' }, { format: 'ipv6' }] },
  tag: { type: 'string', minLength: 1, maxLength: 60, pattern: '^[^,/]*$' },
} as const;

/** Nova's strutils.bool_from_string for the boolean parameter type. */
export function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  return ['true', '1', 'on', 'yes', 'y', 't'].includes(String(v).trim().toLowerCase());
}
