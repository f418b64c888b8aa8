// Nova's migration records (os-migrations, migrations.py; servers/{id}/migrations,
// server_migrations.py), read from the ServerActions of moves: resize and migrate (migration_type
// resize / migration), live-migration and evacuate (evacuation). A record's status follows its
// action and what came after it (confirmResize, revertResize); its hosts come from the server's
// move record (status.migration) while it lasts, else from the action log (each action's event
// names the host that carried it out: the source is where the previous one ran).
//
// Kova's drivers can neither speed up nor abort a live migration: force_complete is accepted for a
// running live migration (202; it finishes on its own), abort answers Nova's 400 InvalidMigrationState.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Flavor, Server, ServerAction } from '../../../operator/src/api/v1alpha1/index.ts';
import { FLAVORS, SERVERS } from '../../../operator/src/controllers/server.ts';
import { SERVER_ACTIONS } from '../../../operator/src/controllers/serveraction.ts';
import { resolveFlavor } from '../../../operator/src/compute/server.ts';
import {
  type Link,
  collectionLinks,
  limitAndMarker,
  novaTime,
  numericId,
  resourceLinks,
} from '../compute/common.ts';
import { COMPUTE_PREFIX, type GatewayContext, type Principal, enforce, principalOf } from '../context.ts';
import { ApiError, NOT_FOUND_MESSAGE } from '../errors.ts';
import { APIVersionRequest } from '../microversion.ts';
import { type Schema, querySchema, validateBody, validateQuery } from '../validation.ts';
import type { ServerAccess } from './actions.ts';
import { actionLog } from './instanceactions.ts';
import { parseIsoTime, types } from './validation.ts';
import { serverId, stateOf } from './view.ts';
import { stateRefusal } from '../../../operator/src/compute/actions.ts';

type Json = Record<string, unknown>;
const MOVES: readonly string[] = ['resize', 'migrate', 'live-migration', 'evacuate'];
const TYPES: Record<string, string> = {
  resize: 'resize',
  migrate: 'migration',
  'live-migration': 'live-migration',
  evacuate: 'evacuation',
};
const LIVE_IN_PROGRESS = ['queued', 'preparing', 'running', 'post-migrating'];

/** A migration record as Nova's Migration object has it. */
export interface MigrationRecord {
  id: number;
  uuid: string;
  instanceUuid: string;
  type: string;
  status: string;
  sourceCompute: string | null;
  destCompute: string | null;
  oldFlavor: string | undefined;
  newFlavor: string | undefined;
  createdAt: string;
  updatedAt: string;
  userId: string | null;
  projectId: string;
}

const startOf = (a: ServerAction) => a.status?.startTime ?? a.metadata.creationTimestamp ?? '';
const hostOf = (a: ServerAction) => a.status?.events?.find((e) => e.host)?.host;

/** Nova's migration status for a move action, given the actions after it. */
export function migrationStatus(a: ServerAction, later: readonly ServerAction[], s: Server): string {
  const phase = a.status?.phase ?? 'Pending';
  switch (a.spec.action) {
    case 'live-migration':
      return { Pending: 'queued', Running: 'running', Succeeded: 'completed', Failed: 'failed' }[phase];
    case 'evacuate':
      return { Pending: 'accepted', Running: 'pre-migrating', Succeeded: 'done', Failed: 'failed' }[phase];
    default: {
      if (phase === 'Failed') return 'error';
      if (phase === 'Pending') return 'pre-migrating';
      if (phase === 'Running') return 'migrating';
      const next = later.find(
        (x) => x.status?.phase === 'Succeeded' && ['confirmResize', 'revertResize'].includes(x.spec.action),
      );
      if (next) return next.spec.action === 'confirmResize' ? 'confirmed' : 'reverted';
      const moving = s.status?.migration;
      if (moving && (moving.kind === 'resize' || moving.kind === 'migrate')) return 'finished';
      return 'confirmed';
    }
  }
}

