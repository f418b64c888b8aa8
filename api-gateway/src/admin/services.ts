// os-services (nova/api/openstack/compute/services.py, schemas/services.py): the operator's
// nova-scheduler and nova-conductor (controlservices.ts), and one nova-compute service per
// ComputeHost. Enabling, disabling (with a reason) and forcing down (2.11) write the
// ComputeHost's spec (disabled, disabledReason, forcedDown), which the scheduler reads
// (ComputeFilter); delete removes the host from its aggregates and deletes the ComputeHost.
// Ids: before 2.53 a stable integer from the ComputeHost's uid, from 2.53 the service uuid.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Aggregate, ComputeHost, Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { AGGREGATES } from '../../../operator/src/controllers/aggregate.ts';
import { COMPUTE_HOSTS } from '../../../operator/src/controllers/computehost.ts';
import { SERVERS } from '../../../operator/src/controllers/server.ts';
import { objectPath } from '../../../operator/src/kube/resources.ts';
import {
  COMPUTE_PREFIX,
  type GatewayContext,
  type Principal,
  enforce,
  kubeError,
  principalOf,
} from '../context.ts';
import { ApiError } from '../errors.ts';
import {
  BOOLEAN,
  type Schema,
  type Versioned,
  querySchema,
  toBool,
  validateBody,
  validateQuery,
  FQDN,
} from '../validation.ts';
import { novaTime, numericId, validateInteger } from '../compute/common.ts';
import { COMPUTE_BINARY, adminRead, hostsAndZones, isUuidLike, serviceIsUp, serviceUuid } from './hosts.ts';
import { controlServiceView, controlServices, leaderLease } from './controlservices.ts';

const POLICY = 'os_compute_api:os-services';

const REASON: Schema = { type: 'string', minLength: 1, maxLength: 255 };
const BINARY: Schema = { type: 'string', minLength: 1, maxLength: 255 };
const byHost = (extra: Record<string, Schema>): Schema => ({
  type: 'object',
  properties: { host: FQDN, binary: BINARY, disabled_reason: REASON, ...extra },
  required: ['host', 'binary'],
  additionalProperties: false,
});
export const UPDATE: Versioned[] = [
  { schema: byHost({}), max: '2.10' },
  { schema: byHost({ forced_down: BOOLEAN }), min: '2.11', max: '2.52' },
  {
    schema: {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['enabled', 'disabled'] },
        disabled_reason: REASON,
        forced_down: BOOLEAN,
      },
      additionalProperties: false,
    },
    min: '2.53',
  },
];
const INDEX_QUERY: Versioned[] = [
  { schema: querySchema({ host: { type: 'string' }, binary: { type: 'string' } }), max: '2.74' },
  { schema: querySchema({ host: { type: 'string' }, binary: { type: 'string' } }, false), min: '2.75' },
];

const supports = (request: FastifyRequest, v: string) => request.microversion?.matches(v) ?? false;

/** _get_service_detail for a host's nova-compute service. */
export function serviceView(ch: ComputeHost, zone: string, request: FastifyRequest): Record<string, unknown> {
  const v: Record<string, unknown> = {
    binary: COMPUTE_BINARY,
    host: ch.metadata.name,
    id: supports(request, '2.53') ? serviceUuid(ch) : numericId(ch.metadata.uid),
    zone,
    status: ch.spec.disabled ? 'disabled' : 'enabled',
    state: serviceIsUp(ch) ? 'up' : 'down',
    updated_at: novaTime(ch.status?.lastHeartbeatTime),
    disabled_reason: ch.spec.disabledReason ?? null,
  };
  if (supports(request, '2.11')) v.forced_down = ch.spec.forcedDown ?? false;
  return v;
}

const notUpdatable = (binary: string) =>
  new ApiError(
    400,
    `Updating a ${binary} service is not supported. Only nova-compute services can be updated.`,
  );

