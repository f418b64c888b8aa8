// JSON Schema validation as Nova's nova/api/validation does it: Draft 4 style schemas checked
// with Nova's formats (name, uuid, base64, date-time, regex, ipv4/6), and errors reported in Nova's
// words: "Invalid input for field/attribute <last path element>. Value: <python repr>. <message>"
// for bodies and "Invalid input for query parameters <name>. ..." for queries, as 400s.
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { ApiError } from '../errors.ts';

/** parameter_types.valid_name_regex's reason (exception.InvalidName). */
const INVALID_NAME =
  "An invalid 'name' value was provided. The name must be: printable characters. Can not start or end with whitespace.";

/** Printable: not a control character, not a separator other than the plain space. */
const NAME_RE = /^(?![\p{C}\p{Z}])[^\p{C}\p{Zl}\p{Zp}]*(?<![\p{C}\p{Z}])$/u;

/** oslo uuidutils.is_uuid_like: 32 hex digits, dashes anywhere ignored in the comparison. */
function isUuidLike(v: string): boolean {
  const hex = v.toLowerCase().replace(/-/g, '');
  return (
    /^[0-9a-f]{32}$/.test(hex) &&
    /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(v)
  );
}

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

/** Raised by the name format, carrying Nova's InvalidName message instead of the schema one. */
class InvalidName extends Error {}

export const ajv = new Ajv({ allErrors: false, strict: false, unicodeRegExp: true });
ajv.addFormat('name', {
  type: 'string',
  validate: (v: string) => {
    if (NAME_RE.test(v)) return true;
    throw new InvalidName(INVALID_NAME);
  },
});
ajv.addFormat('uuid', { type: 'string', validate: isUuidLike });
ajv.addFormat('base64', { type: 'string', validate: isBase64 });
ajv.addFormat('date-time', { type: 'string', validate: (v: string) => parseIsoTime(v) !== undefined });
ajv.addFormat('regex', { type: 'string', validate: isRegex });
ajv.addFormat('ipv4', { type: 'string', validate: isIPv4 });
ajv.addFormat('ipv6', { type: 'string', validate: isIPv6 });
ajv.addFormat('cidr', { type: 'string', validate: () => true });

/** Python's repr of a JSON value, as Nova's messages print it. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string')
    return v.includes("'") && !v.includes('"') ? `"${v}"` : `'${v.replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v as object)
    .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
    .join(', ')}}`;
}

function typeMessage(value: unknown, types: string | string[]): string {
  const list = Array.isArray(types) ? types : [types];
  return `${pyRepr(value)} is not of type ${list.map((t) => `'${t}'`).join(', ')}`;
}

/** jsonschema's message for one failed keyword. */
function message(err: ErrorObject, value: unknown): string {
  const p = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return `'${String(p.missingProperty)}' is a required property`;
    case 'additionalProperties':
      return `Additional properties are not allowed ('${String(p.additionalProperty)}' was unexpected)`;
    case 'type':
      return typeMessage(value, p.type as string);
    case 'enum':
      return `${pyRepr(value)} is not one of ${pyRepr(p.allowedValues)}`;
    case 'format':
      return `${pyRepr(value)} is not a '${String(p.format)}'`;
    case 'pattern':
      return `${pyRepr(value)} does not match '${String(p.pattern)}'`;
    case 'minLength':
      return `${pyRepr(value)} is too short`;
    case 'maxLength':
      return `${pyRepr(value)} is too long`;
    case 'minimum':
      return `${pyRepr(value)} is less than the minimum of ${String(p.limit)}`;
    case 'maximum':
      return `${pyRepr(value)} is greater than the maximum of ${String(p.limit)}`;
    case 'minItems':
      return `${pyRepr(value)} is too short`;
    case 'maxItems':
      return `${pyRepr(value)} is too long`;
    case 'uniqueItems':
      return `${pyRepr(value)} has non-unique elements`;
    case 'minProperties':
      return `${pyRepr(value)} does not have enough properties`;
    case 'maxProperties':
      return `${pyRepr(value)} has too many properties`;
    case 'oneOf':
      return `${pyRepr(value)} is not valid under any of the given schemas`;
    default:
      return err.message ?? 'is invalid';
  }
}

function valueAt(root: unknown, pointer: string): unknown {
  let v = root;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    v = (v as Record<string, unknown> | undefined)?.[key];
  }
  return v;
}

function failure(err: ErrorObject, root: unknown, isBody: boolean): ApiError {
  const path = err.instancePath.split('/').slice(1);
  const value = valueAt(root, err.instancePath);
  const msg = message(err, value);
  if (path.length === 0) return new ApiError(400, msg);
  const name = isBody ? path.at(-1)! : path[0]!;
  const shown = typeof value === 'string' ? value : pyRepr(value);
  return new ApiError(
    400,
    isBody
      ? `Invalid input for field/attribute ${name}. Value: ${shown}. ${msg}`
      : `Invalid input for query parameters ${name}. Value: ${shown}. ${msg}`,
  );
}

/** A compiled validator that throws Nova's 400 for the first error found. */
export function validator(schema: object, isBody = true): (data: unknown) => void {
  const fn: ValidateFunction = ajv.compile(schema);
  return (data) => {
    let ok: boolean;
    try {
      ok = fn(data) as boolean;
    } catch (e) {
      if (e instanceof InvalidName) throw new ApiError(400, e.message);
      throw e;
    }
    if (!ok) throw failure(fn.errors![0]!, data, isBody);
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
  boolean: {
    type: ['boolean', 'string'],
    enum: [
      true,
      'True',
      'TRUE',
      'true',
      '1',
      'ON',
      'On',
      'on',
      'YES',
      'Yes',
      'yes',
      false,
      'False',
      'FALSE',
      'false',
      '0',
      'OFF',
      'Off',
      'off',
      'NO',
      'No',
      'no',
    ],
  },
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
