// Glance v2's image record rules, pure: which attributes a client may set on create, and the JSON
// patch of an update (media type application/openstack-images-v2.1-json-patch; glance/api/v2/
// images.py: RequestDeserializer and ImagesController._do_add/_do_replace/_do_remove). The
// editable record is Glance's view of an Image's spec (snake_case core attributes + properties).
import { CONTAINER_FORMATS, DISK_FORMATS, type Image } from '../../../operator/src/api/v1alpha1/image.ts';
import { GlanceError } from './errors.ts';

export const PATCH_MEDIA_TYPES = [
  'application/openstack-images-v2.1-json-patch',
  'application/openstack-images-v2.0-json-patch',
] as const;

/** Attributes Glance computes: a client setting one gets 403 "Attribute 'x' is read-only." */
export const READ_ONLY = [
  'id',
  'status',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'size',
  'virtual_size',
  'created_at',
  'updated_at',
  'self',
  'file',
  'schema',
  'direct_url',
  'locations',
] as const;
/** Attributes Glance reserves: 403 "Attribute 'x' is reserved." */
export const RESERVED = ['location', 'deleted', 'deleted_at'] as const;

const VISIBILITIES = ['public', 'private', 'shared', 'community'] as const;
type Visibility = (typeof VISIBILITIES)[number];

/** The client-editable part of an image, in Glance's names. */
export interface ImageRecord {
  name: string;
  visibility: Visibility;
  protected: boolean;
  min_ram: number;
  min_disk: number;
  disk_format: Image['spec']['diskFormat'];
  container_format: Image['spec']['containerFormat'];
  owner: string | undefined;
  tags: string[];
  properties: Record<string, string>;
}

const CORE = [
  'name',
  'visibility',
  'protected',
  'min_ram',
  'min_disk',
  'disk_format',
  'container_format',
  'owner',
  'tags',
] as const;
type Core = (typeof CORE)[number];
const isCore = (k: string): k is Core => (CORE as readonly string[]).includes(k);

export function recordOf(spec: Image['spec']): ImageRecord {
  return {
    name: spec.name,
    visibility: spec.visibility,
    protected: spec.protected,
    min_ram: spec.minRam,
    min_disk: spec.minDisk,
    disk_format: spec.diskFormat,
    container_format: spec.containerFormat,
    owner: spec.owner,
    tags: [...(spec.tags ?? [])],
    properties: { ...(spec.properties ?? {}) },
  };
}

/** The spec a record describes (source kept from the current spec). */
export function specOf(r: ImageRecord, current?: Image['spec']): Image['spec'] {
  return {
    name: r.name,
    diskFormat: r.disk_format,
    containerFormat: r.container_format,
    minDisk: r.min_disk,
    minRam: r.min_ram,
    visibility: r.visibility,
    ...(r.owner !== undefined ? { owner: r.owner } : {}),
    protected: r.protected,
    ...(r.tags.length ? { tags: r.tags } : {}),
    ...(Object.keys(r.properties).length ? { properties: r.properties } : {}),
    ...(current?.members ? { members: current.members } : {}),
    ...(current?.source ? { source: current.source } : {}),
  };
}

const schemaError = (why: string) =>
  new GlanceError(400, `Provided object does not match schema 'image': ${why}`);
const repr = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

/** Checks a core attribute's value against Glance's image schema; returns it typed. */
function coreValue(key: Core, value: unknown): ImageRecord[Core] {
  const enumOf = (allowed: readonly string[]) => {
    if (typeof value !== 'string' || !allowed.includes(value))
      throw schemaError(`${repr(value)} is not one of [${allowed.map((a) => `'${a}'`).join(', ')}]`);
    return value;
  };
  switch (key) {
    case 'name':
    case 'owner':
      if (value === null) return key === 'name' ? '' : undefined;
      if (typeof value !== 'string') throw schemaError(`${repr(value)} is not of type 'null', 'string'`);
      if (value.length > 255) throw schemaError(`${repr(value)} is too long`);
      return value;
    case 'visibility':
      return enumOf(VISIBILITIES) as Visibility;
    case 'disk_format':
      return enumOf(DISK_FORMATS) as ImageRecord['disk_format'];
    case 'container_format':
      return enumOf(CONTAINER_FORMATS) as ImageRecord['container_format'];
    case 'protected':
      if (typeof value !== 'boolean') throw schemaError(`${repr(value)} is not of type 'boolean'`);
      return value;
    case 'min_ram':
    case 'min_disk':
      if (typeof value !== 'number' || !Number.isInteger(value))
        throw schemaError(`${repr(value)} is not of type 'integer'`);
      if (value < 0) throw schemaError(`${value} is less than the minimum of 0`);
      return value;
    case 'tags': {
      if (!Array.isArray(value)) throw schemaError(`${repr(value)} is not of type 'array'`);
      for (const t of value) {
        if (typeof t !== 'string' || t.length === 0 || t.length > 255)
          throw schemaError(`${repr(t)} is not a valid tag`);
      }
      if (value.length > 128) throw new GlanceError(413, 'Maximum number of tags exceeded (128).');
      return [...new Set(value as string[])];
    }
  }
}