export function registerServices(app: FastifyInstance, ctx: GatewayContext): void {
  const P = `${COMPUTE_PREFIX}/os-services`;
  const hostsCache = () => ctx.caches.get<ComputeHost>(COMPUTE_HOSTS);

  /** The service a path id names: an integer before 2.53, a uuid from 2.53. */
  async function byId(request: FastifyRequest, id: string): Promise<ComputeHost | undefined> {
    const hosts = (await hostsCache()).list();
    if (supports(request, '2.53')) {
      if (!isUuidLike(id)) throw new ApiError(400, `Invalid uuid ${id}`);
      return hosts.find((h) => serviceUuid(h) === id.toLowerCase());
    }
    const n = validateInteger(id, 'id');
    return hosts.find((h) => numericId(h.metadata.uid) === n);
  }

  /** Merge-patches the ComputeHost's spec; answers the written object once the cache has it. */
  async function patchSpec(
    p: Principal,
    ch: ComputeHost,
    spec: Record<string, unknown>,
  ): Promise<ComputeHost> {
    let written: ComputeHost;
    try {
      written = await ctx
        .clientFor(p)
        .patch<ComputeHost>(objectPath(COMPUTE_HOSTS, ch.metadata.name!), { spec });
    } catch (e) {
      kubeError(
        e,
        `${POLICY}:update`,
        `Could not find binary ${COMPUTE_BINARY} on host ${ch.metadata.name}.`,
      );
    }
    await (await hostsCache()).observe(written);
    return written;
  }

  app.get(P, async (request) => {
    await adminRead(ctx, request, `${POLICY}:list`, COMPUTE_HOSTS);
    const q = validateQuery(request, INDEX_QUERY);
    const { hosts, zoneOf } = await hostsAndZones(ctx);
    const control = controlServices(await leaderLease(ctx), ctx.clock.now())
      .filter((c) => (!q.host || c.host === q.host) && (!q.binary || q.binary === c.binary))
      .map((c) => controlServiceView(c, request));
    const services = hosts
      .filter((h) => !q.host || h.metadata.name === q.host)
      .filter(() => !q.binary || q.binary === COMPUTE_BINARY)
      .map((h) => serviceView(h, zoneOf(h.metadata.name!), request));
    return { services: [...control, ...services] };
  });

  app.put<{ Params: { id: string } }>(`${P}/:id`, async (request) => {
    const p = principalOf(request);
    const id = request.params.id;
    if (supports(request, '2.53')) {
      const body = validateBody<{ status?: string; disabled_reason?: string; forced_down?: unknown }>(
        request,
        UPDATE,
      );
      if (!isUuidLike(id)) throw new ApiError(400, `Invalid uuid ${id}`);
      enforce(p, `${POLICY}:update`, 'admin');
      const ch = await byId(request, id);
      if (!ch) {
        const control = controlServices(await leaderLease(ctx), ctx.clock.now()).find(
          (c) => c.uuid === id.toLowerCase(),
        );
        if (control) throw notUpdatable(control.binary);
        throw new ApiError(404, `Service ${id} could not be found.`);
      }
      const spec: Record<string, unknown> = {};
      if (body.status === 'enabled') {
        if (body.disabled_reason) {
          throw new ApiError(400, "Specifying 'disabled_reason' with status 'enabled' is invalid.");
        }
        Object.assign(spec, { disabled: false, disabledReason: null });
      } else if (body.status === 'disabled') {
        Object.assign(spec, { disabled: true, disabledReason: body.disabled_reason ?? null });
      }
      if (body.forced_down !== undefined) spec.forcedDown = toBool(body.forced_down);
      if (!Object.keys(spec).length) {
        throw new ApiError(
          400,
          "No updates were requested. Fields 'status' or 'forced_down' should be specified.",
        );
      }
      const written = await patchSpec(p, ch, spec);
      const { zoneOf } = await hostsAndZones(ctx);
      const view = serviceView(written, zoneOf(written.metadata.name!), request);
      return { service: view };
    }
    // Before 2.53: PUT /os-services/{enable,disable,disable-log-reason,force-down} with host and binary.
    const body = validateBody<{
      host: string;
      binary: string;
      disabled_reason?: string;
      forced_down?: unknown;
    }>(request, UPDATE);
    enforce(p, `${POLICY}:update`, 'admin');
    const actions = [
      'enable',
      'disable',
      'disable-log-reason',
      ...(supports(request, '2.11') ? ['force-down'] : []),
    ];
    if (!actions.includes(id)) throw new ApiError(404, 'Unknown action');
    if (id === 'disable-log-reason' && body.disabled_reason === undefined) {
      throw new ApiError(400, 'Missing disabled reason field');
    }
    if (id === 'force-down' && body.forced_down === undefined)
      throw new ApiError(400, 'Missing forced_down field');
    if (body.binary !== COMPUTE_BINARY) throw notUpdatable(body.binary);
    const ch = (await hostsCache()).get(body.host);
    if (!ch) throw new ApiError(404, `Could not find binary ${body.binary} on host ${body.host}.`);
    const service: Record<string, unknown> = { host: body.host, binary: body.binary };
    if (id === 'force-down') {
      const forced = toBool(body.forced_down);
      await patchSpec(p, ch, { forcedDown: forced });
      return { service: { ...service, forced_down: forced } };
    }
    const reason = id === 'disable-log-reason' ? body.disabled_reason : undefined;
    const disabled = id !== 'enable';
    await patchSpec(p, ch, { disabled, disabledReason: reason ?? null });
    return {
      service: {
        ...service,
        status: disabled ? 'disabled' : 'enabled',
        ...(reason ? { disabled_reason: reason } : {}),
      },
    };
  });

  app.delete<{ Params: { id: string } }>(`${P}/:id`, async (request, reply) => {
    const p = principalOf(request);
    enforce(p, `${POLICY}:delete`, 'admin');
    const id = request.params.id;
    const ch = await byId(request, id);
    if (!ch) throw new ApiError(404, `Service ${id} not found.`);
    const host = ch.metadata.name!;
    const servers = (await ctx.caches.get<Server>(SERVERS)).list();
    if (servers.some((s) => s.status?.host === host)) {
      throw new ApiError(
        409,
        'Unable to delete compute service that is hosting instances. Migrate or delete the instances first.',
      );
    }
    // As Nova: out of every aggregate first, then the service (and its compute node) itself.
    const client = ctx.clientFor(p);
    const aggregates = await ctx.caches.get<Aggregate>(AGGREGATES);
    for (const a of aggregates.list().filter((x) => x.spec.hosts?.includes(host))) {
      const hosts = a.spec.hosts!.filter((h) => h !== host);
      try {
        const written = await client.patch<Aggregate>(objectPath(AGGREGATES, a.metadata.name!), {
          metadata: { resourceVersion: a.metadata.resourceVersion },
          spec: { hosts: hosts.length ? hosts : null },
        });
        await aggregates.observe(written);
      } catch (e) {
        kubeError(
          e,
          `${POLICY}:delete`,
          undefined,
          `Aggregate ${a.status?.id} changed while the service was deleted; retry.`,
        );
      }
    }
    try {
      await client.delete(objectPath(COMPUTE_HOSTS, host));
    } catch (e) {
      kubeError(e, `${POLICY}:delete`, `Service ${id} not found.`);
    }
    await (await hostsCache()).observeDeleted(host, ch.metadata.uid);
    return reply.code(204).send();
  });
}
