// Flavors (nova/api/openstack/compute/flavors.py, flavor_manage.py, flavors_extraspecs.py,
// flavor_access.py, views/flavors.py). Reads come from the Flavor informer, RBAC-checked;
// create/update/delete, extra specs and access writes go to the apiserver as the user.
import { randomUUID, createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Flavor, flavorId } from '../../../operator/src/api/v1alpha1/flavor.ts';
import { API_VERSION } from '../../../operator/src/api/kind.ts';
import { FLAVORS } from '../../../operator/src/controllers/server.ts';
import { isConflict } from '../../../operator/src/kube/client.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
import type { Cache } from '../cache.ts';
import {
  COMPUTE_PREFIX,
  type GatewayContext,
  type Principal,
  allows,
  enforce,
  kubeError,
  principalOf,
} from '../context.ts';
import { ApiError } from '../errors.ts';
import {
  BOOLEAN,
  type Schema,
  type Versioned,
  intParam,
  querySchema,
  toBool,
  validateBody,
  validateQuery,
} from '../validation.ts';
import { collectionLinks, limitAndMarker, paginate, resourceLinks } from './common.ts';

const MANAGE = 'os_compute_api:os-flavor-manage';
const EXTRA_SPECS = 'os_compute_api:os-flavor-extra-specs';
const ACCESS = 'os_compute_api:os-flavor-access';

export const FLAVOR_DESCRIPTION_MICROVERSION = '2.55';
export const FLAVOR_EXTRA_SPECS_MICROVERSION = '2.61';

// --- schemas (nova/api/openstack/compute/schemas/flavor_manage.py, flavors.py, ...) ---

const NAME: Schema = { type: 'string', minLength: 1, maxLength: 255, format: 'name' };
const DESCRIPTION: Schema = {
  type: ['string', 'null'],
  minLength: 0,
  maxLength: 65535,
  pattern: '^[\\P{C}\\s]*$',
};
const FLAVOR_PROPS: Record<string, Schema> = {
  name: NAME,
  id: {
    type: ['string', 'number', 'null'],
    minLength: 1,
    maxLength: 255,
    pattern: '^(?! )[a-zA-Z0-9. _-]+(?<! )$',
  },
  ram: intParam(1),
  vcpus: intParam(1),
  disk: intParam(0),
  'OS-FLV-EXT-DATA:ephemeral': intParam(0),
  swap: intParam(0),
  rxtx_factor: {
    type: ['number', 'string'],
    pattern: '^[0-9]+(\\.[0-9]+)?$',
    exclusiveMinimum: 0,
    stringExclusiveMinimum: 0,
    maximum: 3.40282e38,
    stringMaximum: 3.40282e38,
  },
  'os-flavor-access:is_public': BOOLEAN,
};
const createSchema = (withDescription: boolean): Schema => ({
  type: 'object',
  properties: {
    flavor: {
      type: 'object',
      properties: withDescription ? { ...FLAVOR_PROPS, description: DESCRIPTION } : FLAVOR_PROPS,
      required: ['name', 'ram', 'vcpus', 'disk'],
      additionalProperties: false,
    },
  },
  required: ['flavor'],
  additionalProperties: false,
});
export const CREATE: Versioned[] = [
  { schema: createSchema(false), min: '2.1', max: '2.54' },
  { schema: createSchema(true), min: FLAVOR_DESCRIPTION_MICROVERSION },
];
export const UPDATE: Schema = {
  type: 'object',
  properties: {
    flavor: {
      type: 'object',
      properties: { description: DESCRIPTION },
      required: ['description'],
      additionalProperties: false,
    },
  },
  required: ['flavor'],
  additionalProperties: false,
};
const SORT_KEYS = [
  'created_at',
  'description',
  'disabled',
  'ephemeral_gb',
  'flavorid',
  'id',
  'is_public',
  'memory_mb',
  'name',
  'root_gb',
  'rxtx_factor',
  'swap',
  'updated_at',
  'vcpu_weight',
  'vcpus',
];
const indexQuery = (additional: boolean): Schema =>
  querySchema(
    {
      limit: intParam(0, Number.MAX_SAFE_INTEGER, '^[0-9]*$'),
      marker: { type: 'string' },
      is_public: { type: 'string' },
      minRam: { type: 'string' },
      minDisk: { type: 'string' },
      sort_key: { type: 'string', enum: SORT_KEYS },
      sort_dir: { type: 'string', enum: ['asc', 'desc'] },
    },
    additional,
  );