function propertyValue(key: string, value: unknown): string {
  if (typeof value !== 'string') throw schemaError(`${repr(value)} is not of type 'string'`);
  if (key.length > 255) throw schemaError(`${repr(key)} is too long`);
  return value;
}

function checkWritable(key: string): void {
  if ((READ_ONLY as readonly string[]).includes(key))
    throw new GlanceError(403, `Attribute '${key}' is read-only.`);
  if ((RESERVED as readonly string[]).includes(key))
    throw new GlanceError(403, `Attribute '${key}' is reserved.`);
}

/**
 * The record a create request (POST /v2/images) describes, with Glance's defaults. A
 * client-chosen `id` is refused: an image's id is its Image object's uid, which Kubernetes assigns.
 */
export function recordFromCreate(body: unknown, projectId: string): ImageRecord {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new GlanceError(400, 'Body expected in request.');
  const r: ImageRecord = {
    name: '',
    visibility: 'shared',
    protected: false,
    min_ram: 0,
    min_disk: 0,
    disk_format: 'qcow2',
    container_format: 'bare',
    owner: projectId,
    tags: [],
    properties: {},
  };
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k === 'id') {
      throw new GlanceError(
        400,
        "Kova assigns image ids (an image's id is its Image object's uid); 'id' cannot be given.",
      );
    }
    checkWritable(k);
    if (isCore(k)) (r as unknown as Record<string, unknown>)[k] = coreValue(k, v);
    else r.properties[k] = propertyValue(k, v);
  }
  return r;
}

export interface PatchOp {
  op: 'add' | 'replace' | 'remove';
  /** The attribute, decoded from the JSON pointer. */
  key: string;
  value?: unknown;
}

/** Parses a JSON patch document (a list of {op, path, value}) as Glance accepts it. */
export function parsePatch(body: unknown): PatchOp[] {
  if (!Array.isArray(body))
    throw new GlanceError(400, 'Request body must be a JSON array of operation objects.');
  return body.map((raw: unknown) => {
    if (raw === null || typeof raw !== 'object')
      throw new GlanceError(400, 'Operations must be JSON objects.');
    const o = raw as Record<string, unknown>;
    if (o.op !== 'add' && o.op !== 'replace' && o.op !== 'remove') {
      throw new GlanceError(
        400,
        `Invalid operation: \`${String(o.op)}\`. It must be one of the following: add, replace, remove.`,
      );
    }
    if (typeof o.path !== 'string') throw new GlanceError(400, "Unable to find 'path' in JSON Schema change");
    if (o.op !== 'remove' && !('value' in o))
      throw new GlanceError(400, "Unable to find 'value' in JSON Schema change");
    const m = /^\/([^/]+)$/.exec(o.path);
    if (!m) {
      if (/^\/[^/]+\//.test(o.path)) throw new GlanceError(400, 'Nested paths are not allowed');
      throw new GlanceError(400, `Invalid JSON pointer for this resource: '${o.path}'`);
    }
    const key = m[1]!.replace(/~1/g, '/').replace(/~0/g, '~');
    return { op: o.op, key, ...(o.op !== 'remove' ? { value: o.value } : {}) };
  });
}

export interface PatchContext {
  status: string;
  isAdmin: boolean;
}

/** Applies patch operations to a record (a copy is returned), with Glance's rules. */
export function applyPatch(record: ImageRecord, ops: PatchOp[], ctx: PatchContext): ImageRecord {
  const r: ImageRecord = { ...record, tags: [...record.tags], properties: { ...record.properties } };
  for (const { op, key, value } of ops) {
    checkWritable(key);
    if (isCore(key)) {
      if (op === 'remove') throw new GlanceError(403, `Property ${key} may not be removed.`);
      if ((key === 'disk_format' || key === 'container_format') && ctx.status !== 'queued') {
        throw new GlanceError(403, `Attribute ${key} can be only replaced for a queued image.`);
      }
      if (key === 'owner' && !ctx.isAdmin) {
        throw new GlanceError(403, "You are not permitted to modify 'owner' on this image.");
      }
      (r as unknown as Record<string, unknown>)[key] = coreValue(key, value);
      continue;
    }
    if (op === 'remove' || op === 'replace') {
      if (!(key in r.properties)) throw new GlanceError(409, `Property ${key} does not exist.`);
    }
    if (op === 'remove') delete r.properties[key];
    else r.properties[key] = propertyValue(key, value);
  }
  return r;
}
