// Quotas and limits (nova/api/openstack/compute/quota_sets.py, quota_classes.py, limits.py,
// views/limits.py, schemas/quota_sets.py), backed by the project's ProjectQuota `default` (the
// limits it sets) and the operator's defaults (QUOTA_RESOURCES, Nova's [quota] options).
// Usage (in_use) is counted from the servers and server groups now, as nova/quota.py counts it.
// Nova's resources that Kova does not enforce (injected files, the nova-network ones) are shown
// with Nova's defaults; an update of one of them is a 400, since nothing stores or enforces it.
// Kova has no per-user quotas: user_id shows the project's quota set and cannot be updated.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { API_VERSION } from '../../../operator/src/api/kind.ts';
import type { Flavor, Server, ServerGroup } from '../../../operator/src/api/v1alpha1/index.ts';
import { QUOTA_RESOURCES, type ProjectQuota } from '../../../operator/src/api/v1alpha1/projectquota.ts';
import { PROJECT_QUOTAS, QUOTA_NAME } from '../../../operator/src/controllers/projectquota.ts';
import { FLAVORS, SERVERS } from '../../../operator/src/controllers/server.ts';
import { SERVER_GROUPS } from '../../../operator/src/controllers/servergroup.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
import { KubeError } from '../../../operator/src/kube/client.ts';
import {
  COMPUTE_PREFIX,
  type GatewayContext,
  type Principal,
  enforce,
  kubeError,
  principalOf,
} from '../context.ts';
import { ApiError } from '../errors.ts';
import type { Project } from '../identity/store.ts';
import { usage } from '../servers/quota.ts';
import {
  BOOLEAN,
  type Schema,
  type Versioned,
  querySchema,
  toBool,
  validateBody,
  validateQuery,
} from '../validation.ts';

type SpecKey = keyof typeof QUOTA_RESOURCES;
/** Nova's resource name → the ProjectQuota spec field that stores it. */
const STORED = Object.fromEntries(
  (Object.keys(QUOTA_RESOURCES) as SpecKey[]).map((k) => [QUOTA_RESOURCES[k].nova, k]),
) as Record<string, SpecKey>;
/** Nova's resources Kova does not enforce, with Nova's defaults (nova/conf/quota.py; -1 for nova-network's). */
const UNENFORCED: Record<string, number> = {
  fixed_ips: -1,
  floating_ips: -1,
  injected_file_content_bytes: 10240,
  injected_file_path_bytes: 255,
  injected_files: 5,
  security_group_rules: -1,
  security_groups: -1,
};
/** QUOTAS.resources: sorted names. */
const RESOURCES = [...Object.keys(STORED), ...Object.keys(UNENFORCED)].sort();
const FILTERED_2_36 = ['fixed_ips', 'floating_ips', 'security_group_rules', 'security_groups'];
const FILTERED_2_57 = [
  ...FILTERED_2_36,
  'injected_files',
  'injected_file_content_bytes',
  'injected_file_path_bytes',
];

const version = (request: FastifyRequest) => request.microversion!;
/** The resources a microversion hides (2.36 the network ones, 2.57 the injected files). */
const filteredAt = (request: FastifyRequest): string[] =>
  version(request).matches('2.57') ? FILTERED_2_57 : version(request).matches('2.36') ? FILTERED_2_36 : [];

// --- schemas ---
const QUOTA: Schema = {
  type: ['integer', 'string'],
  pattern: '^-?[0-9]+$',
  minimum: -1,
  maximum: 0x7fffffff,
};
const updateSchema = (hidden: string[]): Schema => ({
  type: 'object',
  properties: {
    quota_set: {
      properties: Object.fromEntries(
        [...RESOURCES, 'networks', 'force']
          .filter((r) => !hidden.includes(r) && !(r === 'networks' && hidden.length > 0))
          .map((r) => [r, r === 'force' ? BOOLEAN : QUOTA]),
      ),
      additionalProperties: false,
    },
  },
  required: ['quota_set'],
  additionalProperties: false,
});
export const UPDATE: Versioned[] = [
  { schema: updateSchema([]), max: '2.35' },
  { schema: updateSchema(FILTERED_2_36), min: '2.36', max: '2.56' },
  { schema: updateSchema(FILTERED_2_57), min: '2.57' },
];
const classSchema = (hidden: string[]): Schema => ({
  type: 'object',
  properties: {
    quota_class_set: {
      properties: Object.fromEntries(
        [...RESOURCES, 'networks']
          .filter((r) => !hidden.includes(r) && !(r === 'networks' && hidden.length > 0))
          .map((r) => [r, QUOTA]),
      ),
      additionalProperties: false,
    },
  },
  required: ['quota_class_set'],
  additionalProperties: false,
});
export const CLASS_UPDATE: Versioned[] = [
  { schema: classSchema([]), max: '2.49' },
  { schema: classSchema(FILTERED_2_36), min: '2.50', max: '2.56' },
  { schema: classSchema(FILTERED_2_57), min: '2.57' },
];
const USER_QUERY: Versioned[] = [
  { schema: querySchema({ user_id: { type: 'string' } }), max: '2.74' },
  { schema: querySchema({ user_id: { type: 'string' } }, false), min: '2.75' },
];
const LIMITS_QUERY: Versioned[] = [
  { schema: querySchema({ tenant_id: { type: 'string' }, reserved: { type: 'string' } }), max: '2.74' },
  { schema: querySchema({ tenant_id: { type: 'string' } }, false), min: '2.75' },
];

