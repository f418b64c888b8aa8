// What every compute route shares (nova/api/openstack/common.py): resource links, pagination
// (limit/marker, the "next" collection link) and the compute base URL.
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { baseUrl } from '../app.ts';
import { COMPUTE_PREFIX, urlProjectId } from '../context.ts';
import { ApiError } from '../errors.ts';

/** CONF.api.max_limit. */
export const MAX_LIMIT = 1000;

export interface Link {
  rel: string;
  href: string;
  type?: string;
}

/** The project id segment links carry when the request URL had one (ViewBuilder._get_project_id). */
const projectSegment = (request: FastifyRequest): string => {
  const id = urlProjectId(request);
  return id ? `/${id}` : '';
};

/** request.application_url (+ the URL's project id): the compute API root as the client sees it. */
export const computeUrl = (request: FastifyRequest): string =>
  baseUrl(request) + COMPUTE_PREFIX + projectSegment(request);

/** A resource's self and bookmark links (ViewBuilder._get_links). */
export function resourceLinks(request: FastifyRequest, id: string, collection: string): Link[] {
  const enc = encodeURIComponent(id);
  return [
    { rel: 'self', href: `${computeUrl(request)}/${collection}/${enc}` },
    { rel: 'bookmark', href: `${baseUrl(request)}${projectSegment(request)}/${collection}/${enc}` },
  ];
}

/** Whether raw is an integer as Python's int() reads one. */
export const isIntegerString = (raw: string): boolean => /^\s*[+-]?\d+\s*$/.test(raw);

/** utils.validate_integer: the integer, or Nova's 400 "Invalid input received: <name> must be an integer". */
export function validateInteger(raw: string, name: string): number {
  if (!isIntegerString(raw)) throw new ApiError(400, `Invalid input received: ${name} must be an integer`);
  return Number(raw);
}

function intParam(raw: string, name: string): number {
  const n = validateInteger(raw, name);
  if (n < 0) throw new ApiError(400, `Invalid input received: ${name} must be >= 0`);
  return n;
}

/** common.get_limit_and_marker: limit capped at max_limit (0 or absent: max_limit). */
export function limitAndMarker(query: Record<string, string | undefined>): {
  limit: number;
  marker?: string;
} {
  const limit = query.limit === undefined ? MAX_LIMIT : Math.min(MAX_LIMIT, intParam(query.limit, 'limit'));
  return { limit: limit || MAX_LIMIT, marker: query.marker };
}

/**
 * Pages items (already filtered and sorted) after the marker, whose id is idOf(item);
 * an unknown marker is Nova's 400 "marker [x] not found".
 */
export function paginate<T>(items: T[], idOf: (t: T) => string, limit: number, marker?: string): T[] {
  let start = 0;
  if (marker !== undefined) {
    const i = items.findIndex((t) => idOf(t) === marker);
    if (i < 0) throw new ApiError(400, `marker [${marker}] not found`);
    start = i + 1;
  }
  return items.slice(start, start + limit);
}

/** The `<collection>_links` "next" link when a page is full (ViewBuilder._get_collection_links). */
export function collectionLinks(request: FastifyRequest, page: { id: string }[], collection: string): Link[] {
  const q = request.query as Record<string, string | string[]>;
  const requested =
    q.limit === undefined ? MAX_LIMIT : Number(Array.isArray(q.limit) ? q.limit.at(-1) : q.limit);
  const max = Math.min(requested, MAX_LIMIT);
  if (!max || max !== page.length) return [];
  const params = new URLSearchParams();
  for (const key of Object.keys(q).sort()) {
    const v = q[key];
    params.append(key, String(Array.isArray(v) ? v.at(-1) : v));
  }
  params.set('marker', page.at(-1)!.id);
  return [{ rel: 'next', href: `${computeUrl(request)}/${collection}?${params.toString()}` }];
}

/** Nova's datetime in JSON (a naive datetime's isoformat): no zone, microseconds. */
export const novaTime = (iso: string | undefined): string | null =>
  iso ? new Date(iso).toISOString().replace(/\.(\d{3})Z$/, '.$1000') : null;

/** A stable integer id standing in for Nova's database id. */
export const numericId = (uid: string | undefined): number =>
  uid ? parseInt(createHash('sha256').update(uid).digest('hex').slice(0, 7), 16) : 0;

/** A name-based uuid (version 5 layout) of the parts: a stable id for what Kova has no object for. */
export function derivedUuid(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('/')).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
