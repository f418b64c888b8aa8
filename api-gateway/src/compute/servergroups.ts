// Server groups (nova/api/openstack/compute/server_groups.py, schemas/server_groups.py), backed by
// ServerGroup objects in the project's namespace. The Nova id is metadata.uid; the creating user
// is the label USER_ID_LABEL (Nova's user_id); members are the servergroup controller's
// status.members (servers that joined through spec.serverGroup and are not being deleted).
// Nova looks a group up by uuid across projects and then checks the policy against its project,
// so another project's group is a 403 for a non-admin, not a 404.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { API_VERSION } from '../../../operator/src/api/kind.ts';
import { QUOTA_RESOURCES, type ProjectQuota } from '../../../operator/src/api/v1alpha1/projectquota.ts';
import type { ServerGroup } from '../../../operator/src/api/v1alpha1/servergroup.ts';
import { PROJECT_QUOTAS, QUOTA_NAME } from '../../../operator/src/controllers/projectquota.ts';
import { SERVER_GROUPS } from '../../../operator/src/controllers/servergroup.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
import type { Cache } from '../cache.ts';
import {
  COMPUTE_PREFIX,
  type GatewayContext,
  type Principal,
  enforce,
  kubeError,
  policyMessage,
  principalOf,
} from '../context.ts';
import { ApiError } from '../errors.ts';
import { types } from '../servers/validation.ts';
import {
  type Schema,
  type Versioned,
  intParam,
  querySchema,
  validateBody,
  validateQuery,
} from '../validation.ts';
import { MAX_LIMIT } from './common.ts';
import { recheckWrite } from '../recheck.ts';
import { USER_ID_LABEL } from './keypairs.ts';

const POLICY = (action: string) => `os_compute_api:os-server-groups:${action}`;
const POLICY_OBJ_MICROVERSION = '2.64';

// --- schemas ---
const NAME: Schema = types.name;
const policiesSchema = (allowed: string[]): Schema => ({
  type: 'array',
  items: [{ type: 'string', enum: allowed }],
  uniqueItems: true,
  minItems: 1,
  maxItems: 1,
  additionalItems: false,
});
const createSchema = (props: Record<string, Schema>, required: string[]): Schema => ({
  type: 'object',
  properties: {
    server_group: { type: 'object', properties: props, required, additionalProperties: false },
  },
  required: ['server_group'],
  additionalProperties: false,
});
const HARD = ['anti-affinity', 'affinity'];
const ALL = ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity'];
export const CREATE: Versioned[] = [
  { schema: createSchema({ name: NAME, policies: policiesSchema(HARD) }, ['name', 'policies']), max: '2.14' },
  {
    schema: createSchema({ name: NAME, policies: policiesSchema(ALL) }, ['name', 'policies']),
    min: '2.15',
    max: '2.63',
  },
  {
    schema: createSchema(
      {
        name: NAME,
        policy: { type: 'string', enum: ALL },
        rules: {
          type: 'object',
          properties: { max_server_per_host: intParam(1) },
          additionalProperties: false,
        },
      },
      ['name', 'policy'],
    ),
    min: POLICY_OBJ_MICROVERSION,
  },
];
const NON_NEGATIVE = intParam(0);
const INDEX_PARAMS = { all_projects: { type: 'string' }, limit: NON_NEGATIVE, offset: NON_NEGATIVE };
export const INDEX_QUERY: Versioned[] = [
  { schema: querySchema(INDEX_PARAMS), max: '2.74' },
  { schema: querySchema(INDEX_PARAMS, false), min: '2.75' },
];

// --- views ---
const supports = (request: FastifyRequest, v: string) => request.microversion?.matches(v) ?? false;

/** ServerGroupController._format_server_group. */
export function serverGroupView(request: FastifyRequest, g: ServerGroup, projectId: string) {
  const v: Record<string, unknown> = { id: g.metadata.uid, name: g.spec.name };
  if (supports(request, POLICY_OBJ_MICROVERSION)) {
    v.policy = g.spec.policy;
    v.rules =
      g.spec.rules?.maxServerPerHost !== undefined
        ? { max_server_per_host: g.spec.rules.maxServerPerHost }
        : {};
  } else {
    v.policies = [g.spec.policy];
    v.metadata = {};
  }
  v.members = g.status?.members ?? [];
  if (supports(request, '2.13')) {
    v.project_id = projectId;
    v.user_id = g.metadata.labels?.[USER_ID_LABEL] ?? '';
  }
  return v;
}

/** common.limited: offset and limit (capped at MAX_LIMIT; 0 or absent is MAX_LIMIT). */
export function limited<T>(items: T[], query: Record<string, string>): T[] {
  const offset = query.offset === undefined ? 0 : Number(query.offset);
  const limit = Math.min(MAX_LIMIT, Number(query.limit ?? 0) || MAX_LIMIT);
  return items.slice(offset, offset + limit);
}

/** When the gateway created a group, in milliseconds (creationTimestamp has whole seconds). */
export const CREATED_AT_ANNOTATION = 'compute.kova.io/created-at';
const createdAt = (g: ServerGroup): string =>
  g.metadata.annotations?.[CREATED_AT_ANNOTATION] ?? g.metadata.creationTimestamp ?? '';

/** Creation order, as Nova's database ids. */
const byCreation = (a: ServerGroup, b: ServerGroup) =>
  createdAt(a).localeCompare(createdAt(b)) || a.metadata.name!.localeCompare(b.metadata.name!);

