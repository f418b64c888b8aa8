// os-simple-tenant-usage (nova/api/openstack/compute/simple_tenant_usage.py, views/usages.py):
// per project, the hours each server ran in a window and its flavor's vCPU, RAM and disk hours,
// computed from the Server objects (launchedAt, terminatedAt, the flavor copy in status).
//
// Nova counts deleted instances too (its table keeps them). A Kova Server is gone once deleted
// (soft-deleted ones stay until reclaimed and are counted, as Nova counts SOFT_DELETED ones), so
// the usage of a server deleted outright is not reported: Kova keeps no record of it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { SERVERS } from '../../../operator/src/controllers/server.ts';
import { COMPUTE_PREFIX, type GatewayContext, enforce, policyMessage, principalOf } from '../context.ts';
import { ApiError } from '../errors.ts';
import { APIVersionRequest } from '../microversion.ts';
import { type Schema, querySchema, queryLists, validateQuery } from '../validation.ts';
import { types } from '../servers/validation.ts';
import { serverId } from '../servers/view.ts';
import { MAX_LIMIT, collectionLinks, limitAndMarker, novaTime } from './common.ts';

const POLICY = (rule: string) => `os_compute_api:os-simple-tenant-usage:${rule}`;
type Json = Record<string, unknown>;

const PAGING = { limit: types.nonNegativeInteger, marker: { type: 'string' } };
const INDEX = { start: { type: 'string' }, end: { type: 'string' }, detailed: { type: 'string' } };
const SHOW = { start: { type: 'string' }, end: { type: 'string' } };
export const USAGE_QUERY: Record<'index' | 'show', { min?: string; max?: string; schema: Schema }[]> = {
  index: [
    { max: '2.39', schema: querySchema(INDEX) },
    { min: '2.40', max: '2.74', schema: querySchema({ ...INDEX, ...PAGING }) },
    { min: '2.75', schema: querySchema({ ...INDEX, ...PAGING }, false) },
  ],
  show: [
    { max: '2.39', schema: querySchema(SHOW) },
    { min: '2.40', max: '2.74', schema: querySchema({ ...SHOW, ...PAGING }) },
    { min: '2.75', schema: querySchema({ ...SHOW, ...PAGING }, false) },
  ],
};

// _parse_datetime's formats: "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f".
const STRTIME =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:T(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?| (\d{1,2}):(\d{1,2}):(\d{1,2})\.(\d{1,6}))$/;

/** SimpleTenantUsageController._parse_datetime: empty → now; a naive time is UTC. */
export function parseUsageTime(raw: string | undefined, now: number): number {
  if (!raw) return now;
  const m = STRTIME.exec(raw);
  if (m) {
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const clock = m[4] !== undefined ? m.slice(4, 8) : m.slice(8, 12);
    const [h, mi, s] = clock.slice(0, 3).map(Number) as [number, number, number];
    const back = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    // strptime refuses an impossible date (Feb 30, hour 24, ...).
    const exact =
      back.getUTCFullYear() === y &&
      back.getUTCMonth() === mo - 1 &&
      back.getUTCDate() === d &&
      back.getUTCHours() === h &&
      back.getUTCMinutes() === mi &&
      back.getUTCSeconds() === s;
    if (exact) return back.getTime() + Number((clock[3] ?? '').padEnd(6, '0')) / 1000;
  }
  throw new ApiError(400, 'Invalid datetime string: Datetime is in invalid format');
}

const ms = (iso: string | undefined): number | undefined => (iso ? Date.parse(iso) : undefined);

/** _hours_for: the hours of [start, stop] the server was launched and not terminated. */
export function hoursFor(s: Server, start: number, stop: number): number {
  const launched = ms(s.status?.launchedAt);
  const terminated = ms(s.status?.terminatedAt);
  if (terminated !== undefined && terminated < start) return 0;
  if (launched === undefined || launched > stop) return 0;
  const end = terminated !== undefined ? Math.min(stop, terminated) : stop;
  return (end - Math.max(launched, start)) / 3_600_000;
}

/** instance_get_active_by_window_joined: launched before the end, not terminated before the start. */
export function activeInWindow(s: Server, start: number, stop: number): boolean {
  const launched = ms(s.status?.launchedAt);
  const terminated = ms(s.status?.terminatedAt);
  return launched !== undefined && launched < stop && (terminated === undefined || terminated > start);
}

export interface UsageWindow {
  start: number;
  stop: number;
  now: number;
  detailed: boolean;
}

/**
 * _tenant_usages_for_period over the servers given (already in the window, sorted and paged):
 * one summary per project in order of first appearance, and every server's usage.
 */
