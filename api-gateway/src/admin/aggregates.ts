// os-aggregates (nova/api/openstack/compute/aggregates.py, schemas/aggregates.py and
// compute/api.py AggregateAPI), on Aggregate objects. Nova keeps an aggregate's zone in the
// metadata key availability_zone; Kova keeps it in spec.availabilityZone and shows it in both
// places, as Nova does. The integer id is the one the operator's aggregate controller assigns
// (status.id): a create waits until the cache has it. Writes go through the admin's impersonated
// client, read-modify-replace with the object's resourceVersion, so a concurrent change is retried
// on the fresh object, never lost.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { API_VERSION } from '../../../operator/src/api/kind.ts';
import type { Aggregate, ComputeHost, Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { AGGREGATES } from '../../../operator/src/controllers/aggregate.ts';
import { COMPUTE_HOSTS } from '../../../operator/src/controllers/computehost.ts';
import { SERVERS } from '../../../operator/src/controllers/server.ts';
import { isConflict } from '../../../operator/src/kube/client.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
import {
  COMPUTE_PREFIX,
  type GatewayContext,
  type Principal,
  enforce,
  kubeError,
  principalOf,
} from '../context.ts';
import { ApiError } from '../errors.ts';
import { types } from '../servers/validation.ts';
import { type Schema, type Versioned, pyRepr, validateBody, FQDN } from '../validation.ts';
import { novaTime, validateInteger } from '../compute/common.ts';
import { actionKey } from '../servers/actionschemas.ts';
import { recheckWrite } from '../recheck.ts';
import { adminRead } from './hosts.ts';

const POLICY = 'os_compute_api:os-aggregates';
export const AZ_KEY = 'availability_zone';

// --- schemas (schemas/aggregates.py) ---
const NAME: Schema = types.name;
const NAME_SPACES: Schema = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  format: 'name_with_leading_trailing_spaces',
};
const AZ: Schema = {
  oneOf: [{ type: 'string', minLength: 1, maxLength: 255, format: 'az_name' }, { type: 'null' }],
};
const AZ_SPACES: Schema = {
  oneOf: [
    { type: 'string', minLength: 1, maxLength: 255, format: 'az_name_with_leading_trailing_spaces' },
    { type: 'null' },
  ],
};
const wrap = (key: string, inner: Schema): Schema => ({
  type: 'object',
  properties: { [key]: inner },
  required: [key],
  additionalProperties: false,
});
const aggregateBody = (name: Schema, az: Schema, update: boolean): Schema =>
  wrap('aggregate', {
    type: 'object',
    properties: { name, availability_zone: az },
    additionalProperties: false,
    ...(update
      ? { anyOf: [{ required: ['name'] }, { required: ['availability_zone'] }] }
      : { required: ['name'] }),
  });
export const CREATE: Versioned[] = [
  { schema: aggregateBody(NAME_SPACES, AZ_SPACES, false), max: '2.0' },
  { schema: aggregateBody(NAME, AZ, false), min: '2.1' },
];
export const UPDATE: Versioned[] = [
  { schema: aggregateBody(NAME_SPACES, AZ_SPACES, true), max: '2.0' },
  { schema: aggregateBody(NAME_SPACES, AZ, true), min: '2.1' },
];
const hostAction = (key: string): Schema =>
  wrap(key, { type: 'object', properties: { host: FQDN }, required: ['host'], additionalProperties: false });
export const ADD_HOST = hostAction('add_host');
export const REMOVE_HOST = hostAction('remove_host');
export const SET_METADATA = wrap('set_metadata', {
  type: 'object',
  properties: {
    metadata: {
      type: 'object',
      patternProperties: { '^[a-zA-Z0-9-_:. ]{1,255}$': { type: ['string', 'null'], maxLength: 255 } },
      additionalProperties: false,
    },
  },
  required: ['metadata'],
  additionalProperties: false,
});

// --- views ---
/** Nova's metadata of an aggregate: its metadata plus availability_zone. */
export function aggregateMetadata(a: Aggregate): Record<string, string> {
  return { ...a.spec.metadata, ...(a.spec.availabilityZone ? { [AZ_KEY]: a.spec.availabilityZone } : {}) };
}

/** When the aggregate's spec last changed after its creation (Nova's updated_at), if it did. */
function updatedAt(a: Aggregate): string | undefined {
  const created = a.metadata.creationTimestamp ?? '';
  const entries = (a.metadata as { managedFields?: { time?: string; subresource?: string }[] }).managedFields;
  const times = (entries ?? [])
    .filter((f) => f.subresource !== 'status' && f.time && f.time > created)
    .map((f) => f.time!)
    .sort();
  return times.at(-1);
}