/** A server's migration records, oldest first. */
export function migrationsOf(s: Server, all: readonly ServerAction[], projectId: string): MigrationRecord[] {
  const log = actionLog(s, all).reverse(); // oldest first
  const out: MigrationRecord[] = [];
  let flavor = s.spec.flavorRef;
  let host: string | undefined;
  log.forEach((a, i) => {
    const before = host;
    host = hostOf(a) ?? host;
    if (!MOVES.includes(a.spec.action)) {
      return;
    }
    const later = log.slice(i + 1);
    const status = migrationStatus(a, later, s);
    const current = s.status?.migration;
    const inProgress = !['completed', 'failed', 'done', 'error', 'confirmed', 'reverted'].includes(status);
    const oldFlavor = flavor;
    const newFlavor = a.spec.action === 'resize' ? (a.spec.parameters?.flavorRef ?? flavor) : flavor;
    const revert = later.find((x) => x.spec.action === 'revertResize' && x.status?.phase === 'Succeeded');
    if (a.spec.action === 'resize' && a.status?.phase === 'Succeeded' && !revert) flavor = newFlavor;
    out.push({
      id: numericId(a.metadata.uid),
      uuid: a.metadata.uid ?? '',
      instanceUuid: serverId(s),
      type: TYPES[a.spec.action]!,
      status,
      sourceCompute: (inProgress && current ? current.sourceHost : before) ?? null,
      destCompute: (inProgress && current ? current.destHost : hostOf(a)) ?? null,
      oldFlavor,
      newFlavor,
      createdAt: startOf(a),
      updatedAt: a.status?.finishTime ?? startOf(a),
      userId: a.spec.user ?? null,
      projectId,
    });
  });
  return out;
}

/** The os-migrations view of a record (migrations.py _output). */
export function migrationView(
  m: MigrationRecord,
  flavorId: (ref: string | undefined) => number | null,
  o: { type: boolean; uuid: boolean; userProject: boolean; links?: Link[] },
): Json {
  return {
    created_at: novaTime(m.createdAt),
    dest_compute: m.destCompute,
    dest_host: null,
    dest_node: m.destCompute,
    id: m.id,
    instance_uuid: m.instanceUuid,
    new_instance_type_id: flavorId(m.newFlavor),
    old_instance_type_id: flavorId(m.oldFlavor),
    source_compute: m.sourceCompute,
    source_node: m.sourceCompute,
    status: m.status,
    updated_at: novaTime(m.updatedAt),
    ...(o.type ? { migration_type: m.type } : {}),
    ...(o.links ? { links: o.links } : {}),
    ...(o.uuid ? { uuid: m.uuid } : {}),
    ...(o.userProject ? { user_id: m.userId, project_id: m.projectId } : {}),
  };
}

/** server_migrations.output: an in-progress live migration (no progress counters in Kova). */
export function serverMigrationView(m: MigrationRecord, uuid: boolean, userProject: boolean): Json {
  return {
    created_at: novaTime(m.createdAt),
    dest_compute: m.destCompute,
    dest_host: null,
    dest_node: m.destCompute,
    disk_processed_bytes: null,
    disk_remaining_bytes: null,
    disk_total_bytes: null,
    id: m.id,
    memory_processed_bytes: null,
    memory_remaining_bytes: null,
    memory_total_bytes: null,
    server_uuid: m.instanceUuid,
    source_compute: m.sourceCompute,
    source_node: m.sourceCompute,
    status: m.status,
    updated_at: novaTime(m.updatedAt),
    ...(uuid ? { uuid: m.uuid } : {}),
    ...(userProject ? { user_id: m.userId, project_id: m.projectId } : {}),
  };
}

const COMMON = { type: 'string' };
const V20 = {
  hidden: COMMON,
  host: COMMON,
  instance_uuid: COMMON,
  source_compute: COMMON,
  status: COMMON,
  migration_type: COMMON,
};
const V259 = {
  ...V20,
  limit: types.nonNegativeInteger,
  marker: COMMON,
  'changes-since': { type: 'string', format: 'date-time' },
};
const V266 = { ...V259, 'changes-before': { type: 'string', format: 'date-time' } };
const V280 = { ...V266, user_id: COMMON, project_id: COMMON };
export const MIGRATIONS_QUERY = [
  { max: '2.58', schema: querySchema(V20) },
  { min: '2.59', max: '2.65', schema: querySchema(V259, false) },
  { min: '2.66', max: '2.79', schema: querySchema(V266, false) },
  { min: '2.80', schema: querySchema(V280, false) },
];
const FORCE_COMPLETE: Schema = {
  type: 'object',
  properties: { force_complete: { type: 'null' } },
  required: ['force_complete'],
  additionalProperties: false,
};

type Req = FastifyRequest<{ Params: { id: string; mid: string } }>;

