// Request validation with ajv, as nova/api/validation does with jsonschema: a body or query schema
// per microversion range, and Nova's 400 messages ("Invalid input for field/attribute <field>.
// Value: <value>. <reason>"), with values and reasons written as Python's jsonschema writes them,
// because clients and tests match on them.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';
import type { APIVersionRequest } from './microversion.ts';

export type Schema = Record<string, unknown>;

export const ajv = new Ajv({ allErrors: false, strict: false });

// Nova's named formats (nova/api/validation/validators.py), each with its own message.
const PRINTABLE_NO_EDGE_SPACE = /^(?![\s\u00a0])[\P{C}]*(?<![\s\u00a0])$/u;
const PRINTABLE = /^[\P{C}]*$/u;
const FORMAT_REASONS: Record<string, string> = {
  name: 'printable characters. Can not start or end with whitespace.',
  name_with_leading_trailing_spaces: 'printable characters with at least one non space character',
  az_name: 'printable characters except :.Can not start or end with whitespace.',
  az_name_with_leading_trailing_spaces:
    'printable characters except :, with at least one non space character',
};
ajv.addFormat('name', (s: string) => PRINTABLE_NO_EDGE_SPACE.test(s));
ajv.addFormat('name_with_leading_trailing_spaces', (s: string) => PRINTABLE.test(s) && s.trim().length > 0);
ajv.addFormat('az_name', (s: string) => PRINTABLE_NO_EDGE_SPACE.test(s) && !s.includes(':'));
ajv.addFormat(
  'az_name_with_leading_trailing_spaces',
  (s: string) => PRINTABLE.test(s) && s.trim().length > 0 && !s.includes(':'),
);
ajv.addFormat('keypair_name_20', (s: string) => /^[a-zA-Z0-9_\- ]*$/.test(s));
ajv.addFormat('keypair_name_292', (s: string) => /^[a-zA-Z0-9@._\- ]*$/.test(s));
ajv.addFormat('uuid', (s: string) => /^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$/.test(s));

// Nova compares numeric strings with minimum/maximum too (validators.py _validate_minimum):
// `stringMinimum` / `stringMaximum` do that for string instances (ajv's own apply to numbers).
const numberOf = (s: string): number | undefined => {
  const n = Number(s);
  return s.trim() !== '' && Number.isFinite(n) ? n : undefined;
};
for (const [keyword, ok] of [
  ['stringMinimum', (n: number, limit: number) => n >= limit],
  ['stringMaximum', (n: number, limit: number) => n <= limit],
  ['stringExclusiveMinimum', (n: number, limit: number) => n > limit],
] as const) {
  ajv.addKeyword({
    keyword,
    type: 'string',
    schemaType: 'number',
    errors: true,
    validate: function check(limit: number, data: string) {
      const n = numberOf(data);
      const valid = n === undefined || ok(n, limit);
      if (!valid) {
        (check as unknown as { errors: Partial<ErrorObject>[] }).errors = [
          { keyword, params: { limit, number: n } },
        ];
      }
      return valid;
    },
  });
}

/** Nova's integer parameters (volume_size, flavor_param_*): an integer or a string of digits, in range. */
export function intParam(min: number, max = 0x7fffffff, pattern = '^[0-9]+$'): Schema {
  return {
    type: ['integer', 'string'],
    pattern,
    minimum: min,
    maximum: max,
    stringMinimum: min,
    stringMaximum: max,
  };
}

/** Nova's parameter_types.boolean. */
export const BOOLEAN: Schema = {
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
};

/** Nova's parameter_types.fqdn (a host name; underscores allowed). */
export const FQDN: Schema = { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-._]*$' };

/** oslo's strutils.bool_from_string for values that passed BOOLEAN. */
export const toBool = (v: unknown): boolean =>
  v === true || (typeof v === 'string' && ['true', '1', 'on', 'yes'].includes(v.toLowerCase()));

/** Python's repr of a JSON value, as jsonschema puts it in messages. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v as object)
    .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
    .join(', ')}}`;
}

/** Python's str() of a value (Nova formats "Value: %s"): strings raw, everything else as repr. */
export const pyStr = (v: unknown): string => (typeof v === 'string' ? v : pyRepr(v));

const TYPE_NAMES: Record<string, string> = { integer: 'integer', number: 'number', boolean: 'boolean' };

