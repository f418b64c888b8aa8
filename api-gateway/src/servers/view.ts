// Server view builders: a Server object → Nova's JSON for the negotiated microversion, after
// nova/api/openstack/compute/views/servers.py (create, basic, show, index, detail) and
// views/addresses.py. Pure functions: what the view needs from the world (host states, zones,
// server groups, who is asking) comes in ServerViewContext.
import { randomInt } from 'node:crypto';
import type { ComputeHost, Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { RESERVATION_LABEL } from '../../../operator/src/api/v1alpha1/index.ts';
import { hostId as novaHostId } from '../../../operator/src/compute/server.ts';
import { USER_ANNOTATION } from '../../../operator/src/controllers/server.ts';
import { POWER_STATES, statusFromState } from '../../../operator/src/compute/states.ts';
import { sanitizeHostname } from '../../../operator/src/compute/hostname.ts';
import type { APIVersionRequest } from '../microversion.ts';
import { pyStr } from '../validation.ts';
import { novaTime } from '../compute/common.ts';
import { IMAGE_META_PROPS } from './imagemetaprops.ts';

/** The server's index in its multi-create request (launch_index). */
export const LAUNCH_INDEX_ANNOTATION = 'compute.kova.io/launch-index';
/** Nova's CONF.default_availability_zone: the zone of a host in none. */
export const DEFAULT_AVAILABILITY_ZONE = 'nova';

/** fields.HostStatus: NONE is ''. */
export type HostStatus = 'UP' | 'DOWN' | 'MAINTENANCE' | 'UNKNOWN' | '';

/** compute.API.get_instance_host_status for the ComputeHost of a server's host. */
export function computeHostStatus(h: ComputeHost | undefined): HostStatus {
  if (!h) return '';
  if (h.spec.forcedDown) return 'DOWN';
  if (h.spec.disabled) return 'MAINTENANCE';
  return h.status?.state === 'up' ? 'UP' : 'UNKNOWN';
}

export interface ServerViewContext {
  version: APIVersionRequest;
  /** Where self links point: the compute API as the client called it, e.g. http://host/v2.1[/<project id>]. */
  selfUrl: string;
  /** Where bookmark links point: the same without the version, e.g. http://host[/<project id>]. */
  bookmarkUrl: string;
  /** Admin: extended server attributes, host_status, fault details of 500s (Nova's default policy). */
  isAdmin: boolean;
  /** The Keystone project id of a project namespace (tenant_id, hostId). */
  projectId?: (namespace: string) => string;
  /** host_status of a compute host (2.16); '' without a host. */
  hostStatus?: (host: string) => HostStatus;
  /** The availability zone of a compute host (undefined: the default zone). */
  hostZone?: (host: string) => string | undefined;
  /** The uuids of the server groups the server is in (2.71). */
  serverGroups?: (server: Server) => string[];
  /** The properties of the image with this id or name (2.98), undefined when it is gone. */
  imageProperties?: (image: string) => Record<string, unknown> | undefined;
}

type Json = Record<string, unknown>;

const PROGRESS_STATUSES = new Set(['ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING']);
const FAULT_STATUSES = new Set(['ERROR', 'DELETED']);

function atLeast(ctx: ServerViewContext, version: string): boolean {
  return ctx.version.compare(version) >= 0;
}

export function serverId(s: Server): string {
  return s.metadata.uid ?? '';
}

/** What Nova's state checks read of a server (one not yet reconciled is building). */
export const stateOf = (s: Server) => ({
  uuid: serverId(s),
  vmState: s.status?.vmState ?? ('building' as const),
  taskState: s.status?.taskState,
});

export function projectOf(s: Server): string {
  return s.metadata.namespace ?? '';
}

function tenantOf(ctx: ServerViewContext, s: Server): string {
  return ctx.projectId?.(projectOf(s)) ?? projectOf(s);
}

/** Nova's links: self under /v2.1, bookmark without the version. */
export function links(ctx: ServerViewContext, collection: string, id: string): Json[] {
  return [
    { rel: 'self', href: `${ctx.selfUrl}/${collection}/${id}` },
    { rel: 'bookmark', href: `${ctx.bookmarkUrl}/${collection}/${id}` },
  ];
}

/** The vm_state the API shows: a server the controller has not seen yet is building. */
function vmState(s: Server): string {
  return s.status?.vmState ?? 'building';
}

function taskState(s: Server): string | null {
  if (s.status?.taskState) return s.status.taskState;
  return s.status?.vmState ? null : 'scheduling';
}

export function serverStatus(s: Server): string {
  return s.status?.status ?? statusFromState(vmState(s), taskState(s));
}

/** utils.isotime: seconds precision, Z. Kubernetes timestamps already have that form. */
function isotime(t: string | undefined): string {
  if (!t) return '';
  return SECONDS_ISO.test(t) ? t : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
const SECONDS_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/** hostId per (project, host): one sha224 per pair, not per server and request. */
const hostIds = new Map<string, string>();
function cachedHostId(project: string, host: string | undefined): string {
  if (!host) return '';
  const key = `${project}\u0000${host}`;
  let id = hostIds.get(key);
  if (id === undefined) {
    if (hostIds.size > 10_000) hostIds.clear();
    id = novaHostId(project, host);
    hostIds.set(key, id);
  }
  return id;
}

/** The last write to the object (Nova's updated_at): its newest managedFields entry, else its creation. */
export function updatedAt(s: Server): string {
  let newest = s.metadata.creationTimestamp ?? '';
  const entries = (s.metadata as { managedFields?: { time?: string }[] }).managedFields ?? [];
  for (const mf of entries) {
    if (mf.time && mf.time > newest) newest = mf.time;
  }
  return newest;
}

export function hostnameOf(s: Server): string {
  return s.spec.hostname ?? (sanitizeHostname(s.spec.name) || `server-${serverId(s)}`);
}

function availabilityZone(ctx: ServerViewContext, s: Server): string {
  const host = s.status?.host;
  if (host) return ctx.hostZone?.(host) ?? DEFAULT_AVAILABILITY_ZONE;
  return s.spec.availabilityZone ?? '';
}

/** Addresses grouped by network label, in first-seen order (views/addresses.py index). */
export function addressesOf(s: Server, extended: boolean, hideWhileBuilding = true): Record<string, Json[]> {
  const out: Record<string, Json[]> = {};
  if (hideWhileBuilding && vmState(s) === 'building') return out;
  for (const a of s.status?.addresses ?? []) {
    const entry: Json = { version: a.version, addr: a.addr };
    if (extended) {
      entry['OS-EXT-IPS:type'] = a.type;
      entry['OS-EXT-IPS-MAC:mac_addr'] = a.macAddr ?? null;
    }
    (out[a.network] ??= []).push(entry);
  }
  return out;
}

function imageView(ctx: ServerViewContext, s: Server): Json | string {
  const id = s.status?.image?.id || s.spec.imageRef;
  if (!id) return '';
  const image: Json = { id, links: [{ rel: 'bookmark', href: `${ctx.bookmarkUrl}/images/${id}` }] };
  if (atLeast(ctx, '2.98')) image.properties = embeddedImageProperties(ctx.imageProperties?.(id));
  return image;
}

/**
 * 2.98: the image's standard properties (ImageMetaProps names), as strings like Nova's
 * system_metadata copy of them. Kova reads them from the Image object, not from a copy made at boot.
 */
export function embeddedImageProperties(props: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props ?? {})) {
    if (IMAGE_META_PROPS.has(k) && v !== null && v !== undefined) out[k] = pyStr(v);
  }
  return out;
}

