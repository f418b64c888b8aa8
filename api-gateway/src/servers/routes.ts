// The servers routes of the compute API (ServersController core, ServerMetadataController,
// IPsController): reads from the gateway's informer caches, authorised per user by the apiserver
// (SubjectAccessReview, cached briefly); writes through the client impersonating the user, then
// awaited in the cache so the user's next read sees them.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {
  Aggregate,
  Flavor,
  Image,
  Keypair,
  Server,
  ServerGroup,
} from '../../../operator/src/api/v1alpha1/index.ts';
import {
  ComputeHostKind,
  QUOTA_RESOURCES,
  type ComputeHost,
  type ProjectQuota,
} from '../../../operator/src/api/v1alpha1/index.ts';
import { AGGREGATES } from '../../../operator/src/controllers/aggregate.ts';
import { KEYPAIRS } from '../../../operator/src/controllers/keypair.ts';
import { FLAVORS, IMAGES, SERVERS, USER_ANNOTATION } from '../../../operator/src/controllers/server.ts';
import { SERVER_ACTIONS } from '../../../operator/src/controllers/serveraction.ts';
import { SERVER_GROUPS } from '../../../operator/src/controllers/servergroup.ts';
import { PROJECT_QUOTAS } from '../../../operator/src/controllers/projectquota.ts';
import { resolveFlavor, resolveImage, resolveServerGroup } from '../../../operator/src/compute/server.ts';
import { collectionPath, kovaResource, objectPath } from '../../../operator/src/kube/resources.ts';
import { baseUrl } from '../app.ts';
import { computeUrl } from '../compute/common.ts';
import {
  COMPUTE_PREFIX,
  type GatewayContext,
  type Principal,
  enforce,
  kubeError,
  principalOf,
  urlProjectId,
} from '../context.ts';
import { ApiError } from '../errors.ts';
import { zonesOfHosts } from '../admin/aggregates.ts';
import { APIVersionRequest } from '../microversion.ts';
import { registerServerActions, submitAction } from './actions.ts';
import { registerInstanceActions } from './instanceactions.ts';
import { registerServerShares } from './shares.ts';
import { registerSubresources } from './subresources.ts';
import { parseListQuery, selectServers } from './query.ts';
import { validateCreate, validateMetadata, validateMetadataItem, validateUpdate } from './schemas.ts';
import { admittedUsage, instancesAllowed, limitsOf, recheckOver, usage } from './quota.ts';
import { recheckWrite } from '../recheck.ts';
import { planCreate, planUpdate } from './translate.ts';
import {
  DEFAULT_AVAILABILITY_ZONE,
  computeHostStatus,
  createView,
  detailView,
  generatePassword,
  indexView,
  ipsView,
  serverId,
  showView,
  type ServerViewContext,
} from './view.ts';

const COMPUTE_HOSTS = kovaResource(ComputeHostKind);
const NOT_FOUND = (id: string) => `Instance ${id} could not be found.`;
const POLICY = (rule: string) => `os_compute_api:servers:${rule}`;
const META_POLICY = (rule: string) => `os_compute_api:server-metadata:${rule}`;

type Body = Record<string, unknown>;
type Req = FastifyRequest<{ Params: { id: string; key: string; network: string }; Body: unknown }>;

function versionOf(request: FastifyRequest): APIVersionRequest {
  return request.microversion ?? APIVersionRequest.parse('2.1');
}

function queryPairs(request: FastifyRequest): [string, string][] {
  const q = request.url.indexOf('?');
  return q < 0 ? [] : [...new URLSearchParams(request.url.slice(q + 1))];
}

/** server_group_members: the user's servers in the group (not being deleted). */
function groupMembers(servers: readonly Server[], group: ServerGroup, userId: string): number {
  return servers.filter(
    (s) =>
      !s.metadata.deletionTimestamp &&
      s.metadata.annotations?.[USER_ANNOTATION] === userId &&
      resolveServerGroup(s, [group]) === group,
  ).length;
}