function reason(e: ErrorObject, value: unknown): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${pyRepr(p.missingProperty)} is a required property`;
    case 'additionalProperties':
      return `Additional properties are not allowed (${pyRepr(p.additionalProperty)} was unexpected)`;
    case 'type': {
      const t = String(p.type).split(',');
      const names = t.map((x) => `'${TYPE_NAMES[x] ?? x}'`);
      return `${pyRepr(value)} is not of type ${names.join(', ')}`;
    }
    case 'minLength':
      return p.limit === 1 && value === ''
        ? `${pyRepr(value)} should be non-empty`
        : `${pyRepr(value)} is too short`;
    case 'maxLength':
      return `${pyRepr(value)} is too long`;
    case 'minItems':
      return p.limit === 1 ? `${pyRepr(value)} should be non-empty` : `${pyRepr(value)} is too short`;
    case 'maxItems':
      return `${pyRepr(value)} is too long`;
    case 'pattern':
      return `${pyRepr(value)} does not match ${pyRepr(p.pattern)}`;
    case 'enum':
      return `${pyRepr(value)} is not one of ${pyRepr(p.allowedValues)}`;
    case 'stringMinimum':
      return `${String(p.number)} is less than the minimum of ${String(p.limit)}`;
    case 'stringMaximum':
      return `${String(p.number)} is greater than the maximum of ${String(p.limit)}`;
    case 'stringExclusiveMinimum':
    case 'exclusiveMinimum':
      return `${String(p.number ?? value)} is less than or equal to the minimum of ${String(p.limit)}`;
    case 'minimum':
      return `${pyRepr(value)} is less than the minimum of ${String(p.limit)}`;
    case 'maximum':
      return `${pyRepr(value)} is greater than the maximum of ${String(p.limit)}`;
    case 'minProperties':
      return p.limit === 1
        ? `${pyRepr(value)} should be non-empty`
        : `${pyRepr(value)} does not have enough properties`;
    case 'maxProperties':
      return `${pyRepr(value)} has too many properties`;
    case 'oneOf':
    case 'anyOf':
      return `${pyRepr(value)} is not valid under any of the given schemas`;
    case 'format':
      return `${pyRepr(value)} is not a ${pyRepr(p.format)}`;
    default:
      return e.message ?? 'is invalid';
  }
}

const compiled = new WeakMap<Schema, ValidateFunction>();
function compile(schema: Schema): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    compiled.set(schema, v);
  }
  return v;
}

/** The first error of value against schema as Nova words it, or undefined when valid. */
export function validationError(
  schema: Schema,
  value: unknown,
  where: 'body' | 'query' = 'body',
): string | undefined {
  const validate = compile(schema);
  if (validate(value)) return undefined;
  const e = validate.errors![0]!;
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let instance: unknown = value;
  for (const seg of path) instance = (instance as Record<string, unknown>)?.[seg];
  if (e.keyword === 'format' && typeof e.params.format === 'string' && e.params.format in FORMAT_REASONS) {
    return `An invalid 'name' value was provided. The name must be: ${FORMAT_REASONS[e.params.format]}`;
  }
  if (e.keyword === 'format' && String(e.params.format).startsWith('keypair_name')) {
    const chars = e.params.format === 'keypair_name_292' ? '@._- ' : '_- ';
    return `An invalid 'name' value was provided. Only expected characters: [${chars}0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ]`;
  }
  const message = reason(e, instance);
  if (path.length === 0) return message;
  if (where === 'query') {
    return `Invalid input for query parameters ${path[0]}. Value: ${pyStr(instance)}. ${message}`;
  }
  return `Invalid input for field/attribute ${path.at(-1)}. Value: ${pyStr(instance)}. ${message}`;
}

/** A schema that applies from min to max microversion (inclusive; undefined: unbounded). */
export interface Versioned {
  schema: Schema;
  min?: string;
  max?: string;
}

function pick(version: APIVersionRequest | null, schemas: Schema | Versioned[]): Schema | undefined {
  if (!Array.isArray(schemas)) return schemas;
  return schemas.find((s) => version === null || version.matches(s.min, s.max))?.schema;
}

/** Validates the request body (Nova's @validation.schema); throws Nova's 400. */
export function validateBody<T>(request: FastifyRequest, schemas: Schema | Versioned[]): T {
  const schema = pick(request.microversion, schemas);
  const body = request.body;
  if (schema) {
    const error = validationError(schema, body ?? null, 'body');
    if (error) throw new ApiError(400, error);
  }
  return body as T;
}

/** The query as Nova's validators see it: every parameter a list of strings. */
export function queryLists(request: FastifyRequest): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
    out[k] = (Array.isArray(v) ? v : [v]).map(String);
  }
  return out;
}

/** Validates the query (Nova's @validation.query_schema); returns the last value of each parameter. */
export function validateQuery(
  request: FastifyRequest,
  schemas: Schema | Versioned[],
): Record<string, string> {
  const lists = queryLists(request);
  const schema = pick(request.microversion, schemas);
  if (schema) {
    const error = validationError(schema, lists, 'query');
    if (error) throw new ApiError(400, error);
  }
  return Object.fromEntries(Object.entries(lists).map(([k, v]) => [k, v.at(-1)!]));
}

/** A query schema whose every named parameter is an array of strings matching item. */
export function querySchema(params: Record<string, Schema>, additional = true): Schema {
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(params).map(([k, s]) => [k, { type: 'array', items: s }])),
    additionalProperties: additional,
  };
}
