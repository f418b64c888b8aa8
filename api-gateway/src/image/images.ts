// Glance v2 under /image, from Image objects. Here the reads: version discovery, image list (with
// Glance's filters, sorting and marker/limit pagination) and show, and the schemas clients fetch;
// writes and image data in writes.ts (store.ts), members in members.ts.
// An image's Glance id is its metadata.uid. Visibility as Glance shows it: admins see every image;
// others see public and community images and their project's private and shared ones.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Image } from '../../../operator/src/api/v1alpha1/image.ts';
import { CONTAINER_FORMATS, DISK_FORMATS, IMAGE_STATUSES } from '../../../operator/src/api/v1alpha1/image.ts';
import { IMAGES } from '../../../operator/src/controllers/server.ts';
import { baseUrl } from '../app.ts';
import { type GatewayContext, IMAGE_PREFIX, type Principal, principalOf } from '../context.ts';
import { GlanceError } from './errors.ts';
import { registerImageMembers } from './members.ts';
import { registerImageWrites } from './writes.ts';

export { GlanceError };

const V2 = `${IMAGE_PREFIX}/v2`;

function glanceVersions(request: FastifyRequest) {
  const href = `${baseUrl(request)}${IMAGE_PREFIX}/v2/`;
  const ids = ['v2.16', 'v2.15', 'v2.9', 'v2.7', 'v2.6', 'v2.5', 'v2.4', 'v2.3', 'v2.2', 'v2.1', 'v2.0'];
  return {
    versions: ids.map((id, i) => ({
      id,
      status: i === 0 ? 'CURRENT' : 'SUPPORTED',
      links: [{ rel: 'self', href }],
    })),
  };
}

export const glanceTime = (iso: string | undefined): string | null =>
  iso ? new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z') : null;

export function imageView(img: Image) {
  const id = img.metadata.uid!;
  const s = img.spec;
  const st = img.status ?? {};
  const created = glanceTime(img.metadata.creationTimestamp);
  return {
    ...(s.properties ?? {}),
    id,
    name: s.name || null,
    status: st.phase ?? 'queued',
    visibility: s.visibility,
    protected: s.protected,
    os_hidden: false,
    checksum: st.checksum ?? null,
    os_hash_algo: st.osHashAlgo ?? null,
    os_hash_value: st.osHashValue ?? null,
    owner: s.owner ?? null,
    size: st.size ?? null,
    virtual_size: st.virtualSize ?? null,
    min_ram: s.minRam,
    min_disk: s.minDisk,
    disk_format: s.diskFormat,
    container_format: s.containerFormat,
    created_at: created,
    updated_at: created,
    tags: s.tags ?? [],
    self: `/v2/images/${id}`,
    file: `/v2/images/${id}/file`,
    schema: '/v2/schemas/image',
  };
}

/**
 * Whether the image belongs to the principal's project: its owner is the project id (images made
 * through Glance) or the project's namespace (snapshots the compute manager makes, which knows the
 * server's namespace, not the Keystone project id).
 */
export function ownedBy(img: Image, p: Principal): boolean {
  return img.spec.owner !== undefined && (img.spec.owner === p.projectId || img.spec.owner === p.namespace);
}

/** The principal's project's membership status on a shared image, if it is a member. */
export function memberStatus(img: Image, p: Principal): 'pending' | 'accepted' | 'rejected' | undefined {
  return img.spec.visibility === 'shared' ? img.spec.members?.[p.projectId] : undefined;
}

/**
 * Whether the principal sees the image in lists (community images only when asked for; shared
 * images of other projects once their membership is accepted, or with that member_status).
 */
export function listedFor(img: Image, p: Principal, member: string = 'accepted'): boolean {
  if (p.isAdmin) return true;
  const v = img.spec.visibility;
  if (v === 'public' || ((v === 'private' || v === 'shared') && ownedBy(img, p))) return true;
  const status = memberStatus(img, p);
  return status !== undefined && (member === 'all' || status === member);
}

/** Whether the principal may read the image by id (a member of a shared image, whatever its status). */
export function readableBy(img: Image, p: Principal): boolean {
  return listedFor(img, p, 'all') || img.spec.visibility === 'community';
}