/**
 * 2.100: the scheduler hints of the server's request spec, each a list of strings
 * (RequestSpec.scheduler_hints is a dict of lists of strings), the server group under "group".
 */
export function schedulerHintsOf(s: Server): Record<string, string[]> {
  const hints: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(s.spec.schedulerHints ?? {})) {
    hints[k] = (Array.isArray(v) ? v : [v]).map((x) => pyStr(x));
  }
  if (s.spec.serverGroup) hints.group = [s.spec.serverGroup];
  return hints;
}

function flavorView(ctx: ServerViewContext, s: Server): Json {
  const f = s.status?.flavor;
  if (atLeast(ctx, '2.47')) {
    if (!f) return {};
    // show:flavor-extra-specs is PROJECT_READER_OR_ADMIN: everyone who may see the server.
    return {
      vcpus: f.vcpus,
      ram: f.ram,
      disk: f.disk,
      ephemeral: f.ephemeral,
      swap: f.swap,
      original_name: f.name,
      extra_specs: f.extraSpecs ?? {},
    };
  }
  const id = f?.id ?? s.spec.flavorRef;
  return { id, links: [{ rel: 'bookmark', href: `${ctx.bookmarkUrl}/flavors/${id}` }] };
}

function faultView(ctx: ServerViewContext, s: Server): Json | undefined {
  const f = s.status?.fault;
  if (!f) return undefined;
  const out: Json = { code: f.code, created: isotime(f.created), message: f.message };
  if (f.details && (ctx.isAdmin || f.code !== 500)) out.details = f.details;
  return out;
}