export function registerMigrations(app: FastifyInstance, ctx: GatewayContext, access: ServerAccess): void {
  const projectIdOf = (s: Server) =>
    ctx.identity.projectByName(s.metadata.namespace!)?.id ?? s.metadata.namespace!;
  const versionOf = (r: FastifyRequest) => r.microversion ?? APIVersionRequest.parse('2.1');

  async function flavorIds(): Promise<(ref: string | undefined) => number | null> {
    const flavors = (await ctx.caches.get<Flavor>(FLAVORS)).list();
    return (ref) => {
      const f = ref ? resolveFlavor(ref, flavors) : undefined;
      return f ? numericId(f.metadata.uid) : null;
    };
  }

  async function recordsOf(s: Server): Promise<MigrationRecord[]> {
    const actions = (await ctx.caches.get<ServerAction>(SERVER_ACTIONS)).list();
    return migrationsOf(s, actions, projectIdOf(s));
  }

  // GET /os-migrations (admin): every server's records, newest first (created_at, id desc).
  app.get(`${COMPUTE_PREFIX}/os-migrations`, async (request) => {
    const p = principalOf(request);
    const v = versionOf(request);
    const query = validateQuery(request, MIGRATIONS_QUERY);
    enforce(p, 'os_compute_api:os-migrations:index', 'admin');
    await ctx.authorize(p, 'list', SERVER_ACTIONS, undefined, 'os_compute_api:os-migrations:index');
    const [servers, actions] = await Promise.all([
      ctx.caches.get<Server>(SERVERS),
      ctx.caches.get<ServerAction>(SERVER_ACTIONS),
    ]);
    // Each server's log, for the servers that moved (one pass over the actions).
    const logs = new Map<string, ServerAction[]>();
    for (const a of actions.list()) {
      const key = `${a.metadata.namespace}/${a.spec.server}`;
      let log = logs.get(key);
      if (!log) logs.set(key, (log = []));
      log.push(a);
    }
    let records = servers.list().flatMap((s) => {
      const log = logs.get(`${s.metadata.namespace}/${s.metadata.name}`);
      return log?.some((a) => MOVES.includes(a.spec.action)) ? migrationsOf(s, log, projectIdOf(s)) : [];
    });
    const f = (k: string) => query[k];
    if (f('status') !== undefined) records = records.filter((m) => m.status === f('status'));
    if (f('host') !== undefined)
      records = records.filter((m) => m.sourceCompute === f('host') || m.destCompute === f('host'));
    if (f('instance_uuid') !== undefined)
      records = records.filter((m) => m.instanceUuid === f('instance_uuid'));
    if (f('source_compute') !== undefined)
      records = records.filter((m) => m.sourceCompute === f('source_compute'));
    if (f('migration_type') !== undefined) records = records.filter((m) => m.type === f('migration_type'));
    const paged = v.compare('2.59') >= 0;
    if (paged) {
      const since = f('changes-since') ? parseIsoTime(f('changes-since')!)!.getTime() : undefined;
      const before =
        v.compare('2.66') >= 0 && f('changes-before')
          ? parseIsoTime(f('changes-before')!)!.getTime()
          : undefined;
      if (since !== undefined && before !== undefined && before < since) {
        throw new ApiError(400, 'The value of changes-since must be less than or equal to changes-before.');
      }
      if (since !== undefined) records = records.filter((m) => Date.parse(m.updatedAt) >= since);
      if (before !== undefined) records = records.filter((m) => Date.parse(m.updatedAt) <= before);
      if (v.compare('2.80') >= 0) {
        if (f('user_id') !== undefined) records = records.filter((m) => m.userId === f('user_id'));
        if (f('project_id') !== undefined) records = records.filter((m) => m.projectId === f('project_id'));
      }
    }
    records.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id);
    if (paged) {
      const { limit, marker } = limitAndMarker(query);
      let from = 0;
      if (marker !== undefined) {
        const i = records.findIndex((m) => m.uuid === marker);
        if (i < 0) throw new ApiError(400, `Marker ${marker} could not be found.`);
        from = i + 1;
      }
      records = records.slice(from, from + limit);
    }
    const flavorId = await flavorIds();
    const withLinks = v.compare('2.23') >= 0;
    const migrations = records.map((m) =>
      migrationView(m, flavorId, {
        type: withLinks,
        uuid: paged,
        userProject: v.compare('2.80') >= 0,
        links:
          withLinks && m.type === 'live-migration' && LIVE_IN_PROGRESS.includes(m.status)
            ? resourceLinks(request, String(m.id), `servers/${m.instanceUuid}/migrations`)
            : undefined,
      }),
    );
    if (!paged) return { migrations };
    const links = collectionLinks(
      request,
      records.map((m) => ({ id: m.uuid })),
      'os-migrations',
    );
    return { migrations, ...(links.length ? { migrations_links: links } : {}) };
  });

  const P = `${COMPUTE_PREFIX}/servers/:id/migrations`;
  const SM = (rule: string) => `os_compute_api:servers:migrations:${rule}`;

  async function target(request: Req, min: string, rule: string): Promise<{ p: Principal; s: Server }> {
    if (versionOf(request).compare(min) < 0) throw new ApiError(404, NOT_FOUND_MESSAGE);
    const p = principalOf(request);
    const s = await access.findServer(p, request.params.id);
    enforce(p, SM(rule), 'admin');
    return { p, s };
  }

  const liveInProgress = (records: MigrationRecord[]) =>
    records.filter((m) => m.type === 'live-migration' && LIVE_IN_PROGRESS.includes(m.status));

  app.get(P, async (request: Req) => {
    const { s } = await target(request, '2.23', 'index');
    const v = versionOf(request);
    return {
      migrations: liveInProgress(await recordsOf(s)).map((m) =>
        serverMigrationView(m, v.compare('2.59') >= 0, v.compare('2.80') >= 0),
      ),
    };
  });

  app.get(`${P}/:mid`, async (request: Req) => {
    const { s } = await target(request, '2.23', 'show');
    const v = versionOf(request);
    const { id, mid } = request.params;
    const m = (await recordsOf(s)).find((x) => String(x.id) === mid);
    if (!m) throw new ApiError(404, `In-progress live migration ${mid} is not found for server ${id}.`);
    if (m.type !== 'live-migration') {
      throw new ApiError(404, `Migration ${mid} for server ${id} is not live-migration.`);
    }
    if (!LIVE_IN_PROGRESS.includes(m.status)) {
      throw new ApiError(404, `Live migration ${mid} for server ${id} is not in progress.`);
    }
    return { migration: serverMigrationView(m, v.compare('2.59') >= 0, v.compare('2.80') >= 0) };
  });

  /** live_migrate_force_complete / live_migrate_abort's checks: lock, task_state migrating, the record. */
  async function movingRecord(
    p: Principal,
    s: Server,
    mid: string,
    action: string,
  ): Promise<MigrationRecord> {
    if (s.spec.locked && !p.isAdmin) throw new ApiError(409, `Instance ${serverId(s)} is locked`);
    // live_migrate_force_complete: vm_state active and task migrating; the abort: task migrating.
    const vmStates = action === 'force_complete' ? ['active'] : 'any';
    const refused = stateRefusal(action, stateOf(s), vmStates, ['migrating']);
    if (refused) throw new ApiError(409, refused);
    const m = (await recordsOf(s)).find((x) => String(x.id) === mid && x.type === 'live-migration');
    if (!m) throw new ApiError(404, `Migration ${mid} not found for instance ${serverId(s)}`);
    return m;
  }

  app.post(`${P}/:mid/action`, async (request: Req, reply: FastifyReply) => {
    if (versionOf(request).compare('2.22') < 0) throw new ApiError(404, NOT_FOUND_MESSAGE);
    validateBody(request, FORCE_COMPLETE);
    const p = principalOf(request);
    const s = await access.findServer(p, request.params.id);
    enforce(p, SM('force_complete'), 'admin');
    let m: MigrationRecord;
    try {
      m = await movingRecord(p, s, request.params.mid, 'force_complete');
    } catch (e) {
      // MigrationNotFoundForInstance is a 400 here.
      if (e instanceof ApiError && e.code === 404) throw new ApiError(400, e.message);
      throw e;
    }
    if (m.status !== 'running') {
      throw new ApiError(
        400,
        `Migration ${m.id} state of instance ${m.instanceUuid} is ${m.status}. Cannot force complete while the migration is in this state.`,
      );
    }
    return reply.code(202).send();
  });

  app.delete(`${P}/:mid`, async (request: Req) => {
    if (versionOf(request).compare('2.24') < 0) throw new ApiError(404, NOT_FOUND_MESSAGE);
    const p = principalOf(request);
    const s = await access.findServer(p, request.params.id);
    enforce(p, SM('delete'), 'admin');
    const m = await movingRecord(p, s, request.params.mid, 'abort live migration');
    // No Kova driver can abort a live migration under way (nor take one back out of the queue).
    throw new ApiError(
      400,
      `Migration ${m.id} state of instance ${m.instanceUuid} is ${m.status}. Cannot abort live migration while the migration is in this state.`,
    );
  });
}