// --- the model ---
export type QuotaValues = Record<string, number>;

/** QUOTAS.get_defaults. */
export function defaultQuotas(): QuotaValues {
  const out: QuotaValues = { ...UNENFORCED };
  for (const [nova, key] of Object.entries(STORED)) out[nova] = QUOTA_RESOURCES[key].default;
  return out;
}

/** QUOTAS.get_project_quotas limits: the ProjectQuota's, else the defaults. */
export function projectLimits(quota: ProjectQuota | undefined): QuotaValues {
  const out = defaultQuotas();
  for (const [nova, key] of Object.entries(STORED)) out[nova] = quota?.spec[key] ?? out[nova]!;
  return out;
}

/** _format_quota_set: id (when given) then the sorted resources the microversion shows. */
export function formatQuotaSet(id: string | undefined, values: Record<string, unknown>, filtered: string[]) {
  const result: Record<string, unknown> = id === undefined ? {} : { id };
  for (const r of RESOURCES) if (!filtered.includes(r) && r in values) result[r] = values[r];
  return { quota_set: result };
}

/** views/limits.py ViewBuilder.limit_names. */
const LIMIT_NAMES: Record<string, string[]> = {
  ram: ['maxTotalRAMSize'],
  instances: ['maxTotalInstances'],
  cores: ['maxTotalCores'],
  key_pairs: ['maxTotalKeypairs'],
  floating_ips: ['maxTotalFloatingIps'],
  metadata_items: ['maxServerMeta', 'maxImageMeta'],
  injected_files: ['maxPersonality'],
  injected_file_content_bytes: ['maxPersonalitySize'],
  security_groups: ['maxSecurityGroups'],
  security_group_rules: ['maxSecurityGroupRules'],
  server_groups: ['maxServerGroups'],
  server_group_members: ['maxServerGroupMembers'],
};
const USED_NAMES: Record<string, string> = {
  totalRAMUsed: 'ram',
  totalCoresUsed: 'cores',
  totalInstancesUsed: 'instances',
  totalFloatingIpsUsed: 'floating_ips',
  totalSecurityGroupsUsed: 'security_groups',
  totalServerGroupsUsed: 'server_groups',
};
const LIMITS_FILTERED_2_36 = ['floating_ips', 'security_groups', 'security_group_rules'];
const LIMITS_FILTERED_2_57 = [...LIMITS_FILTERED_2_36, 'injected_files', 'injected_file_content_bytes'];

/** ViewBuilder.build: absolute limits and their usage; rate limits are gone from Nova (rate: []). */
export function limitsView(
  limits: QuotaValues,
  inUse: QuotaValues,
  filtered: string[],
  maxImageMeta: boolean,
): { limits: { rate: never[]; absolute: Record<string, number> } } {
  const absolute: Record<string, number> = {};
  for (const [name, value] of Object.entries(limits)) {
    if (!LIMIT_NAMES[name] || filtered.includes(name)) continue;
    for (const limitName of LIMIT_NAMES[name]) {
      if (!maxImageMeta && limitName === 'maxImageMeta') continue;
      absolute[limitName] = value;
    }
  }
  for (const [display, key] of Object.entries(USED_NAMES)) {
    if (key in limits && !filtered.includes(key)) absolute[display] = inUse[key] ?? 0;
  }
  return { limits: { rate: [], absolute } };
}