/** _marshall_aggregate: the object's fields (uuid from 2.41) and availability_zone. */
export function aggregateView(a: Aggregate, request: FastifyRequest, full = true): Record<string, unknown> {
  const v: Record<string, unknown> = {
    availability_zone: a.spec.availabilityZone ?? null,
    created_at: novaTime(a.metadata.creationTimestamp),
    deleted: false,
    deleted_at: null,
    id: a.status?.id ?? null,
    name: a.spec.name,
    updated_at: novaTime(updatedAt(a)),
  };
  if (full) {
    v.hosts = a.spec.hosts ?? [];
    v.metadata = aggregateMetadata(a);
  }
  if (request.microversion?.matches('2.41')) v.uuid = a.metadata.uid;
  return v;
}

/** Nova's common.normalize_name: surrounding whitespace dropped. */
const normalize = (s: string): string => s.trim();

/** utils.validate_integer(id, 'id'). */
const aggregateId = (raw: string): number => validateInteger(raw, 'id');

/** The zone each host is in by its aggregates (hosts in none: absent). */
export function zonesOfHosts(aggregates: readonly Aggregate[]): Map<string, string> {
  const zones = new Map<string, string>();
  for (const a of aggregates) {
    if (!a.spec.availabilityZone) continue;
    for (const h of a.spec.hosts ?? []) if (!zones.has(h)) zones.set(h, a.spec.availabilityZone);
  }
  return zones;
}

type Action = 'add' | 'update' | 'update_meta' | 'delete';
const INVALID: Record<Action, (id: number) => string> = {
  add: (id) => `Cannot add host to aggregate ${id}.`,
  update: (id) => `Cannot update aggregate ${id}.`,
  update_meta: (id) => `Cannot update metadata of aggregate ${id}.`,
  delete: (id) => `Cannot remove host from aggregate ${id}.`,
};
const invalid = (status: number, action: Action, id: number, reason: string) =>
  new ApiError(status, `${INVALID[action](id)} Reason: ${reason}.`);

