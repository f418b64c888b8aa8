// os-instance-actions (InstanceActionsController): a server's action log, read from its
// ServerAction records. Nova records no action for reads (console output, diagnostics) nor for a
// request its API refused (the 409 comes before the record), so neither is listed here.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Server, ServerAction } from '../../../operator/src/api/v1alpha1/index.ts';
import { API_VERSION } from '../../../operator/src/api/kind.ts';
import { SERVER_ACTIONS, SERVER_UID_LABEL } from '../../../operator/src/controllers/serveraction.ts';
import { hostId } from '../../../operator/src/compute/server.ts';
import { collectionLinks, limitAndMarker, novaTime } from '../compute/common.ts';
import {
  COMPUTE_PREFIX,
  type GatewayContext,
  type Principal,
  allows,
  enforce,
  principalOf,
} from '../context.ts';
import { ApiError } from '../errors.ts';
import { APIVersionRequest } from '../microversion.ts';
import { querySchema, validateQuery } from '../validation.ts';
import type { ServerAccess } from './actions.ts';
import { parseIsoTime, types } from './validation.ts';
import { serverId } from './view.ts';

const POLICY = (rule: string) => `os_compute_api:os-instance-actions:${rule}`;
type Json = Record<string, unknown>;

const LIST_QUERY_258 = querySchema(
  {
    limit: types.nonNegativeInteger,
    marker: { type: 'string' },
    'changes-since': { type: 'string', format: 'date-time' },
  },
  false,
);
const LIST_QUERY_266 = querySchema(
  {
    limit: types.nonNegativeInteger,
    marker: { type: 'string' },
    'changes-since': { type: 'string', format: 'date-time' },
    'changes-before': { type: 'string', format: 'date-time' },
  },
  false,
);

/** Whether a record is about this server: its uid label, else (older records) its name since it was made. */
const about = (a: ServerAction, server: Server): boolean => {
  const uid = a.metadata.labels?.[SERVER_UID_LABEL];
  if (uid) return uid === server.metadata.uid;
  return (
    a.metadata.namespace === server.metadata.namespace &&
    a.spec.server === server.metadata.name &&
    (a.metadata.creationTimestamp ?? '') >= (server.metadata.creationTimestamp ?? '')
  );
};

/** The records of a server that Nova's log would hold, newest first. */
export function actionLog(server: Server, all: readonly ServerAction[]): ServerAction[] {
  return all
    .filter(
      (a) =>
        about(a, server) &&
        a.spec.action !== 'consoleOutput' &&
        a.spec.action !== 'diagnostics' &&
        !(a.status?.phase === 'Failed' && !a.status.events?.length),
    )
    .sort(
      (a, b) =>
        Date.parse(startOf(b)) - Date.parse(startOf(a)) ||
        (b.metadata.name ?? '').localeCompare(a.metadata.name ?? ''),
    );
}

const startOf = (a: ServerAction): string => a.status?.startTime ?? a.metadata.creationTimestamp ?? '';
const updatedOf = (a: ServerAction): string => a.status?.finishTime ?? startOf(a);

/** ACTION_KEYS (ACTION_KEYS_V258 with updated_at). */
export function actionView(a: ServerAction, server: Server, projectId: string, v258: boolean): Json {
  const failed = a.status?.events?.some((e) => e.result === 'Error');
  return {
    action: a.spec.action,
    instance_uuid: serverId(server),
    request_id: a.spec.requestId ?? a.metadata.uid,
    user_id: a.spec.user ?? null,
    project_id: projectId,
    start_time: novaTime(startOf(a)),
    message: failed ? 'Error' : null,
    ...(v258 ? { updated_at: novaTime(updatedOf(a)) } : {}),
  };
}

export interface EventOptions {
  traceback: boolean;
  host: boolean;
  hostId: boolean;
  details: boolean;
}

/** _format_event: EVENT_KEYS, traceback for admins, host (2.62 admins), hostId (2.62), details (2.84). */
export function eventsView(a: ServerAction, projectId: string, o: EventOptions): Json[] {
  return (a.status?.events ?? []).map((e) => ({
    event: e.event,
    start_time: novaTime(e.startTime),
    finish_time: novaTime(e.finishTime),
    result: e.result ?? null,
    ...(o.traceback ? { traceback: e.traceback ?? null } : {}),
    ...(o.host ? { host: e.host ?? null } : {}),
    ...(o.hostId ? { hostId: hostId(projectId, e.host) } : {}),
    ...(o.details ? { details: e.details ?? null } : {}),
  }));
}

type Req = FastifyRequest<{ Params: { id: string; requestId: string } }>;

