// os-hypervisors (nova/api/openstack/compute/hypervisors.py, schemas/hypervisors.py): one compute
// node per ComputeHost, its figures from the host's status (capacity, usage) and spec (reserved
// amounts), its servers from the Server objects placed on it. Ids: before 2.53 a stable integer
// from the ComputeHost's uid, from 2.53 the uid itself. 2.88 drops the resource figures and
// statistics; search and servers are ≤2.52 (later: hypervisor_hostname_pattern, with_servers).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeHost, Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { COMPUTE_HOSTS } from '../../../operator/src/controllers/computehost.ts';
import { SERVERS } from '../../../operator/src/controllers/server.ts';
import { COMPUTE_PREFIX, type GatewayContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { types } from '../servers/validation.ts';
import {
  BOOLEAN,
  type Schema,
  type Versioned,
  querySchema,
  toBool,
  validateQuery,
  FQDN,
} from '../validation.ts';
import { collectionLinks, isIntegerString, limitAndMarker, numericId, paginate } from '../compute/common.ts';
import { adminRead, hostsAndZones, isUuidLike, onlyIn, serviceIsUp, serviceUuid } from './hosts.ts';

const POLICY = 'os_compute_api:os-hypervisors';

const NON_NEGATIVE: Schema = types.nonNegativeInteger;
const PAGING = { limit: NON_NEGATIVE, marker: { type: 'string' } };
export const LIST_QUERY: Versioned[] = [
  { schema: querySchema({}), max: '2.32' },
  { schema: querySchema(PAGING), min: '2.33', max: '2.52' },
  {
    schema: querySchema({ ...PAGING, hypervisor_hostname_pattern: FQDN, with_servers: BOOLEAN }, false),
    min: '2.53',
  },
];
const SHOW_QUERY: Versioned[] = [
  { schema: querySchema({}), max: '2.52' },
  { schema: querySchema({ with_servers: BOOLEAN }, false), min: '2.53' },
];

const supports = (request: FastifyRequest, v: string) => request.microversion?.matches(v) ?? false;
const hypervisorId = (ch: ComputeHost, request: FastifyRequest): string | number =>
  supports(request, '2.53') ? ch.metadata.uid! : numericId(ch.metadata.uid);

/** The compute node's figures (ComputeNode fields; memory and disk used include the reserved amounts). */
export function nodeFigures(ch: ComputeHost, servers: readonly Server[]) {
  const cap = ch.status?.capacity ?? { vcpus: 0, memoryMb: 0, localGb: 0 };
  const use = ch.status?.usage ?? { vcpus: 0, memoryMb: 0, localGb: 0, runningVms: 0 };
  const memoryUsed = use.memoryMb + (ch.spec.reservedHostMemoryMb ?? 0);
  const diskUsed = use.localGb + Math.ceil((ch.spec.reservedHostDiskMb ?? 0) / 1024);
  return {
    vcpus: cap.vcpus,
    memory_mb: cap.memoryMb,
    local_gb: cap.localGb,
    vcpus_used: use.vcpus,
    memory_mb_used: memoryUsed,
    local_gb_used: diskUsed,
    free_ram_mb: cap.memoryMb - memoryUsed,
    free_disk_gb: cap.localGb - diskUsed,
    // nova/compute/stats.py: instances with a task in progress.
    current_workload: servers.filter((s) => s.status?.host === ch.metadata.name && s.status?.taskState)
      .length,
    running_vms: use.runningVms,
    disk_available_least: cap.localGb - diskUsed,
  };
}

type ServerRef = { name: string; uuid: string };

/** _view_hypervisor. */
export function hypervisorView(
  ch: ComputeHost,
  request: FastifyRequest,
  o: { detail: boolean; allServers: readonly Server[]; servers?: ServerRef[]; withServers?: boolean },
): Record<string, unknown> {
  const v: Record<string, unknown> = {
    id: hypervisorId(ch, request),
    hypervisor_hostname: ch.metadata.name,
    state: serviceIsUp(ch) ? 'up' : 'down',
    status: ch.spec.disabled ? 'disabled' : 'enabled',
  };
  if (o.detail) {
    v.hypervisor_type = ch.status?.hypervisorType ?? null;
    v.hypervisor_version = ch.status?.hypervisorVersion ?? null;
    v.host_ip = ch.status?.hostIp ?? null;
    v.service = {
      id: supports(request, '2.53') ? serviceUuid(ch) : numericId(ch.metadata.uid),
      host: ch.metadata.name,
      disabled_reason: ch.spec.disabledReason ?? null,
    };
    if (!supports(request, '2.88')) {
      Object.assign(v, nodeFigures(ch, o.allServers));
      const cpuInfo = ch.status?.cpuInfo ?? {};
      v.cpu_info = supports(request, '2.28') ? cpuInfo : JSON.stringify(cpuInfo);
    } else {
      v.uptime = null; // no driver of Kova's reports the host's uptime
    }
  }
  if (o.servers?.length) v.servers = o.servers;
  else if (o.withServers && supports(request, '2.75')) v.servers = [];
  return v;
}

export function registerHypervisors(app: FastifyInstance, ctx: GatewayContext): void {
  const P = `${COMPUTE_PREFIX}/os-hypervisors`;
  const allServers = async () => (await ctx.caches.get<Server>(SERVERS)).list();
  /** instance_get_all_by_host: Nova's instance name and uuid. */
  const serversOn = (host: string, servers: readonly Server[]): ServerRef[] =>
    servers
      .filter((s) => s.status?.host === host)
      .map((s) => ({ name: s.metadata.name!, uuid: s.metadata.uid! }));

  /** compute_node_search_by_hypervisor: hostnames containing pattern, or Nova's 404. */
  function matching(hosts: ComputeHost[], pattern: string): ComputeHost[] {
    const found = hosts.filter((h) => h.metadata.name!.includes(pattern));
    if (!found.length) throw new ApiError(404, `No hypervisor matching '${pattern}' could be found.`);
    return found;
  }

  async function list(request: FastifyRequest, detail: boolean) {
    await adminRead(ctx, request, `${POLICY}:${detail ? 'list-detail' : 'list'}`, COMPUTE_HOSTS);
    const q = validateQuery(request, LIST_QUERY);
    const { hosts } = await hostsAndZones(ctx);
    const servers = await allServers();
    const paged = supports(request, '2.33');
    const newStyle = supports(request, '2.53');
    const withServers = newStyle && q.with_servers !== undefined && toBool(q.with_servers);
    let items = hosts.sort((a, b) => {
      const x = hypervisorId(a, request);
      const y = hypervisorId(b, request);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    let links = paged;
    if (newStyle && q.hypervisor_hostname_pattern !== undefined) {
      if (q.limit !== undefined || q.marker) {
        throw new ApiError(
          400,
          'Paging over hypervisors with the hypervisor_hostname_pattern query parameter is not supported.',
        );
      }
      links = false;
      items = matching(items, q.hypervisor_hostname_pattern);
    } else if (paged) {
      const { limit, marker } = limitAndMarker(q);
      items = paginate(items, (h) => String(hypervisorId(h, request)), limit, marker);
    }
    const hypervisors = items.map((h) =>
      hypervisorView(h, request, {
        detail,
        allServers: servers,
        servers: withServers ? serversOn(h.metadata.name!, servers) : undefined,
        withServers,
      }),
    );
    const body: Record<string, unknown> = { hypervisors };
    if (links) {
      const l = collectionLinks(
        request,
        hypervisors.map((h) => ({ id: String(h.id) })),
        detail ? 'os-hypervisors/detail' : 'os-hypervisors',
      );
      if (l.length) body.hypervisors_links = l;
    }
    return body;
  }

  app.get(P, (request) => list(request, false));
  app.get(`${P}/detail`, (request) => list(request, true));

  app.get(`${P}/statistics`, async (request) => {
    onlyIn(!supports(request, '2.88'));
    await adminRead(ctx, request, `${POLICY}:statistics`, COMPUTE_HOSTS);
    const { hosts } = await hostsAndZones(ctx);
    const servers = await allServers();
    // compute_node_statistics: the compute nodes of enabled nova-compute services.
    const stats: Record<string, number> = {
      count: 0,
      vcpus: 0,
      memory_mb: 0,
      local_gb: 0,
      vcpus_used: 0,
      memory_mb_used: 0,
      local_gb_used: 0,
      free_ram_mb: 0,
      free_disk_gb: 0,
      current_workload: 0,
      running_vms: 0,
      disk_available_least: 0,
    };
    for (const h of hosts.filter((x) => !x.spec.disabled)) {
      stats.count!++;
      for (const [k, n] of Object.entries(nodeFigures(h, servers))) stats[k]! += n;
    }
    return { hypervisor_statistics: stats };
  });

  /** _validate_id and compute_node_get: the host a path id names, or Nova's 400/404. */
  async function byId(request: FastifyRequest, id: string): Promise<ComputeHost> {
    const notFound = new ApiError(404, `Hypervisor with ID '${id}' could not be found.`);
    const uuids = supports(request, '2.53');
    if (uuids && !isUuidLike(id)) throw new ApiError(400, `Invalid uuid ${id}`);
    if (!uuids && !isIntegerString(id)) throw notFound;
    const want = uuids ? id : String(Number(id));
    const { hosts } = await hostsAndZones(ctx);
    const ch = hosts.find((h) => String(hypervisorId(h, request)) === want);
    if (!ch) throw notFound;
    return ch;
  }

  app.get<{ Params: { id: string } }>(`${P}/:id`, async (request) => {
    await adminRead(ctx, request, `${POLICY}:show`, COMPUTE_HOSTS);
    const q = validateQuery(request, SHOW_QUERY);
    const ch = await byId(request, request.params.id);
    const servers = await allServers();
    const withServers = q.with_servers !== undefined && toBool(q.with_servers);
    return {
      hypervisor: hypervisorView(ch, request, {
        detail: true,
        allServers: servers,
        servers: withServers ? serversOn(ch.metadata.name!, servers) : undefined,
        withServers,
      }),
    };
  });

  // ≤2.87; no driver of Kova's reports the host's uptime: Nova's answer for a driver without it.
  app.get<{ Params: { id: string } }>(`${P}/:id/uptime`, async (request) => {
    onlyIn(!supports(request, '2.88'));
    await adminRead(ctx, request, `${POLICY}:uptime`, COMPUTE_HOSTS);
    await byId(request, request.params.id);
    throw new ApiError(501, 'The requested functionality is not supported.');
  });

  for (const what of ['search', 'servers'] as const) {
    app.get<{ Params: { pattern: string } }>(`${P}/:pattern/${what}`, async (request) => {
      onlyIn(!supports(request, '2.53'));
      await adminRead(ctx, request, `${POLICY}:${what}`, COMPUTE_HOSTS);
      const { hosts } = await hostsAndZones(ctx);
      const servers = await allServers();
      const hypervisors = matching(hosts, request.params.pattern).map((h) =>
        hypervisorView(h, request, {
          detail: false,
          allServers: servers,
          servers: what === 'servers' ? serversOn(h.metadata.name!, servers) : undefined,
        }),
      );
      return { hypervisors };
    });
  }
}