export const INDEX_QUERY: Versioned[] = [
  { schema: indexQuery(true), max: '2.74' },
  { schema: indexQuery(false), min: '2.75' },
];
const EXTRA_SPEC_VALUES: Schema = {
  type: 'object',
  patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: ['string', 'number'], maxLength: 255 } },
  additionalProperties: false,
};
export const EXTRA_SPECS_CREATE: Schema = {
  type: 'object',
  properties: { extra_specs: EXTRA_SPEC_VALUES },
  required: ['extra_specs'],
  additionalProperties: false,
};
export const EXTRA_SPECS_UPDATE: Schema = { ...EXTRA_SPEC_VALUES, minProperties: 1, maxProperties: 1 };
const tenantAction = (action: string): Schema => ({
  type: 'object',
  properties: {
    [action]: {
      type: 'object',
      properties: { tenant: { type: 'string', minLength: 1, maxLength: 255 } },
      required: ['tenant'],
      additionalProperties: false,
    },
  },
  required: [action],
  additionalProperties: false,
});
export const ADD_TENANT_ACCESS = tenantAction('addTenantAccess');
export const REMOVE_TENANT_ACCESS = tenantAction('removeTenantAccess');

// --- views (views/flavors.py) ---

const supports = (request: FastifyRequest, v: string) => request.microversion?.matches(v) ?? false;

export function flavorView(request: FastifyRequest, f: Flavor, principal: Principal, detail = true) {
  const id = flavorId(f);
  const s = f.spec;
  const view: Record<string, unknown> = { id, name: s.name };
  if (detail) {
    Object.assign(view, {
      ram: s.ram,
      disk: s.disk,
      swap: s.swap || (supports(request, '2.75') ? 0 : ''),
      'OS-FLV-EXT-DATA:ephemeral': s.ephemeral,
      'OS-FLV-DISABLED:disabled': false,
      vcpus: s.vcpus,
      'os-flavor-access:is_public': s.isPublic,
      rxtx_factor: s.rxtxFactor || '',
    });
  }
  view.links = resourceLinks(request, id, 'flavors');
  if (supports(request, FLAVOR_DESCRIPTION_MICROVERSION)) view.description = s.description ?? null;
  if (detail && supports(request, FLAVOR_EXTRA_SPECS_MICROVERSION) && allows(principal, 'project_reader')) {
    view.extra_specs = s.extraSpecs ?? {};
  }
  return view;
}

/** Whether the principal's project may use the flavor (public, or on its access list), or is admin for reads. */
export function visibleTo(f: Flavor, p: Principal): boolean {
  return p.isAdmin || f.spec.isPublic || (f.spec.access ?? []).includes(p.projectId);
}