export function tenantUsages(
  servers: readonly Server[],
  projectIdOf: (s: Server) => string,
  w: UsageWindow,
): { usages: Json[]; serverUsages: Json[] } {
  const summaries = new Map<string, Json & { server_usages?: Json[] }>();
  const serverUsages: Json[] = [];
  for (const s of servers) {
    const flavor = s.status?.flavor;
    const hours = hoursFor(s, w.start, w.stop);
    const tenant = projectIdOf(s);
    const started = s.status?.launchedAt;
    const ended = s.status?.terminatedAt;
    const info = {
      hours,
      flavor: flavor?.name ?? '',
      instance_id: serverId(s),
      name: s.spec.name,
      tenant_id: tenant,
      memory_mb: flavor?.ram ?? 0,
      local_gb: (flavor?.disk ?? 0) + (flavor?.ephemeral ?? 0),
      vcpus: flavor?.vcpus ?? 0,
      started_at: novaTime(started),
      ended_at: novaTime(ended),
      state: ended ? 'terminated' : (s.status?.vmState ?? 'building'),
      uptime: Math.trunc(((ended ? ms(ended)! : w.now) - (ms(started) ?? w.now)) / 1000),
    };
    let summary = summaries.get(tenant);
    if (!summary) {
      summary = {
        tenant_id: tenant,
        ...(w.detailed ? { server_usages: [] } : {}),
        total_local_gb_usage: 0,
        total_vcpus_usage: 0,
        total_memory_mb_usage: 0,
        total_hours: 0,
        start: novaTime(new Date(w.start).toISOString()),
        stop: novaTime(new Date(w.stop).toISOString()),
      };
      summaries.set(tenant, summary);
    }
    summary.total_local_gb_usage = (summary.total_local_gb_usage as number) + info.local_gb * hours;
    summary.total_vcpus_usage = (summary.total_vcpus_usage as number) + info.vcpus * hours;
    summary.total_memory_mb_usage = (summary.total_memory_mb_usage as number) + info.memory_mb * hours;
    summary.total_hours = (summary.total_hours as number) + hours;
    serverUsages.push(info);
    summary.server_usages?.push(info);
  }
  return { usages: [...summaries.values()], serverUsages };
}

type Req = FastifyRequest<{ Params: { tenantId: string } }>;

export function registerUsage(app: FastifyInstance, ctx: GatewayContext): void {
  const P = `${COMPUTE_PREFIX}/os-simple-tenant-usage`;
  const projectIdOf = (s: Server) =>
    ctx.identity.projectByName(s.metadata.namespace!)?.id ?? s.metadata.namespace!;

  /** _get_datetime_range (first value of each parameter), the end capped at now. */
  function window(request: FastifyRequest, detailedParam: boolean): UsageWindow {
    const q = queryLists(request);
    const now = ctx.clock.now();
    const start = parseUsageTime(q.start?.[0], now);
    let stop = parseUsageTime(q.end?.[0], now);
    // Nova reads its clock once per default: with neither given, the end is a little later.
    const bothNow = !q.start?.[0] && !q.end?.[0];
    if (!(start < stop) && !bothNow) {
      throw new ApiError(400, 'Invalid start time. The start time cannot occur after the end time.');
    }
    stop = Math.min(stop, now);
    return { start, stop, now, detailed: detailedParam && q.detailed?.[0] === '1' };
  }

  /** The servers active in the window, in Nova's (project_id, uuid) order, paged from 2.40. */
  async function usageOf(
    w: UsageWindow,
    namespace: string | undefined,
    paged: boolean,
    query: Record<string, string>,
  ) {
    const all = (await ctx.caches.get<Server>(SERVERS)).list();
    const active = all
      .filter((s) => namespace === undefined || s.metadata.namespace === namespace)
      .filter((s) => activeInWindow(s, w.start, w.stop))
      .map((s) => ({ s, key: `${projectIdOf(s)}\u0000${serverId(s)}` }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    let chosen: typeof active;
    if (paged) {
      const { limit, marker } = limitAndMarker(query);
      let from = 0;
      if (marker !== undefined) {
        // paginate_query: after the marker instance in that order (it may be outside the window).
        const m = all.find((s) => serverId(s) === marker);
        if (!m) throw new ApiError(400, `Marker ${marker} could not be found.`);
        const mk = `${projectIdOf(m)}\u0000${serverId(m)}`;
        from = active.findIndex((x) => x.key > mk);
        if (from < 0) from = active.length;
      }
      chosen = active.slice(from, from + limit);
    } else {
      chosen = active.slice(0, MAX_LIMIT);
    }
    return tenantUsages(
      chosen.map((x) => x.s),
      projectIdOf,
      w,
    );
  }

  app.get(P, async (request) => {
    const p = principalOf(request);
    const paged = (request.microversion ?? APIVersionRequest.parse('2.1')).compare('2.40') >= 0;
    const query = validateQuery(request, USAGE_QUERY.index);
    enforce(p, POLICY('list'), 'admin');
    await ctx.authorize(p, 'list', SERVERS, undefined, POLICY('list'));
    const w = window(request, true);
    const { usages, serverUsages } = await usageOf(w, undefined, paged, query);
    if (!paged) return { tenant_usages: usages };
    const links = collectionLinks(
      request,
      serverUsages.map((u) => ({ id: String(u.instance_id) })),
      'os-simple-tenant-usage',
    );
    return { tenant_usages: usages, ...(links.length ? { tenant_usages_links: links } : {}) };
  });

  app.get(`${P}/:tenantId`, async (request: Req) => {
    const p = principalOf(request);
    const paged = (request.microversion ?? APIVersionRequest.parse('2.1')).compare('2.40') >= 0;
    const query = validateQuery(request, USAGE_QUERY.show);
    const tenantId = request.params.tenantId;
    // PROJECT_READER_OR_ADMIN on the target project_id.
    if (!p.isAdmin && !(p.projectId === tenantId && p.roles.includes('reader'))) {
      throw new ApiError(403, policyMessage(POLICY('show')));
    }
    const project = ctx.identity.projectById(tenantId);
    if (!project) return { tenant_usage: {} };
    await ctx.authorize(p, 'list', SERVERS, project.namespace, POLICY('show'));
    const w = { ...window(request, false), detailed: true };
    const { usages, serverUsages } = await usageOf(w, project.namespace, paged, query);
    const usage = usages[0] ?? {};
    if (!paged) return { tenant_usage: usage };
    const links = collectionLinks(
      request,
      serverUsages.map((u) => ({ id: String(u.instance_id) })),
      `os-simple-tenant-usage/${tenantId}`,
    );
    return { tenant_usage: usage, ...(links.length ? { tenant_usage_links: links } : {}) };
  });
}