function hostStatusOf(ctx: ServerViewContext, s: Server): HostStatus {
  const host = s.status?.host;
  return host ? (ctx.hostStatus?.(host) ?? '') : '';
}

export interface ShowOptions {
  /** OS-EXT-IPS attributes on addresses and the rest of the "show all attributes" set (false: PUT < 2.75). */
  full?: boolean;
  /** server_groups (show and update from 2.71, never detail). */
  serverGroups?: boolean;
}

/** ViewBuilder.show: the detailed view of one server (show, detail entries, PUT from 2.75). */
export function showView(ctx: ServerViewContext, s: Server, opts: ShowOptions = {}): Json {
  const full = opts.full ?? true;
  const id = serverId(s);
  const status = serverStatus(s);
  const server: Json = {
    id,
    name: s.spec.name,
    status,
    tenant_id: tenantOf(ctx, s),
    user_id: s.metadata.annotations?.[USER_ANNOTATION] ?? '',
    metadata: s.spec.metadata ?? {},
    hostId: cachedHostId(tenantOf(ctx, s), s.status?.host),
    image: imageView(ctx, s),
    flavor: flavorView(ctx, s),
    created: isotime(s.metadata.creationTimestamp),
    updated: isotime(updatedAt(s)),
    addresses: addressesOf(s, full),
    accessIPv4: '',
    accessIPv6: '',
    links: links(ctx, 'servers', id),
    'OS-DCF:diskConfig': 'MANUAL',
  };
  if (FAULT_STATUSES.has(status)) {
    const fault = faultView(ctx, s);
    if (fault) server.fault = fault;
  }
  if (PROGRESS_STATUSES.has(status)) server.progress = 0;
  if (full) {
    server['OS-EXT-AZ:availability_zone'] = availabilityZone(ctx, s);
    server.config_drive = s.spec.configDrive ? 'True' : '';
    server.key_name = s.spec.keyName ?? null;
    server['OS-SRV-USG:launched_at'] = novaTime(s.status?.launchedAt);
    server['OS-SRV-USG:terminated_at'] = novaTime(s.status?.terminatedAt);
    if (s.spec.networks.allocation !== 'none') {
      server.security_groups = (s.spec.securityGroups ?? ['default']).map((name) => ({ name }));
    }
  }
  // Extended attributes (admin policy); the PUT answer before 2.75 leaves them out.
  const extended = ctx.isAdmin && full;
  if (extended) {
    const host = s.status?.host ?? null;
    server['OS-EXT-SRV-ATTR:host'] = host;
    server['OS-EXT-SRV-ATTR:instance_name'] = s.metadata.name ?? '';
    server['OS-EXT-SRV-ATTR:hypervisor_hostname'] = host;
    if (atLeast(ctx, '2.3')) {
      server['OS-EXT-SRV-ATTR:reservation_id'] = s.metadata.labels?.[RESERVATION_LABEL] ?? null;
      server['OS-EXT-SRV-ATTR:launch_index'] = Number(s.metadata.annotations?.[LAUNCH_INDEX_ANNOTATION] ?? 0);
      server['OS-EXT-SRV-ATTR:hostname'] = hostnameOf(s);
      server['OS-EXT-SRV-ATTR:kernel_id'] = '';
      server['OS-EXT-SRV-ATTR:ramdisk_id'] = '';
      server['OS-EXT-SRV-ATTR:root_device_name'] = s.status?.launchedAt ? '/dev/vda' : null;
      server['OS-EXT-SRV-ATTR:user_data'] = s.spec.userData ?? null;
    }
  }
  if (full) {
    server['OS-EXT-STS:task_state'] = taskState(s);
    server['OS-EXT-STS:vm_state'] = vmState(s);
    server['OS-EXT-STS:power_state'] = POWER_STATES[s.status?.powerState ?? 'pending'];
    server['os-extended-volumes:volumes_attached'] = [];
  }
  if (atLeast(ctx, '2.16') && extended) {
    server.host_status = hostStatusOf(ctx, s);
  }
  if (atLeast(ctx, '2.9')) server.locked = s.spec.locked;
  if (atLeast(ctx, '2.73')) server.locked_reason = s.spec.lockedReason ?? null;
  if (atLeast(ctx, '2.19')) server.description = s.spec.description ?? null;
  if (atLeast(ctx, '2.26')) server.tags = s.spec.tags ?? [];
  if (atLeast(ctx, '2.63')) server.trusted_image_certificates = null;
  if (atLeast(ctx, '2.90') && !extended) server['OS-EXT-SRV-ATTR:hostname'] = hostnameOf(s);
  if (opts.serverGroups && atLeast(ctx, '2.71')) server.server_groups = ctx.serverGroups?.(s) ?? [];
  // 2.96: the zone the request spec pins the server to (the one asked for at boot or unshelve).
  if (full && atLeast(ctx, '2.96')) server.pinned_availability_zone = s.spec.availabilityZone ?? null;
  if (atLeast(ctx, '2.100')) server.scheduler_hints = schedulerHintsOf(s);
  return server;
}