/** The Kubernetes name for a flavor id: the id itself when it is a valid object name. */
export function flavorObjectName(id: string): string {
  return /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(id) && !id.includes('..')
    ? id
    : `flavor-${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
}

const notFound = (id: string) => new ApiError(404, `Flavor ${id} could not be found.`);

function parseIsPublic(raw: string | undefined): boolean | null {
  if (raw === undefined) return true;
  if (raw.toLowerCase() === 'none') return null;
  const v = raw.toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(v)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(v)) return false;
  throw new ApiError(400, `Invalid is_public filter [${raw}]`);
}

function parseIntFilter(raw: string, name: string): number {
  if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw new ApiError(400, `Invalid ${name} filter [${raw}]`);
  return Number(raw);
}

const SORT_VALUE: Record<string, (f: Flavor) => string | number | boolean> = {
  created_at: (f) => f.metadata.creationTimestamp ?? '',
  updated_at: (f) => f.metadata.creationTimestamp ?? '',
  id: (f) => f.metadata.creationTimestamp ?? '',
  description: (f) => f.spec.description ?? '',
  disabled: () => false,
  vcpu_weight: () => 0,
  ephemeral_gb: (f) => f.spec.ephemeral,
  flavorid: (f) => flavorId(f),
  is_public: (f) => f.spec.isPublic,
  memory_mb: (f) => f.spec.ram,
  name: (f) => f.spec.name,
  root_gb: (f) => f.spec.disk,
  rxtx_factor: (f) => f.spec.rxtxFactor,
  swap: (f) => f.spec.swap,
  vcpus: (f) => f.spec.vcpus,
};

function compare(a: string | number | boolean, b: string | number | boolean): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function registerFlavors(app: FastifyInstance, ctx: GatewayContext): void {
  const cache = (): Promise<Cache<Flavor>> => ctx.caches.get<Flavor>(FLAVORS);

  /** The flavor the principal may see by Nova id, RBAC-checked, or 404. */
  async function getFlavor(p: Principal, id: string): Promise<Flavor> {
    await ctx.authorize(p, 'get', FLAVORS, undefined, 'os_compute_api:flavors:show');
    const f = (await cache()).list().find((x) => flavorId(x) === id);
    if (!f || !visibleTo(f, p)) throw notFound(id);
    return f;
  }

  async function listFlavors(request: FastifyRequest): Promise<{ page: Flavor[]; all: Flavor[] }> {
    const p = principalOf(request);
    const q = validateQuery(request, INDEX_QUERY);
    await ctx.authorize(p, 'list', FLAVORS, undefined, 'os_compute_api:flavors:index');
    const isPublic = p.isAdmin ? parseIsPublic(q.is_public) : true;
    const minRam = q.minRam !== undefined ? parseIntFilter(q.minRam, 'minRam') : undefined;
    const minDisk = q.minDisk !== undefined ? parseIntFilter(q.minDisk, 'minDisk') : undefined;
    const { limit, marker } = limitAndMarker(q);
    const key = SORT_VALUE[q.sort_key || 'flavorid']!;
    const dir = (q.sort_dir || 'asc') === 'asc' ? 1 : -1;
    const all = (await cache())
      .list()
      .filter((f) =>
        isPublic === null
          ? true
          : f.spec.isPublic === isPublic || (isPublic && (f.spec.access ?? []).includes(p.projectId)),
      )
      .filter((f) => minRam === undefined || f.spec.ram >= minRam)
      .filter((f) => minDisk === undefined || f.spec.disk >= minDisk)
      .sort((a, b) => dir * compare(key(a), key(b)) || dir * compare(flavorId(a), flavorId(b)));
    return { page: paginate(all, flavorId, limit, marker), all };
  }

  /**
   * Replaces the flavor with change(flavor), guarded by its resourceVersion; on a conflict (a
   * concurrent write, or a cache behind one) re-reads it from the apiserver and applies change again.
   */
  async function write(
    p: Principal,
    action: string,
    id: string,
    change: (f: Flavor) => Flavor,
  ): Promise<Flavor> {
    let f = await getFlavor(p, id);
    const client = ctx.clientFor(p);
    const path = objectPath(FLAVORS, f.metadata.name!);
    const missing = `Flavor ${id} could not be found.`;
    for (let attempt = 1; ; attempt++) {
      try {
        const updated = await client.replace<Flavor>(path, change(f));
        await (await cache()).observe(updated);
        return updated;
      } catch (e) {
        if (!isConflict(e) || attempt >= 10) kubeError(e, action, missing);
        f = await client.get<Flavor>(path).catch((err: unknown) => kubeError(err, action, missing));
      }
    }
  }

  /** A JSON merge patch of the flavor's spec (extra specs, description): no read-modify-write race. */
  async function patchSpec(
    p: Principal,
    action: string,
    id: string,
    spec: Record<string, unknown>,
  ): Promise<Flavor> {
    const f = await getFlavor(p, id);
    let updated: Flavor;
    try {
      updated = await ctx.clientFor(p).patch<Flavor>(objectPath(FLAVORS, f.metadata.name!), { spec });
    } catch (e) {
      kubeError(e, action, `Flavor ${id} could not be found.`);
    }
    await (await cache()).observe(updated);
    return updated;
  }

  const P = COMPUTE_PREFIX;

  app.get(`${P}/flavors`, async (request) => {
    const p = principalOf(request);
    const { page } = await listFlavors(request);
    const flavors = page.map((f) => flavorView(request, f, p, false));
    const links = collectionLinks(request, flavors as { id: string }[], 'flavors');
    return { flavors, ...(links.length ? { flavors_links: links } : {}) };
  });

  app.get(`${P}/flavors/detail`, async (request) => {
    const p = principalOf(request);
    const { page } = await listFlavors(request);
    const flavors = page.map((f) => flavorView(request, f, p));
    const links = collectionLinks(request, flavors as { id: string }[], 'flavors/detail');
    return { flavors, ...(links.length ? { flavors_links: links } : {}) };
  });

  app.get<{ Params: { id: string } }>(`${P}/flavors/:id`, async (request) => {
    const p = principalOf(request);
    return { flavor: flavorView(request, await getFlavor(p, request.params.id), p) };
  });

  app.post(`${P}/flavors`, async (request) => {
    const p = principalOf(request);
    enforce(p, `${MANAGE}:create`, 'admin');
    const body = validateBody<{ flavor: Record<string, unknown> }>(request, CREATE).flavor;
    const id = body.id === undefined || body.id === null ? randomUUID() : String(body.id);
    const name = String(body.name);
    const existing = (await cache()).list();
    if (existing.some((f) => flavorId(f) === id))
      throw new ApiError(409, `Flavor with ID ${id} already exists.`);
    if (existing.some((f) => f.spec.name === name))
      throw new ApiError(409, `Flavor with name ${name} already exists.`);
    const description = supports(request, FLAVOR_DESCRIPTION_MICROVERSION) ? body.description : undefined;
    const manifest: Flavor = {
      apiVersion: API_VERSION,
      kind: 'Flavor',
      metadata: { name: flavorObjectName(id) },
      spec: {
        id,
        name,
        ram: Number(body.ram),
        vcpus: Number(body.vcpus),
        disk: Number(body.disk),
        ephemeral: Number(body['OS-FLV-EXT-DATA:ephemeral'] ?? 0),
        swap: Number(body.swap ?? 0),
        rxtxFactor: Number(body.rxtx_factor ?? 1),
        isPublic:
          body['os-flavor-access:is_public'] === undefined
            ? true
            : toBool(body['os-flavor-access:is_public']),
        ...(typeof description === 'string' ? { description } : {}),
      },
    };
    let created: Flavor;
    try {
      created = await ctx.clientFor(p).create(collectionPath(FLAVORS), manifest);
    } catch (e) {
      kubeError(e, `${MANAGE}:create`, undefined, `Flavor with ID ${id} already exists.`);
    }
    await (await cache()).observe(created);
    return { flavor: flavorView(request, created, p) };
  });

  app.put<{ Params: { id: string } }>(`${P}/flavors/:id`, async (request) => {
    if (!supports(request, FLAVOR_DESCRIPTION_MICROVERSION))
      throw new ApiError(404, 'The resource could not be found.');
    const p = principalOf(request);
    enforce(p, `${MANAGE}:update`, 'admin');
    const { description } = validateBody<{ flavor: { description: string | null } }>(request, UPDATE).flavor;
    const updated = await patchSpec(p, `${MANAGE}:update`, request.params.id, { description });
    return { flavor: flavorView(request, updated, p) };
  });

  app.delete<{ Params: { id: string } }>(`${P}/flavors/:id`, async (request, reply) => {
    const p = principalOf(request);
    enforce(p, `${MANAGE}:delete`, 'admin');
    const f = await getFlavor(p, request.params.id);
    try {
      await ctx.clientFor(p).delete(objectPath(FLAVORS, f.metadata.name!));
    } catch (e) {
      kubeError(e, `${MANAGE}:delete`, `Flavor ${request.params.id} could not be found.`);
    }
    await (await cache()).observeDeleted(f.metadata.name!, f.metadata.uid);
    return reply.code(202).send();
  });

  // --- extra specs ---
  const specs = `${P}/flavors/:id/os-extra_specs`;
  const stringify = (o: Record<string, string | number>) =>
    Object.fromEntries(Object.entries(o).map(([k, v]) => [k, String(v)]));
  function checkValues(values: Record<string, string | number>): void {
    for (const v of Object.values(values)) {
      if (typeof v === 'number' && String(v).length > 255) {
        throw new ApiError(400, `Invalid input received: extra_specs value has more than 255 characters.`);
      }
    }
  }

  app.get<{ Params: { id: string } }>(specs, async (request) => {
    const p = principalOf(request);
    enforce(p, `${EXTRA_SPECS}:index`, 'project_reader');
    return { extra_specs: (await getFlavor(p, request.params.id)).spec.extraSpecs ?? {} };
  });
  app.post<{ Params: { id: string } }>(specs, async (request) => {
    const p = principalOf(request);
    enforce(p, `${EXTRA_SPECS}:create`, 'admin');
    const body = validateBody<{ extra_specs: Record<string, string | number> }>(request, EXTRA_SPECS_CREATE);
    checkValues(body.extra_specs);
    await patchSpec(p, `${EXTRA_SPECS}:create`, request.params.id, {
      extraSpecs: stringify(body.extra_specs),
    });
    return body;
  });
  app.get<{ Params: { id: string; key: string } }>(`${specs}/:key`, async (request) => {
    const p = principalOf(request);
    enforce(p, `${EXTRA_SPECS}:show`, 'project_reader');
    const { id, key } = request.params;
    const value = (await getFlavor(p, id)).spec.extraSpecs?.[key];
    if (value === undefined) throw new ApiError(404, `Flavor ${id} has no extra specs with key ${key}.`);
    return { [key]: value };
  });
  app.put<{ Params: { id: string; key: string } }>(`${specs}/:key`, async (request) => {
    const p = principalOf(request);
    enforce(p, `${EXTRA_SPECS}:update`, 'admin');
    const body = validateBody<Record<string, string | number>>(request, EXTRA_SPECS_UPDATE);
    checkValues(body);
    if (!(request.params.key in body)) throw new ApiError(400, 'Request body and URI mismatch');
    await patchSpec(p, `${EXTRA_SPECS}:update`, request.params.id, { extraSpecs: stringify(body) });
    return body;
  });
  app.delete<{ Params: { id: string; key: string } }>(`${specs}/:key`, async (request, reply) => {
    const p = principalOf(request);
    enforce(p, `${EXTRA_SPECS}:delete`, 'admin');
    const { id, key } = request.params;
    if ((await getFlavor(p, id)).spec.extraSpecs?.[key] === undefined) {
      throw new ApiError(404, `Flavor ${id} has no extra specs with key ${key}.`);
    }
    await patchSpec(p, `${EXTRA_SPECS}:delete`, id, { extraSpecs: { [key]: null } });
    return reply.code(200).send(); // Nova's delete has no response code of its own: 200, no body
  });

  // --- access ---
  const accessList = (f: Flavor) => ({
    flavor_access: (f.spec.access ?? []).map((t) => ({ flavor_id: flavorId(f), tenant_id: t })),
  });
  app.get<{ Params: { id: string } }>(`${P}/flavors/:id/os-flavor-access`, async (request) => {
    const p = principalOf(request);
    enforce(p, ACCESS, 'admin');
    const f = await getFlavor(p, request.params.id);
    if (f.spec.isPublic) throw new ApiError(404, 'Access list not available for public flavors.');
    return accessList(f);
  });
  app.post<{ Params: { id: string } }>(`${P}/flavors/:id/action`, async (request) => {
    const p = principalOf(request);
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length !== 1) {
      throw new ApiError(400, 'Malformed request body');
    }
    const action = Object.keys(body)[0]!;
    const id = request.params.id;
    if (action === 'addTenantAccess') {
      enforce(p, `${ACCESS}:add_tenant_access`, 'admin');
      const { tenant } = validateBody<{ addTenantAccess: { tenant: string } }>(
        request,
        ADD_TENANT_ACCESS,
      ).addTenantAccess;
      if (!ctx.identity.projectById(tenant))
        throw new ApiError(400, `Project ID ${tenant} is not a valid project.`);
      const f = await getFlavor(p, id);
      if (f.spec.isPublic && supports(request, '2.7')) {
        throw new ApiError(409, 'Can not add access to a public flavor.');
      }
      if ((f.spec.access ?? []).includes(tenant)) {
        throw new ApiError(
          409,
          `Flavor access already exists for flavor ${id} and project ${tenant} combination.`,
        );
      }
      const updated = await write(p, `${ACCESS}:add_tenant_access`, id, (x) => ({
        ...x,
        spec: { ...x.spec, access: [...(x.spec.access ?? []), tenant] },
      }));
      return accessList(updated);
    }
    if (action === 'removeTenantAccess') {
      enforce(p, `${ACCESS}:remove_tenant_access`, 'admin');
      const { tenant } = validateBody<{ removeTenantAccess: { tenant: string } }>(
        request,
        REMOVE_TENANT_ACCESS,
      ).removeTenantAccess;
      const f = await getFlavor(p, id);
      if (!(f.spec.access ?? []).includes(tenant)) {
        throw new ApiError(404, `Flavor access not found for ${id} / ${tenant} combination.`);
      }
      const updated = await write(p, `${ACCESS}:remove_tenant_access`, id, (x) => ({
        ...x,
        spec: { ...x.spec, access: (x.spec.access ?? []).filter((t) => t !== tenant) },
      }));
      return accessList(updated);
    }
    throw new ApiError(400, `There is no such action: ${action}`);
  });
}
