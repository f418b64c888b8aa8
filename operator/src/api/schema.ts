// Schema helpers for Kubernetes structural schemas, on top of TypeBox.
//
// TypeBox gives us the OpenAPI v3 schema and the static TypeScript type from one definition.
// Kubernetes' structural schemas forbid some JSON-schema constructs TypeBox would emit for
// records and unions (patternProperties, anyOf at arbitrary places), so maps and
// int-or-string values are spelled here with `Type.Unsafe`, which keeps the static type
// while emitting exactly the schema Kubernetes accepts.
import { Type, type Static, type TSchema, type TUnsafe } from 'typebox';

/** Nova's MAX_INT (nova/db/constants.py): the upper bound of its integer columns. */
export const MAX_INT = 2147483647;

export interface CelRule {
  rule: string;
  message: string;
  /** JSONPath of the field the error is reported at, relative to where the rule sits. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

/** `x-kubernetes-validations` for a schema's options. */
export function cel(...rules: CelRule[]): { 'x-kubernetes-validations': CelRule[] } {
  return { 'x-kubernetes-validations': rules };
}

/** A CEL transition rule, placed on a field, making it immutable once set. */
export function immutable(field: string): CelRule {
  return { rule: 'self == oldSelf', message: `${field} is immutable` };
}

/**
 * CEL transition rules, placed on an object, making some of its fields immutable. Unlike a rule
 * on the field itself, these also refuse adding or removing an optional field after creation.
 */
export function immutableFields(fields: string[], hint = ''): CelRule[] {
  return fields.map((f) => ({
    rule: `has(self.${f}) == has(oldSelf.${f}) && (!has(self.${f}) || self.${f} == oldSelf.${f})`,
    message: `${f} is immutable${hint}`,
  }));
}

/** A map of string keys to values of one schema (Kubernetes' `additionalProperties`). */
export function map<T extends TSchema>(
  value: T,
  options: Record<string, unknown> = {},
): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({ type: 'object', additionalProperties: value, ...options });
}

/** A list whose items are unique (Kubernetes list-type `set`, for scalar items). */
export function set<T extends TSchema>(item: T, options: Record<string, unknown> = {}) {
  return Type.Array(item, { 'x-kubernetes-list-type': 'set', ...options });
}

/** An object Kubernetes keeps as is (no pruning); used for opaque Nova payloads such as scheduler hints. */
export function freeform(options: Record<string, unknown> = {}): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    ...options,
  });
}

/** Nova's `name` parameter type: 1-255 printable characters, no leading or trailing whitespace. */
export function novaName(description: string) {
  return Type.String({
    minLength: 1,
    maxLength: 255,
    // Printable characters, not starting or ending with whitespace (parameter_types.py `name`).
    pattern: '^[^\\s\\x00-\\x1f\\x7f](.*[^\\s\\x00-\\x1f\\x7f])?$',
    description,
  });
}

/** Nova's metadata: keys `[a-zA-Z0-9-_:. ]{1,255}`, string values of at most 255 characters. */
export function novaMetadata(description: string) {
  return map(Type.String({ maxLength: 255 }), {
    description,
    ...cel({
      rule: "self.all(k, k.size() <= 255 && k.matches('^[a-zA-Z0-9-_:. ]+$'))",
      message: 'metadata keys must be 1-255 characters of letters, digits and - _ : . or space',
    }),
  });
}

/** A string restricted to the given values (TypeBox's literal unions emit `anyOf`/`const`, which Kubernetes refuses). */
export function stringEnum<const V extends readonly string[]>(
  values: V,
  options: Record<string, unknown> = {},
): TUnsafe<V[number]> {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });
}

/**
 * A number greater than `min`. OpenAPI v3.0 (which Kubernetes reads) spells this
 * `minimum` + boolean `exclusiveMinimum`; TypeBox would emit the numeric draft-2019 form.
 */
export function numberAbove(min: number, options: Record<string, unknown> = {}): TUnsafe<number> {
  return Type.Unsafe<number>({ type: 'number', minimum: min, exclusiveMinimum: true, ...options });
}

/** A Kubernetes condition (metav1.Condition). */
export const Condition = Type.Object({
  type: Type.String({ maxLength: 316, description: 'Type of the condition, in CamelCase.' }),
  status: stringEnum(['True', 'False', 'Unknown'] as const, { description: 'True, False or Unknown.' }),
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  lastTransitionTime: Type.String({ format: 'date-time' }),
  reason: Type.String({ maxLength: 1024, description: 'Machine-readable reason, in CamelCase.' }),
  message: Type.String({ maxLength: 32768, description: 'Human-readable message.' }),
});

export function conditions() {
  return Type.Array(Condition, {
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
    description: 'Standard Kubernetes conditions.',
  });
}