/** ViewBuilder.basic: an entry of GET /servers. */
export function basicView(ctx: ServerViewContext, s: Server): Json {
  const id = serverId(s);
  return { id, name: s.spec.name, links: links(ctx, 'servers', id) };
}

/** The next-page link: the request's query sorted by name, with marker set to the last id. */
export function nextLink(
  ctx: ServerViewContext,
  collection: string,
  query: ReadonlyArray<readonly [string, string]>,
  marker: string,
): string {
  const params = new Map<string, string>();
  for (const [k, v] of [...query].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    params.set(k, v); // request.params.items() of a dict: the last value of a repeated key
  }
  params.set('marker', marker);
  return `${ctx.selfUrl}/${collection}?${new URLSearchParams([...params]).toString()}`;
}

export interface ListPage {
  servers: Server[];
  /** The page size the collection links compare against (min(limit, max_limit)). */
  maxItems: number;
  query: ReadonlyArray<readonly [string, string]>;
}

function collection(
  ctx: ServerViewContext,
  page: ListPage,
  name: string,
  entries: Json[],
): { servers: Json[]; servers_links?: Json[] } {
  const out: { servers: Json[]; servers_links?: Json[] } = { servers: entries };
  const last = page.servers.at(-1);
  if (last && page.maxItems && page.maxItems === page.servers.length) {
    out.servers_links = [{ rel: 'next', href: nextLink(ctx, name, page.query, serverId(last)) }];
  }
  return out;
}

/** GET /servers. */
export function indexView(ctx: ServerViewContext, page: ListPage) {
  return collection(
    ctx,
    page,
    'servers',
    page.servers.map((s) => basicView(ctx, s)),
  );
}

/** GET /servers/detail (no server_groups in list entries). */
export function detailView(ctx: ServerViewContext, page: ListPage) {
  return collection(
    ctx,
    page,
    'servers/detail',
    page.servers.map((s) => showView(ctx, s)),
  );
}

const PASSWORD_SYMBOLS = ['23456789', 'ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz'];

/** utils.generate_password: 12 characters, at least one of each symbol group, shuffled. */
export function generatePassword(length = 12): string {
  const all = PASSWORD_SYMBOLS.join('');
  const chars = PASSWORD_SYMBOLS.map((g) => g[randomInt(g.length)]!);
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

/** ViewBuilder.create: the POST /servers answer for the first server created. */
export function createView(
  ctx: ServerViewContext,
  s: Server,
  securityGroups: Json[] | undefined,
  adminPass: string,
): Json {
  const id = serverId(s);
  return {
    server: {
      id,
      links: links(ctx, 'servers', id),
      'OS-DCF:diskConfig': 'MANUAL',
      security_groups: securityGroups ?? [{ name: 'default' }],
      adminPass,
    },
  };
}

/** GET /servers/{id}/ips: every network's addresses, without the extended attributes. */
export function ipsView(s: Server): { addresses: Record<string, Json[]> } {
  return { addresses: addressesOf(s, false, false) };
}