const SORT_KEYS: Record<string, (i: Image) => string | number> = {
  name: (i) => i.spec.name,
  status: (i) => i.status?.phase ?? '',
  container_format: (i) => i.spec.containerFormat,
  disk_format: (i) => i.spec.diskFormat,
  size: (i) => i.status?.size ?? 0,
  id: (i) => i.metadata.uid ?? '',
  created_at: (i) => i.metadata.creationTimestamp ?? '',
  updated_at: (i) => i.metadata.creationTimestamp ?? '',
  visibility: (i) => i.spec.visibility,
  owner: (i) => i.spec.owner ?? '',
  min_disk: (i) => i.spec.minDisk,
  min_ram: (i) => i.spec.minRam,
};

/** Glance's sort: `sort=key:dir,...` or `sort_key`/`sort_dir` (default created_at desc). */
function sortSpec(q: Record<string, string | string[] | undefined>): [string, number][] {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
  const fail = (m: string) => new GlanceError(400, m);
  let keys: [string, string][];
  if (q.sort !== undefined) {
    keys = one(q.sort)
      .flatMap((s) => s.split(','))
      .map((s) => {
        const [k, d = 'desc'] = s.trim().split(':');
        return [k!, d];
      });
  } else {
    const ks = one(q.sort_key);
    const ds = one(q.sort_dir);
    keys = (ks.length ? ks : ['created_at']).map((k, i) => [k, ds[i] ?? ds[0] ?? 'desc']);
  }
  return keys.map(([k, d]) => {
    if (!(k in SORT_KEYS))
      throw fail(
        `Invalid sort key: ${k}. It should be one of the following: ${Object.keys(SORT_KEYS).join(', ')}.`,
      );
    if (d !== 'asc' && d !== 'desc') throw fail(`Invalid sort direction: ${d}`);
    return [k, d === 'asc' ? 1 : -1];
  });
}