export function registerAggregates(app: FastifyInstance, ctx: GatewayContext): void {
  const P = `${COMPUTE_PREFIX}/os-aggregates`;
  const aggregates = () => ctx.caches.get<Aggregate>(AGGREGATES);

  async function find(id: number): Promise<Aggregate> {
    const a = (await aggregates()).list().find((x) => x.status?.id === id);
    if (!a) throw new ApiError(404, `Aggregate ${id} could not be found.`);
    return a;
  }

  /**
   * AggregateAPI.is_safe_to_update_az: a new zone may not be empty, may not put a host in two
   * zones, and (updates) may not move hosts that have servers.
   */
  async function checkZone(
    a: Aggregate,
    zone: string | null | undefined,
    action: Action,
    status: number,
    hosts = a.spec.hosts ?? [],
    checkInstances = false,
  ): Promise<void> {
    const id = a.status!.id!;
    if (!zone)
      throw invalid(
        status,
        action,
        id,
        `Aggregate ${a.spec.name} does not support empty named availability zone`,
      );
    const conflicting = (await aggregates())
      .list()
      .filter(
        (o) =>
          o.metadata.uid !== a.metadata.uid &&
          o.spec.availabilityZone &&
          o.spec.availabilityZone !== zone &&
          (o.spec.hosts ?? []).some((h) => hosts.includes(h)),
      )
      .map((o) => o.spec.availabilityZone);
    if (conflicting.length) {
      throw invalid(
        status,
        action,
        id,
        `One or more hosts already in availability zone(s) ${pyRepr(conflicting)}`,
      );
    }
    if (checkInstances && a.spec.availabilityZone !== zone && hosts.length) {
      const servers = (await ctx.caches.get<Server>(SERVERS)).list();
      if (servers.some((s) => s.status?.host && hosts.includes(s.status.host))) {
        throw invalid(status, action, id, 'One or more hosts contain instances in this zone');
      }
    }
  }

  /** Read-modify-replace of the aggregate, retried on a concurrent change; waits for the cache. */
  async function mutate(
    p: Principal,
    a: Aggregate,
    action: string,
    change: (fresh: Aggregate) => Promise<void> | void,
  ): Promise<Aggregate> {
    const client = ctx.clientFor(p);
    const path = objectPath(AGGREGATES, a.metadata.name!);
    for (let attempt = 0; ; attempt++) {
      try {
        const fresh = attempt === 0 ? structuredClone(a) : await client.get<Aggregate>(path);
        await change(fresh);
        const written = await client.replace(path, fresh);
        await (await aggregates()).observe(written);
        return written;
      } catch (e) {
        if (isConflict(e) && attempt < 5) continue;
        kubeError(e, `${POLICY}:${action}`, `Aggregate ${a.status?.id} could not be found.`);
      }
    }
  }

  const nameTaken = async (name: string, except?: string) =>
    (await aggregates()).list().some((o) => o.spec.name === name && o.metadata.uid !== except);

  app.get(P, async (request) => {
    await adminRead(ctx, request, `${POLICY}:index`, AGGREGATES);
    const items = (await aggregates())
      .list()
      .filter((a) => a.status?.id)
      .sort((x, y) => x.status!.id! - y.status!.id!);
    return { aggregates: items.map((a) => aggregateView(a, request)) };
  });

  app.post(P, async (request) => {
    // As Nova: the body's schema is checked before the policy (the validation decorator is outside).
    const p = principalOf(request);
    const body = validateBody<{ aggregate: { name: string; availability_zone?: string | null } }>(
      request,
      CREATE,
    );
    enforce(p, `${POLICY}:create`, 'admin');
    const name = normalize(body.aggregate.name);
    const zone = body.aggregate.availability_zone ? normalize(body.aggregate.availability_zone) : undefined;
    if (await nameTaken(name)) throw new ApiError(409, `Aggregate ${name} already exists.`);
    const manifest: Aggregate = {
      apiVersion: API_VERSION,
      kind: 'Aggregate',
      metadata: { generateName: 'aggregate-' },
      spec: { name, ...(zone ? { availabilityZone: zone } : {}) },
    };
    let created: Aggregate;
    try {
      created = await ctx.clientFor(p).create(collectionPath(AGGREGATES), manifest);
    } catch (e) {
      kubeError(e, `${POLICY}:create`);
    }
    // The name is unique under concurrent writes too: the one written first (by revision) keeps it.
    await recheckWrite({
      kube: ctx.kube,
      collection: collectionPath(AGGREGATES),
      written: [created],
      refuse: (asCreated) =>
        asCreated.some((o) => o.spec.name === name && o.metadata.uid !== created.metadata.uid)
          ? new ApiError(409, `Aggregate ${name} already exists.`)
          : undefined,
      undo: () =>
        ctx
          .clientFor(p)
          .delete(objectPath(AGGREGATES, created.metadata.name!))
          .catch((e: unknown) => kubeError(e, `${POLICY}:create`)),
    });
    // The id is the operator's to give (one writer, never reused): wait until it has.
    const c = await aggregates();
    const named = () => c.get(created.metadata.name!);
    if (!(await c.waitUntil(() => Boolean(named()?.status?.id), 10_000))) {
      throw new ApiError(503, 'The aggregate was created but has no id yet; list aggregates to find it.');
    }
    return { aggregate: aggregateView(named()!, request, false) };
  });

  app.get<{ Params: { id: string } }>(`${P}/:id`, async (request) => {
    await adminRead(ctx, request, `${POLICY}:show`, AGGREGATES);
    return { aggregate: aggregateView(await find(aggregateId(request.params.id)), request) };
  });

  app.put<{ Params: { id: string } }>(`${P}/:id`, async (request) => {
    const p = principalOf(request);
    const body = validateBody<{ aggregate: { name?: string; availability_zone?: string | null } }>(
      request,
      UPDATE,
    );
    enforce(p, `${POLICY}:update`, 'admin');
    const a = await find(aggregateId(request.params.id));
    const updates = body.aggregate;
    const name = updates.name === undefined ? undefined : normalize(updates.name);
    if (name !== undefined && (await nameTaken(name, a.metadata.uid))) {
      throw new ApiError(409, `Aggregate ${name} already exists.`);
    }
    if ('availability_zone' in updates)
      await checkZone(a, updates.availability_zone, 'update', 400, undefined, true);
    const written = await mutate(p, a, 'update', (fresh) => {
      if (name !== undefined) fresh.spec.name = name;
      if (updates.availability_zone) fresh.spec.availabilityZone = updates.availability_zone;
    });
    if (name !== undefined && name !== a.spec.name) {
      // As a create: of racing claims of a name, the later write gives it back.
      await recheckWrite({
        kube: ctx.kube,
        collection: collectionPath(AGGREGATES),
        written: [written],
        refuse: (asWritten) =>
          asWritten.some((o) => o.spec.name === name && o.metadata.uid !== a.metadata.uid)
            ? new ApiError(409, `Aggregate ${name} already exists.`)
            : undefined,
        undo: () =>
          mutate(p, written, 'update', (fresh) => {
            if (fresh.spec.name === name) fresh.spec.name = a.spec.name;
          }),
      });
    }
    return { aggregate: aggregateView(written, request) };
  });

  app.delete<{ Params: { id: string } }>(`${P}/:id`, async (request, reply) => {
    const p = principalOf(request);
    enforce(p, `${POLICY}:delete`, 'admin');
    const id = aggregateId(request.params.id);
    const a = await find(id);
    if (a.spec.hosts?.length) throw invalid(400, 'delete', id, 'Host aggregate is not empty');
    try {
      // The precondition makes the emptiness check and the delete one step.
      await ctx.clientFor(p).delete(objectPath(AGGREGATES, a.metadata.name!), {
        preconditions: { resourceVersion: a.metadata.resourceVersion },
      });
    } catch (e) {
      if (isConflict(e))
        throw new ApiError(409, `Aggregate ${id} changed while it was being deleted; retry.`);
      kubeError(e, `${POLICY}:delete`, `Aggregate ${id} could not be found.`);
    }
    await (await aggregates()).observeDeleted(a.metadata.name!, a.metadata.uid);
    return reply.code(200).send();
  });

  app.post<{ Params: { id: string } }>(`${P}/:id/action`, async (request) => {
    const p = principalOf(request);
    const key = actionKey(request.body);
    if (!['add_host', 'remove_host', 'set_metadata'].includes(key)) {
      throw new ApiError(400, `There is no such action: ${key}`);
    }
    const schema = key === 'add_host' ? ADD_HOST : key === 'remove_host' ? REMOVE_HOST : SET_METADATA;
    validateBody(request, schema);
    enforce(p, `${POLICY}:${key}`, 'admin');
    if (key === 'add_host') {
      const host = (request.body as { add_host: { host: string } }).add_host.host;
      const id = aggregateId(request.params.id);
      const computeHosts = await ctx.caches.get<ComputeHost>(COMPUTE_HOSTS);
      if (!computeHosts.get(host)) throw new ApiError(404, `Compute host ${host} could not be found.`);
      const a = await find(id);
      const written = await mutate(p, a, key, async (fresh) => {
        if (fresh.spec.hosts?.includes(host))
          throw new ApiError(409, `Aggregate ${id} already has host ${host}.`);
        if (fresh.spec.availabilityZone)
          await checkZone(fresh, fresh.spec.availabilityZone, 'add', 409, [host]);
        fresh.spec.hosts = [...(fresh.spec.hosts ?? []), host];
      });
      return { aggregate: aggregateView(written, request) };
    }
    if (key === 'remove_host') {
      const host = (request.body as { remove_host: { host: string } }).remove_host.host;
      const id = aggregateId(request.params.id);
      const a = await find(id).catch(() => {
        throw new ApiError(404, `Cannot remove host ${host} in aggregate ${request.params.id}`);
      });
      const written = await mutate(p, a, key, (fresh) => {
        if (!fresh.spec.hosts?.includes(host)) {
          throw new ApiError(404, `Cannot remove host ${host} in aggregate ${request.params.id}`);
        }
        fresh.spec.hosts = fresh.spec.hosts.filter((h) => h !== host);
        if (!fresh.spec.hosts.length) delete fresh.spec.hosts;
      });
      return { aggregate: aggregateView(written, request) };
    }
    const metadata = (request.body as { set_metadata: { metadata: Record<string, string | null> } })
      .set_metadata.metadata;
    const a = await find(aggregateId(request.params.id));
    if (AZ_KEY in metadata) await checkZone(a, metadata[AZ_KEY], 'update_meta', 400, undefined, true);
    const written = await mutate(p, a, key, (fresh) => {
      // Aggregate.update_metadata: a null value deletes the key, others set it.
      const md = { ...fresh.spec.metadata };
      for (const [k, v] of Object.entries(metadata)) {
        if (k === AZ_KEY) {
          if (v) fresh.spec.availabilityZone = v;
        } else if (v === null) delete md[k];
        else md[k] = v;
      }
      if (Object.keys(md).length) fresh.spec.metadata = md;
      else delete fresh.spec.metadata;
    });
    return { aggregate: aggregateView(written, request) };
  });
}