export function registerServerGroups(app: FastifyInstance, ctx: GatewayContext): void {
  const P = `${COMPUTE_PREFIX}/os-server-groups`;
  const cache = (): Promise<Cache<ServerGroup>> => ctx.caches.get<ServerGroup>(SERVER_GROUPS);

  /** The Keystone project id of a project namespace. */
  const projectIdOf = (namespace: string | undefined): string =>
    ctx.identity.listProjects().find((p) => p.namespace === namespace)?.id ?? '';

  const notFound = (id: string) => new ApiError(404, `Instance group ${id} could not be found.`);

  /** InstanceGroup.get_by_uuid, then the policy against the group's project. */
  async function findGroup(p: Principal, id: string, action: string): Promise<ServerGroup> {
    const g = (await cache()).list().find((x) => x.metadata.uid === id);
    if (!g) throw notFound(id);
    enforce(p, POLICY(action), action === 'show' ? 'project_reader' : 'project_member');
    if (g.metadata.namespace !== p.namespace && !p.isAdmin)
      throw new ApiError(403, policyMessage(POLICY(action)));
    await ctx.authorize(p, 'get', SERVER_GROUPS, g.metadata.namespace, POLICY(action));
    return g;
  }

  app.get(P, async (request) => {
    const p = principalOf(request);
    const q = validateQuery(request, INDEX_QUERY);
    enforce(p, POLICY('index'), 'project_reader');
    const all = 'all_projects' in q && p.isAdmin;
    await ctx.authorize(p, 'list', SERVER_GROUPS, all ? undefined : p.namespace, POLICY('index'));
    const groups = (await cache())
      .list()
      .filter((g) => all || g.metadata.namespace === p.namespace)
      .sort(byCreation);
    return {
      server_groups: limited(groups, q).map((g) =>
        serverGroupView(request, g, projectIdOf(g.metadata.namespace)),
      ),
    };
  });

  app.get<{ Params: { id: string } }>(`${P}/:id`, async (request) => {
    const p = principalOf(request);
    const g = await findGroup(p, request.params.id, 'show');
    return { server_group: serverGroupView(request, g, projectIdOf(g.metadata.namespace)) };
  });

  app.post(P, async (request) => {
    const p = principalOf(request);
    const body = validateBody<{
      server_group: {
        name: string;
        policies?: string[];
        policy?: string;
        rules?: { max_server_per_host?: unknown };
      };
    }>(request, CREATE).server_group;
    enforce(p, POLICY('create'), 'project_member');
    const c = await cache();
    // objects.Quotas.check_deltas(context, {'server_groups': 1}, ...)
    const quota = (await ctx.caches.get<ProjectQuota>(PROJECT_QUOTAS)).get(`${p.namespace}/${QUOTA_NAME}`);
    const limit = quota?.spec.serverGroups ?? QUOTA_RESOURCES.serverGroups.default;
    const used = c.list().filter((g) => g.metadata.namespace === p.namespace).length;
    if (limit >= 0 && used + 1 > limit) throw new ApiError(403, 'Quota exceeded, too many server groups.');

    let policy: string;
    let maxServerPerHost: number | undefined;
    if (supports(request, POLICY_OBJ_MICROVERSION)) {
      policy = body.policy!;
      const rules = body.rules ?? {};
      if (policy !== 'anti-affinity' && Object.keys(rules).length > 0) {
        throw new ApiError(400, 'Only anti-affinity policy supports rules.');
      }
      if (rules.max_server_per_host !== undefined) maxServerPerHost = Number(rules.max_server_per_host);
    } else {
      policy = body.policies![0]!;
    }
    const manifest: ServerGroup = {
      apiVersion: API_VERSION,
      kind: 'ServerGroup',
      metadata: {
        generateName: 'sg-',
        namespace: p.namespace,
        labels: { [USER_ID_LABEL]: p.userId },
        annotations: { [CREATED_AT_ANNOTATION]: new Date(ctx.clock.now()).toISOString() },
      },
      spec: {
        name: body.name,
        policy: policy as ServerGroup['spec']['policy'],
        ...(maxServerPerHost !== undefined ? { rules: { maxServerPerHost } } : {}),
      },
    };
    let created: ServerGroup;
    try {
      created = await ctx.clientFor(p).create(collectionPath(SERVER_GROUPS, p.namespace), manifest);
    } catch (e) {
      kubeError(e, POLICY('create'));
    }
    // CONF.quota.recheck_quota, exact under concurrent creates (recheck.ts).
    if (limit >= 0) {
      await recheckWrite({
        kube: ctx.kube,
        collection: collectionPath(SERVER_GROUPS, p.namespace),
        written: [created],
        refuse: (asCreated) =>
          asCreated.length > limit ? new ApiError(403, 'Quota exceeded, too many server groups.') : undefined,
        undo: () =>
          ctx
            .clientFor(p)
            .delete(objectPath(SERVER_GROUPS, created.metadata.name!, p.namespace))
            .catch((e: unknown) => kubeError(e, POLICY('create'))),
      });
    }
    await c.observe(created);
    return { server_group: serverGroupView(request, created, p.projectId) };
  });

  app.delete<{ Params: { id: string } }>(`${P}/:id`, async (request, reply) => {
    const p = principalOf(request);
    const g = await findGroup(p, request.params.id, 'delete');
    try {
      await ctx.clientFor(p).delete(objectPath(SERVER_GROUPS, g.metadata.name!, g.metadata.namespace));
    } catch (e) {
      kubeError(e, POLICY('delete'), `Instance group ${request.params.id} could not be found.`);
    }
    await (await cache()).observeDeleted(`${g.metadata.namespace}/${g.metadata.name}`, g.metadata.uid);
    return reply.code(204).send();
  });
}