export function registerQuotas(app: FastifyInstance, ctx: GatewayContext): void {
  const P = `${COMPUTE_PREFIX}/os-quota-sets`;
  const QS = (action: string) => `os_compute_api:os-quota-sets:${action}`;

  /** identity.verify_project_id: an unknown project is a 400. */
  function projectOf(id: string): Project {
    const project = ctx.identity.projectById(id);
    if (!project) throw new ApiError(400, `Project ID ${id} is not a valid project.`);
    return project;
  }

  /** PROJECT_READER_OR_ADMIN with the project as target. */
  function enforceReader(p: Principal, action: string, projectId: string): void {
    enforce(p, action, 'project_reader');
    if (projectId !== p.projectId && !p.isAdmin) enforce(p, action, 'admin');
  }

  /** RBAC for the cache reads of a project's quota and usage. */
  const readable = (p: Principal, project: Project, action: string) =>
    ctx.authorize(p, 'get', PROJECT_QUOTAS, project.namespace, action);

  async function quotaOf(project: Project): Promise<ProjectQuota | undefined> {
    return (await ctx.caches.get<ProjectQuota>(PROJECT_QUOTAS)).get(`${project.namespace}/${QUOTA_NAME}`);
  }

  /** in_use per resource, as nova/quota.py counts at project level (key pairs and members per user: 0). */
  async function inUse(project: Project): Promise<QuotaValues> {
    const [servers, flavors, groups] = await Promise.all([
      ctx.caches.get<Server>(SERVERS),
      ctx.caches.get<Flavor>(FLAVORS),
      ctx.caches.get<ServerGroup>(SERVER_GROUPS),
    ]);
    const used = usage(project.namespace, servers.list(), flavors.list());
    const out: QuotaValues = Object.fromEntries(RESOURCES.map((r) => [r, 0]));
    Object.assign(out, used);
    out.server_groups = groups.list().filter((g) => g.metadata.namespace === project.namespace).length;
    return out;
  }

  app.get<{ Params: { id: string } }>(`${P}/:id`, async (request) => {
    const p = principalOf(request);
    validateQuery(request, USER_QUERY);
    enforceReader(p, QS('show'), request.params.id);
    const project = projectOf(request.params.id);
    await readable(p, project, QS('show'));
    return formatQuotaSet(project.id, projectLimits(await quotaOf(project)), filteredAt(request));
  });

  app.get<{ Params: { id: string } }>(`${P}/:id/detail`, async (request) => {
    const p = principalOf(request);
    validateQuery(request, USER_QUERY);
    enforceReader(p, QS('detail'), request.params.id);
    const project = projectOf(request.params.id);
    await readable(p, project, QS('detail'));
    const limits = projectLimits(await quotaOf(project));
    const used = await inUse(project);
    const values = Object.fromEntries(
      Object.entries(limits).map(([r, limit]) => [r, { in_use: used[r] ?? 0, limit, reserved: 0 }]),
    );
    return formatQuotaSet(project.id, values, filteredAt(request));
  });

  app.get<{ Params: { id: string } }>(`${P}/:id/defaults`, async (request) => {
    principalOf(request);
    const project = projectOf(request.params.id);
    return formatQuotaSet(project.id, defaultQuotas(), filteredAt(request));
  });

  app.put<{ Params: { id: string } }>(`${P}/:id`, async (request) => {
    const p = principalOf(request);
    const body = validateBody<{ quota_set: Record<string, unknown> }>(request, UPDATE).quota_set;
    const q = validateQuery(request, USER_QUERY);
    enforce(p, QS('update'), 'admin');
    const project = projectOf(request.params.id);
    if ('networks' in body) throw new ApiError(400, 'The networks quota has been removed');
    if (q.user_id !== undefined)
      throw new ApiError(400, 'Kova has no per-user quotas: update the project quota.');
    const force = body.force !== undefined && toBool(body.force);
    const used = await inUse(project);
    const changes: Partial<Record<SpecKey, number>> = {};
    for (const [key, raw] of Object.entries(body)) {
      if (key === 'force' || raw === null || raw === '') continue;
      const value = Number(raw);
      if (!(key in STORED)) {
        if (value === UNENFORCED[key]) continue;
        throw new ApiError(
          400,
          `Quota for ${key} is not supported by Kova (it enforces ${Object.keys(STORED).join(', ')}).`,
        );
      }
      // get_settable_quotas: at least what is used now (-1 is infinite), unless forced.
      const minimum = used[key] ?? 0;
      if (!force && value !== -1 && value < minimum) {
        throw new ApiError(
          400,
          `Quota limit ${value} for ${key} must be greater than or equal to already used and reserved ${minimum}.`,
        );
      }
      changes[STORED[key]!] = value;
    }
    const current = await quotaOf(project);
    const client = ctx.clientFor(p);
    let written: ProjectQuota;
    try {
      if (current) {
        // A merge patch of the limits: the operator keeps writing status.used, so a replace
        // with the cached resourceVersion could meet a conflict.
        written = await client.patch(objectPath(PROJECT_QUOTAS, QUOTA_NAME, project.namespace), {
          spec: changes,
        });
      } else {
        written = await client.create(collectionPath(PROJECT_QUOTAS, project.namespace), {
          apiVersion: API_VERSION,
          kind: 'ProjectQuota',
          metadata: { name: QUOTA_NAME, namespace: project.namespace },
          spec: changes,
        } satisfies ProjectQuota);
      }
    } catch (e) {
      kubeError(e, QS('update'));
    }
    await (await ctx.caches.get<ProjectQuota>(PROJECT_QUOTAS)).observe(written);
    return formatQuotaSet(undefined, projectLimits(written), filteredAt(request));
  });

  app.delete<{ Params: { id: string } }>(`${P}/:id`, async (request, reply) => {
    const p = principalOf(request);
    validateQuery(request, USER_QUERY);
    enforce(p, QS('delete'), 'admin');
    const project = ctx.identity.projectById(request.params.id);
    const current = project && (await quotaOf(project));
    if (project && current) {
      // Back to the defaults: the limits go, the object (and its status.used) stays.
      try {
        const written = await ctx
          .clientFor(p)
          .patch<ProjectQuota>(objectPath(PROJECT_QUOTAS, QUOTA_NAME, project.namespace), {
            spec: Object.fromEntries(Object.keys(current.spec).map((k) => [k, null])),
          });
        await (await ctx.caches.get<ProjectQuota>(PROJECT_QUOTAS)).observe(written);
      } catch (e) {
        if (!(e instanceof KubeError && e.code === 404)) kubeError(e, QS('delete'));
      }
    }
    return reply.code(202).send();
  });

  // os-quota-class-sets: every class is the operator's defaults (QUOTA_RESOURCES), which live in
  // code, not in an object. An update is validated and answered as Nova answers it when its limits
  // are kept elsewhere (unified limits): the values do not change.
  const QCS = `${COMPUTE_PREFIX}/os-quota-class-sets`;
  /** Before 2.50 the class view lacked server_groups and server_group_members (bug 1693168). */
  const classFiltered = (request: FastifyRequest): string[] =>
    version(request).matches('2.57')
      ? FILTERED_2_57
      : version(request).matches('2.50')
        ? FILTERED_2_36
        : ['server_groups', 'server_group_members'];

  app.get<{ Params: { id: string } }>(`${QCS}/:id`, async (request) => {
    enforce(principalOf(request), 'os_compute_api:os-quota-class-sets:show', 'admin');
    const shown = formatQuotaSet(request.params.id, defaultQuotas(), classFiltered(request)).quota_set;
    return { quota_class_set: shown };
  });

  app.put<{ Params: { id: string } }>(`${QCS}/:id`, async (request) => {
    const p = principalOf(request);
    validateBody(request, CLASS_UPDATE);
    enforce(p, 'os_compute_api:os-quota-class-sets:update', 'admin');
    if (request.params.id.length > 255) {
      throw new ApiError(400, 'Invalid input received: quota_class_name has more than 255 characters.');
    }
    return { quota_class_set: formatQuotaSet(undefined, defaultQuotas(), classFiltered(request)).quota_set };
  });

  app.get(`${COMPUTE_PREFIX}/limits`, async (request) => {
    const p = principalOf(request);
    const q = validateQuery(request, LIMITS_QUERY);
    let project = ctx.identity.projectById(p.projectId);
    if (q.tenant_id !== undefined) {
      enforce(p, 'os_compute_api:limits:other_project', 'admin');
      project = ctx.identity.projectById(q.tenant_id);
    }
    const v = version(request);
    const filtered = v.matches('2.57') ? LIMITS_FILTERED_2_57 : v.matches('2.36') ? LIMITS_FILTERED_2_36 : [];
    const maxImageMeta = !v.matches('2.39');
    // An unknown tenant_id has no quota rows: Nova answers the defaults with nothing in use.
    if (project) await readable(p, project, 'os_compute_api:limits');
    const limits = projectLimits(project && (await quotaOf(project)));
    const used = project ? await inUse(project) : {};
    return limitsView(limits, used, filtered, maxImageMeta);
  });
}