export function registerServers(app: FastifyInstance, ctx: GatewayContext): void {
  const P = COMPUTE_PREFIX;
  const caches = ctx.caches;
  // Start filling the caches these routes read now, not on the first request (/readyz waits for them).
  for (const r of [SERVERS, COMPUTE_HOSTS, AGGREGATES, SERVER_GROUPS, SERVER_ACTIONS, PROJECT_QUOTAS]) {
    caches.get(r).catch((e: unknown) => ctx.log.warn({ err: e, resource: r.plural }, 'cache fill failed'));
  }

  /** Everything the view builders need, read from the caches. */
  async function viewContext(request: FastifyRequest, principal: Principal): Promise<ServerViewContext> {
    const [hosts, aggregates, groups, images] = await Promise.all([
      caches.get<ComputeHost>(COMPUTE_HOSTS),
      caches.get<Aggregate>(AGGREGATES),
      caches.get<ServerGroup>(SERVER_GROUPS),
      caches.get<Image>(IMAGES),
    ]);
    // Once per request: a page of 1,000 servers asks the same few hosts and projects.
    const zones = zonesOfHosts(aggregates.list());
    const projectIds = new Map<string, string>();
    return {
      version: versionOf(request),
      selfUrl: computeUrl(request),
      bookmarkUrl: baseUrl(request) + (urlProjectId(request) ? `/${urlProjectId(request)}` : ''),
      isAdmin: principal.isAdmin,
      projectId: (ns) => {
        let id = projectIds.get(ns);
        if (id === undefined) projectIds.set(ns, (id = ctx.identity.projectByName(ns)?.id ?? ns));
        return id;
      },
      hostStatus: (host) => computeHostStatus(hosts.get(host)),
      hostZone: (host) => zones.get(host) ?? DEFAULT_AVAILABILITY_ZONE,
      serverGroups: (s) =>
        groups
          .list()
          .filter(
            (g) => g.metadata.namespace === s.metadata.namespace && g.status?.members?.includes(serverId(s)),
          )
          .map((g) => g.metadata.uid ?? ''),
      imageProperties: (ref) => resolveImage(ref, images.list())?.spec.properties,
    };
  }

  /** The server with this Nova id the principal may see (its project's; any for admins), else 404. */
  async function findServer(
    principal: Principal,
    id: string,
    verb: 'get' | 'update' = 'get',
  ): Promise<Server> {
    const cache = await caches.get<Server>(SERVERS);
    const server = cache
      .list()
      .find(
        (s) => s.metadata.uid === id && (principal.isAdmin || s.metadata.namespace === principal.namespace),
      );
    if (!server) throw new ApiError(404, NOT_FOUND(id));
    await ctx.authorize(
      principal,
      verb,
      SERVERS,
      server.metadata.namespace,
      POLICY(verb === 'get' ? 'show' : 'update'),
    );
    return server;
  }

  /** Writes a merge patch for the user and waits until the cache has it. */
  async function patchServer(
    principal: Principal,
    s: Server,
    patch: unknown,
    action: string,
  ): Promise<Server> {
    const path = objectPath(SERVERS, s.metadata.name!, s.metadata.namespace);
    let updated: Server;
    try {
      updated = await ctx.clientFor(principal).patch<Server>(path, patch);
    } catch (e) {
      kubeError(e, action, NOT_FOUND(serverId(s)));
    }
    await (await caches.get<Server>(SERVERS)).observe(updated);
    return updated;
  }

  const list = (isDetail: boolean) => async (request: FastifyRequest) => {
    const principal = principalOf(request);
    const rule = isDetail ? 'detail' : 'index';
    const version = versionOf(request);
    const query = parseListQuery(version, queryPairs(request), principal, isDetail);
    enforce(principal, POLICY(rule), 'project_reader');
    await ctx.authorize(
      principal,
      'list',
      SERVERS,
      query.allTenants ? undefined : principal.namespace,
      POLICY(rule),
    );
    const all = (await caches.get<Server>(SERVERS)).list();
    if (query.allTenants) {
      for (const key of ['project_id', 'tenant_id']) {
        const pid = query.filters.get(key);
        if (pid !== undefined) query.filters.set(key, ctx.identity.projectById(pid)?.namespace ?? pid);
      }
    }
    const inScope = query.allTenants ? all : all.filter((s) => s.metadata.namespace === principal.namespace);
    const result = selectServers(query, inScope);
    const vctx = await viewContext(request, principal);
    const page = { ...result, query: queryPairs(request) };
    return isDetail ? detailView(vctx, page) : indexView(vctx, page);
  };
  app.get(`${P}/servers`, list(false));
  app.get(`${P}/servers/detail`, list(true));

  app.get(`${P}/servers/:id`, async (request: Req) => {
    const principal = principalOf(request);
    enforce(principal, POLICY('show'), 'project_reader');
    const server = await findServer(principal, request.params.id);
    return { server: showView(await viewContext(request, principal), server, { serverGroups: true }) };
  });

  app.post(`${P}/servers`, async (request: Req, reply: FastifyReply) => {
    const principal = principalOf(request);
    const version = versionOf(request);
    validateCreate(version, request.body);
    enforce(principal, POLICY('create'), 'project_member');
    const body = request.body as Body;
    const [flavors, all, quotas] = await Promise.all([
      caches.get<Flavor>(FLAVORS),
      caches.get<Server>(SERVERS),
      caches.get<ProjectQuota>(PROJECT_QUOTAS),
    ]);
    const quota = quotas.get(`${principal.namespace}/default`);
    const plan = planCreate(
      version,
      body,
      { userId: principal.userId, isAdmin: principal.isAdmin },
      (min, max, flavorRef) => {
        const flavor = resolveFlavor(flavorRef, flavors.list());
        if (!flavor) throw new ApiError(400, `Flavor ${flavorRef} could not be found.`);
        const used = admittedUsage(principal.namespace, all.list(), flavors.list(), limitsOf(quota));
        return instancesAllowed(limitsOf(quota), used, flavor.spec, min, max);
      },
    );
    checkMetadataQuota(plan.servers[0]!.spec.metadata ?? {}, quota);
    await checkReferences(principal, plan.servers[0]!);
    await checkGroupMembersQuota(principal, plan.servers, quota);

    const client = ctx.clientFor(principal);
    const collection = collectionPath(SERVERS, principal.namespace);
    const created: Server[] = [];
    // A multi-create is all or nothing: a failure or a refused recheck undoes what was made (and
    // the operator then removes the records it began for them: the user never had them).
    const undo = (made: readonly Server[]) =>
      Promise.allSettled(
        made.map((s) => client.delete(objectPath(SERVERS, s.metadata.name!, principal.namespace))),
      );
    try {
      for (const s of plan.servers) created.push(await client.create<Server>(collection, s));
    } catch (e) {
      await undo(created);
      kubeError(e, POLICY('create'));
    }
    const flavor = resolveFlavor(plan.servers[0]!.spec.flavorRef, flavors.list())!.spec;
    const group = resolveServerGroup(created[0]!, (await caches.get<ServerGroup>(SERVER_GROUPS)).list());
    await recheckWrite({
      kube: ctx.kube,
      collection,
      written: created,
      refuse: (asCreated) => {
        // As Nova: the group's members are rechecked too (server_group_members, delta 0).
        const membersLimit = quota?.spec.serverGroupMembers ?? QUOTA_RESOURCES.serverGroupMembers.default;
        if (group && membersLimit >= 0 && groupMembers(asCreated, group, principal.userId) > membersLimit) {
          return new ApiError(403, 'Quota exceeded, too many servers in group');
        }
        const mine = new Set(created.map((s) => s.metadata.uid));
        const before = asCreated.filter((s) => !mine.has(s.metadata.uid));
        const limits = limitsOf(quota);
        return recheckOver(
          limits,
          usage(principal.namespace, asCreated, flavors.list()),
          admittedUsage(principal.namespace, before, flavors.list(), limits),
          flavor,
          created.length,
        );
      },
      undo,
    });
    const cache = await caches.get<Server>(SERVERS);
    await Promise.all(created.map((s) => cache.observe(s)));

    reply.code(202);
    if (plan.returnReservationId) return { reservation_id: plan.reservationId };
    const vctx = await viewContext(request, principal);
    const answer = createView(vctx, created[0]!, plan.securityGroups, plan.adminPass ?? generatePassword());
    const self = (answer.server as { links: { rel: string; href: string }[] }).links[0]!.href;
    reply.header('Location', self);
    return answer;
  });

  /** What Nova checks before building: the flavor, image, keypair and server group exist. */
  async function checkReferences(principal: Principal, s: Server): Promise<void> {
    const [flavors, images, keypairs, groups] = await Promise.all([
      caches.get<Flavor>(FLAVORS),
      caches.get<Image>(IMAGES),
      caches.get<Keypair>(KEYPAIRS),
      caches.get<ServerGroup>(SERVER_GROUPS),
    ]);
    if (!resolveFlavor(s.spec.flavorRef, flavors.list())) {
      throw new ApiError(400, `Flavor ${s.spec.flavorRef} could not be found.`);
    }
    const image = resolveImage(s.spec.imageRef, images.list());
    if (!image) throw new ApiError(400, 'Can not find requested image');
    // An Image made with kubectl has no status until used: it is usable once it names its data.
    if ((image.status?.phase ?? (image.spec.source ? 'active' : 'queued')) !== 'active') {
      throw new ApiError(400, `Image ${s.spec.imageRef} is not active.`);
    }
    if (
      s.spec.keyName !== undefined &&
      !keypairs.list().some((k) => k.spec.name === s.spec.keyName && k.spec.user === principal.userId)
    ) {
      throw new ApiError(400, 'Invalid key_name provided.');
    }
    const group = s.spec.serverGroup;
    if (
      group !== undefined &&
      !groups
        .list()
        .some(
          (g) =>
            g.metadata.namespace === principal.namespace &&
            (g.metadata.uid === group || g.metadata.name === group),
        )
    ) {
      throw new ApiError(400, `Instance group ${group} could not be found.`);
    }
  }

  /**
   * compute.API._provision_instances: each new member of a server group counts against
   * server_group_members (the group's servers of this user); over it, Nova's 403.
   */
  async function checkGroupMembersQuota(
    principal: Principal,
    planned: Server[],
    quota: ProjectQuota | undefined,
  ): Promise<void> {
    const [servers, groups] = await Promise.all([
      caches.get<Server>(SERVERS),
      caches.get<ServerGroup>(SERVER_GROUPS),
    ]);
    const first = planned[0]!;
    const group = resolveServerGroup(
      { ...first, metadata: { ...first.metadata, namespace: principal.namespace } },
      groups.list(),
    );
    if (!group) return;
    const limit = quota?.spec.serverGroupMembers ?? QUOTA_RESOURCES.serverGroupMembers.default;
    if (limit >= 0 && groupMembers(servers.list(), group, principal.userId) + planned.length > limit) {
      throw new ApiError(403, 'Quota exceeded, too many servers in group');
    }
  }

  app.put(`${P}/servers/:id`, async (request: Req) => {
    const principal = principalOf(request);
    const version = versionOf(request);
    validateUpdate(version, request.body);
    enforce(principal, POLICY('update'), 'project_member');
    const server = await findServer(principal, request.params.id, 'update');
    const changes = planUpdate(version, request.body as Body);
    const updated = Object.keys(changes).length
      ? await patchServer(principal, server, { spec: changes }, POLICY('update'))
      : server;
    const full = version.compare('2.75') >= 0;
    return {
      server: showView(await viewContext(request, principal), updated, { full, serverGroups: true }),
    };
  });

  // DELETE is the operator's `delete` action: it checks the lock and the states as Nova's API
  // does, soft-deletes with reclaim_instance_interval > 0, records the instance action, and
  // deletes the Server object otherwise. The answer waits for the action to be accepted or refused.
  app.delete(`${P}/servers/:id`, async (request: Req, reply: FastifyReply) => {
    const principal = principalOf(request);
    enforce(principal, POLICY('delete'), 'project_member');
    const server = await findServer(principal, request.params.id, 'update');
    await submitAction(ctx, principal, server, {
      action: 'delete',
      policy: POLICY('delete'),
      requestId: request.id,
    });
    return reply.code(204).send();
  });

  // Metadata (ServerMetadataController).
  async function metadataTarget(
    request: Req,
    rule: string,
    write: boolean,
  ): Promise<{ p: Principal; s: Server }> {
    const p = principalOf(request);
    enforce(p, META_POLICY(rule), write ? 'project_member' : 'project_reader');
    const s = await findServer(p, request.params.id, write ? 'update' : 'get');
    if (write) {
      if (s.spec.locked && !p.isAdmin) throw new ApiError(409, `Instance ${serverId(s)} is locked`);
      const task = s.status?.taskState;
      if (
        task ||
        !s.status?.vmState ||
        !['active', 'paused', 'suspended', 'stopped'].includes(s.status.vmState)
      ) {
        const [attr, state] = task ? ['task_state', task] : ['vm_state', s.status?.vmState ?? 'building'];
        throw new ApiError(
          409,
          `Cannot 'update metadata' instance ${serverId(s)} while it is in ${attr} ${state}`,
        );
      }
    }
    return { p, s };
  }

  async function writeMetadata(p: Principal, s: Server, next: Record<string, string>): Promise<Server> {
    const quotas = await caches.get<ProjectQuota>(PROJECT_QUOTAS);
    checkMetadataQuota(next, quotas.get(`${s.metadata.namespace}/default`));

    const current = s.spec.metadata ?? {};
    const patch: Record<string, string | null> = { ...next };
    for (const k of Object.keys(current)) if (!Object.hasOwn(next, k)) patch[k] = null;
    return patchServer(p, s, { spec: { metadata: patch } }, META_POLICY('update'));
  }

  app.get(`${P}/servers/:id/metadata`, async (request: Req) => {
    const { s } = await metadataTarget(request, 'index', false);
    return { metadata: s.spec.metadata ?? {} };
  });

  app.get(`${P}/servers/:id/metadata/:key`, async (request: Req) => {
    const { s } = await metadataTarget(request, 'show', false);
    const metadata = s.spec.metadata ?? {};
    const value = Object.hasOwn(metadata, request.params.key) ? metadata[request.params.key] : undefined;
    if (value === undefined) throw new ApiError(404, 'Metadata item was not found');
    return { meta: { [request.params.key]: value } };
  });

  app.post(`${P}/servers/:id/metadata`, async (request: Req) => {
    validateMetadata(request.body);
    const { p, s } = await metadataTarget(request, 'create', true);
    const add = (request.body as { metadata: Record<string, string> }).metadata;
    const updated = await writeMetadata(p, s, { ...(s.spec.metadata ?? {}), ...add });
    return { metadata: updated.spec.metadata ?? {} };
  });

  app.put(`${P}/servers/:id/metadata`, async (request: Req) => {
    validateMetadata(request.body);
    const { p, s } = await metadataTarget(request, 'update_all', true);
    const updated = await writeMetadata(
      p,
      s,
      (request.body as { metadata: Record<string, string> }).metadata,
    );
    return { metadata: updated.spec.metadata ?? {} };
  });

  app.put(`${P}/servers/:id/metadata/:key`, async (request: Req) => {
    validateMetadataItem(request.body);
    const meta = (request.body as { meta: Record<string, string> }).meta;
    const key = request.params.key;
    if (!Object.hasOwn(meta, key)) throw new ApiError(400, 'Request body and URI mismatch');
    const { p, s } = await metadataTarget(request, 'update', true);
    await writeMetadata(p, s, { ...(s.spec.metadata ?? {}), [key]: meta[key]! });
    return { meta: { [key]: meta[key] } };
  });

  app.delete(`${P}/servers/:id/metadata/:key`, async (request: Req, reply: FastifyReply) => {
    const { p, s } = await metadataTarget(request, 'delete', true);
    const key = request.params.key;
    if (!Object.hasOwn(s.spec.metadata ?? {}, key)) throw new ApiError(404, 'Metadata item was not found');
    const { [key]: _removed, ...rest } = s.spec.metadata ?? {};
    await writeMetadata(p, s, rest);
    return reply.code(204).send();
  });

  const access = { findServer, viewContext, patchServer };
  registerServerActions(app, ctx, access, registerSubresources(app, ctx, access));
  registerInstanceActions(app, ctx, access);
  registerServerShares(app, ctx, access);

  // Addresses (IPsController).
  app.get(`${P}/servers/:id/ips`, async (request: Req) => {
    const p = principalOf(request);
    enforce(p, 'os_compute_api:ips:index', 'project_reader');
    return ipsView(await findServer(p, request.params.id));
  });

  app.get(`${P}/servers/:id/ips/:network`, async (request: Req) => {
    const p = principalOf(request);
    enforce(p, 'os_compute_api:ips:show', 'project_reader');
    const { addresses } = ipsView(await findServer(p, request.params.id));
    const network = request.params.network;
    if (!Object.hasOwn(addresses, network))
      throw new ApiError(404, 'Instance is not a member of specified network');
    return { [network]: addresses[network] };
  });
}

/** compute.API._check_metadata_properties_quota: too many items is a 403 (OverQuota). */
function checkMetadataQuota(metadata: Record<string, string>, quota: ProjectQuota | undefined): void {
  const allowed = quota?.spec.metadataItems ?? QUOTA_RESOURCES.metadataItems.default;
  if (allowed >= 0 && Object.keys(metadata).length > allowed) {
    throw new ApiError(403, `Maximum number of metadata items exceeds ${allowed}`);
  }
}