export function registerImages(app: FastifyInstance, ctx: GatewayContext): void {
  const versions = async (request: FastifyRequest, reply: FastifyReply) =>
    reply.code(300).send(glanceVersions(request));
  app.get(IMAGE_PREFIX, versions);
  app.get(IMAGE_PREFIX + '/', versions);
  app.get(IMAGE_PREFIX + '/versions', async (request) => glanceVersions(request));

  const cache = async (p: Principal, verb: 'get' | 'list') => {
    await ctx.authorize(p, verb, IMAGES, undefined, `get_images`);
    return ctx.caches.get<Image>(IMAGES);
  };

  app.get(`${V2}/images`, async (request) => {
    const p = principalOf(request);
    const q = request.query as Record<string, string | string[] | undefined>;
    const last = (k: string) => {
      const v = q[k];
      return Array.isArray(v) ? v.at(-1) : v;
    };
    const limitRaw = last('limit');
    let limit = 25;
    if (limitRaw !== undefined) {
      if (!/^\d+$/.test(limitRaw)) throw new GlanceError(400, 'limit param must be an integer');
      limit = Math.min(Number(limitRaw), 1000);
    }
    const visibility = last('visibility');
    if (
      visibility !== undefined &&
      !['public', 'private', 'shared', 'community', 'all'].includes(visibility)
    ) {
      throw new GlanceError(400, `Invalid visibility value: ${visibility}`);
    }
    const status = last('status');
    if (status !== undefined && !(IMAGE_STATUSES as readonly string[]).includes(status)) {
      throw new GlanceError(400, `Invalid status value: ${status}`);
    }
    const memberStatusFilter = last('member_status') ?? 'accepted';
    if (!['pending', 'accepted', 'rejected', 'all'].includes(memberStatusFilter)) {
      throw new GlanceError(400, `Invalid status value: ${memberStatusFilter}`);
    }
    const sort = sortSpec(q);
    const filters: [string, (i: Image) => boolean][] = [
      ['name', (i) => i.spec.name === last('name')],
      ['owner', (i) => i.spec.owner === last('owner')],
      ['status', (i) => (i.status?.phase ?? 'queued') === status],
      ['disk_format', (i) => i.spec.diskFormat === last('disk_format')],
      ['container_format', (i) => i.spec.containerFormat === last('container_format')],
      ['tag', (i) => (i.spec.tags ?? []).includes(last('tag')!)],
    ];
    const all = (await cache(p, 'list'))
      .list()
      .filter((i) =>
        visibility === undefined
          ? listedFor(i, p, memberStatusFilter)
          : visibility === 'all'
            ? readableBy(i, p)
            : i.spec.visibility === visibility &&
              (visibility === 'shared' ? listedFor(i, p, memberStatusFilter) : readableBy(i, p)),
      )
      .filter((i) => filters.every(([k, f]) => q[k] === undefined || f(i)))
      .sort((a, b) => {
        for (const [k, dir] of sort) {
          const x = SORT_KEYS[k]!(a);
          const y = SORT_KEYS[k]!(b);
          if (x !== y) return x < y ? -dir : dir;
        }
        return (a.metadata.uid ?? '') < (b.metadata.uid ?? '') ? 1 : -1;
      });
    let start = 0;
    const marker = last('marker');
    if (marker !== undefined) {
      const i = all.findIndex((x) => x.metadata.uid === marker);
      if (i < 0) throw new GlanceError(400, `marker not found`);
      start = i + 1;
    }
    const page = all.slice(start, start + limit);
    const body: Record<string, unknown> = {
      images: page.map(imageView),
      first: `/v2/images${request.url.includes('?') ? '?' + request.url.split('?')[1]!.replace(/(^|&)marker=[^&]*/g, '') : ''}`,
      schema: '/v2/schemas/images',
    };
    if (page.length === limit && start + limit < all.length) {
      const params = new URLSearchParams(request.url.split('?')[1] ?? '');
      params.set('marker', page.at(-1)!.metadata.uid!);
      body.next = `/v2/images?${params.toString()}`;
    }
    return body;
  });

  app.get<{ Params: { id: string } }>(`${V2}/images/:id`, async (request) => {
    const p = principalOf(request);
    const img = (await cache(p, 'get')).list().find((i) => i.metadata.uid === request.params.id);
    if (!img || !readableBy(img, p))
      throw new GlanceError(404, `No image found with ID ${request.params.id}`);
    return imageView(img);
  });

  registerImageWrites(app, ctx);
  registerImageMembers(app, ctx);

  app.get(`${V2}/schemas/image`, async () => imageSchema());
  app.get(`${V2}/schemas/images`, async () => ({
    name: 'images',
    properties: {
      images: { type: 'array', items: imageSchema() },
      schema: { type: 'string' },
      first: { type: 'string' },
      next: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  }));
}

/** Glance's image schema, for the fields Kova keeps (glance/api/v2/images.py get_base_properties). */
export function imageSchema() {
  const nullableString = (description: string, maxLength = 255) => ({
    type: ['null', 'string'],
    maxLength,
    description,
  });
  return {
    name: 'image',
    properties: {
      id: {
        type: 'string',
        pattern: '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$',
        description: 'An identifier for the image',
        readOnly: true,
      },
      name: nullableString('Descriptive name for the image'),
      status: {
        type: 'string',
        enum: [...IMAGE_STATUSES],
        readOnly: true,
        description: 'Status of the image',
      },
      visibility: {
        type: 'string',
        enum: ['community', 'public', 'private', 'shared'],
        description: 'Scope of image accessibility',
      },
      protected: { type: 'boolean', description: 'If true, image will not be deletable.' },
      os_hidden: {
        type: 'boolean',
        description: 'If true, image will not appear in default image list response.',
      },
      checksum: { ...nullableString('md5 hash of image contents.', 32), readOnly: true },
      os_hash_algo: { ...nullableString('Algorithm to calculate the os_hash_value', 64), readOnly: true },
      os_hash_value: { ...nullableString('Hexdigest of the image contents', 128), readOnly: true },
      owner: nullableString('Owner of the image'),
      size: { type: ['null', 'integer'], readOnly: true, description: 'Size of image file in bytes' },
      virtual_size: {
        type: ['null', 'integer'],
        readOnly: true,
        description: 'Virtual size of image in bytes',
      },
      container_format: {
        type: ['null', 'string'],
        enum: [null, ...CONTAINER_FORMATS],
        description: 'Format of the container',
      },
      disk_format: {
        type: ['null', 'string'],
        enum: [null, ...DISK_FORMATS],
        description: 'Format of the disk',
      },
      created_at: { type: 'string', readOnly: true, description: 'Date and time of image registration' },
      updated_at: {
        type: 'string',
        readOnly: true,
        description: 'Date and time of the last image modification',
      },
      tags: {
        type: 'array',
        items: { type: 'string', maxLength: 255 },
        description: 'List of strings related to the image',
      },
      min_ram: { type: 'integer', description: 'Amount of ram (in MB) required to boot image.' },
      min_disk: { type: 'integer', description: 'Amount of disk space (in GB) required to boot image.' },
      self: { type: 'string', readOnly: true, description: 'An image self url' },
      file: { type: 'string', readOnly: true, description: 'An image file url' },
      schema: { type: 'string', readOnly: true, description: 'An image schema url' },
    },
    additionalProperties: { type: 'string' },
    links: [
      { rel: 'self', href: '{self}' },
      { rel: 'enclosure', href: '{file}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  };
}