export function registerInstanceActions(
  app: FastifyInstance,
  ctx: GatewayContext,
  access: ServerAccess,
): void {
  const P = `${COMPUTE_PREFIX}/servers/:id/os-instance-actions`;
  const projectIdOf = (s: Server) =>
    ctx.identity.projectByName(s.metadata.namespace!)?.id ?? s.metadata.namespace!;

  /**
   * The server; from 2.21 also a deleted one (Nova reads deleted instances here), known by its
   * records (SERVER_UID_LABEL), which the operator keeps for DELETED_ACTIONS_RETENTION_MS.
   */
  async function serverOrDeleted(
    principal: Principal,
    id: string,
    version: APIVersionRequest,
  ): Promise<Server> {
    try {
      return await access.findServer(principal, id);
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 404 || version.compare('2.21') < 0) throw e;
      const record = (await ctx.caches.get<ServerAction>(SERVER_ACTIONS))
        .list()
        .find(
          (a) =>
            a.metadata.labels?.[SERVER_UID_LABEL] === id &&
            (principal.isAdmin || a.metadata.namespace === principal.namespace),
        );
      if (!record) throw e;
      await ctx.authorize(principal, 'list', SERVER_ACTIONS, record.metadata.namespace, POLICY('list'));
      return {
        apiVersion: API_VERSION,
        kind: 'Server',
        metadata: { uid: id, name: record.spec.server, namespace: record.metadata.namespace },
      } as Server;
    }
  }

  app.get(P, async (request: Req) => {
    const principal = principalOf(request);
    const version = request.microversion ?? APIVersionRequest.parse('2.1');
    const v258 = version.compare('2.58') >= 0;
    const query = v258
      ? validateQuery(request, [
          { min: '2.58', max: '2.65', schema: LIST_QUERY_258 },
          { min: '2.66', schema: LIST_QUERY_266 },
        ])
      : {};
    const server = await serverOrDeleted(principal, request.params.id, version);
    enforce(principal, POLICY('list'), 'project_reader');
    let log = actionLog(server, (await ctx.caches.get<ServerAction>(SERVER_ACTIONS)).list());
    const since = query['changes-since'] ? parseIsoTime(query['changes-since'])!.getTime() : undefined;
    const before = query['changes-before'] ? parseIsoTime(query['changes-before'])!.getTime() : undefined;
    if (since !== undefined && before !== undefined && before < since) {
      throw new ApiError(400, 'The value of changes-since must be less than or equal to changes-before.');
    }
    if (since !== undefined) log = log.filter((a) => Date.parse(updatedOf(a)) >= since);
    if (before !== undefined) log = log.filter((a) => Date.parse(updatedOf(a)) <= before);
    const projectId = projectIdOf(server);
    if (!v258) return { instanceActions: log.map((a) => actionView(a, server, projectId, false)) };
    const { limit, marker } = limitAndMarker(query);
    let start = 0;
    if (marker !== undefined) {
      const i = log.findIndex((a) => (a.spec.requestId ?? a.metadata.uid) === marker);
      if (i < 0) throw new ApiError(400, `Marker ${marker} could not be found.`);
      start = i + 1;
    }
    const page = log.slice(start, start + limit).map((a) => actionView(a, server, projectId, true));
    const links = collectionLinks(
      request,
      page.map((a) => ({ id: String(a.request_id) })),
      `servers/${serverId(server)}/os-instance-actions`,
    );
    return { instanceActions: page, ...(links.length ? { links } : {}) };
  });

  app.get(`${P}/:requestId`, async (request: Req) => {
    const principal = principalOf(request);
    const version = request.microversion ?? APIVersionRequest.parse('2.1');
    const server = await serverOrDeleted(principal, request.params.id, version);
    enforce(principal, POLICY('show'), 'project_reader');
    const id = request.params.requestId;
    const a = actionLog(server, (await ctx.caches.get<ServerAction>(SERVER_ACTIONS)).list()).find(
      (x) => (x.spec.requestId ?? x.metadata.uid) === id,
    );
    if (!a) throw new ApiError(404, `Action ${id} not found`);
    const projectId = projectIdOf(server);
    const view = actionView(a, server, projectId, version.compare('2.58') >= 0);
    const isAdmin = allows(principal, 'admin');
    if (isAdmin || version.compare('2.51') >= 0) {
      view.events = eventsView(a, projectId, {
        traceback: isAdmin,
        host: isAdmin && version.compare('2.62') >= 0,
        hostId: version.compare('2.62') >= 0,
        details: isAdmin && version.compare('2.84') >= 0,
      });
    }
    return { instanceAction: view };
  });
}
