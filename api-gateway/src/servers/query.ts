// GET /servers and /servers/detail query handling, after ServersController._get_servers,
// remove_invalid_options, remove_invalid_sort_keys, common.get_limit_and_marker/get_sort_params,
// the query_params_v21...v275 schemas, and the DB layer's filters, sort order and markers
// (nova/db/main/api.py instance_get_all_by_filters_sort, process_sort_params).
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { RESERVATION_LABEL } from '../../../operator/src/api/v1alpha1/index.ts';
import { USER_ANNOTATION } from '../../../operator/src/controllers/server.ts';
import { POWER_STATES, VM_STATES, statusFromState } from '../../../operator/src/compute/states.ts';
import type { APIVersionRequest } from '../microversion.ts';
import { MAX_LIMIT } from '../compute/common.ts';
import { ApiError } from '../errors.ts';
import { hostnameOf, projectOf, serverId, serverStatus, updatedAt, LAUNCH_INDEX_ANNOTATION } from './view.ts';
import { validationError } from '../validation.ts';
import { parseIsoTime, types } from './validation.ts';

const PAGING_SORTING_PARAMS = ['sort_key', 'sort_dir', 'limit', 'marker'];
const JOINED_TABLE_PARAMS = [
  'block_device_mapping',
  'services',
  'metadata',
  'system_metadata',
  'info_cache',
  'security_groups',
  'pci_devices',
];
const TAG_FILTERS = ['tags', 'tags-any', 'not-tags', 'not-tags-any'];

const IGNORE_SORT_KEYS = [
  'architecture',
  'cell_name',
  'cleaned',
  'default_ephemeral_device',
  'default_swap_device',
  'deleted',
  'deleted_at',
  'disable_terminate',
  'ephemeral_gb',
  'ephemeral_key_uuid',
  'id',
  'key_data',
  'launched_on',
  'locked',
  'memory_mb',
  'os_type',
  'reservation_id',
  'root_gb',
  'shutdown_terminate',
  'user_data',
  'vcpus',
  'vm_mode',
];
const SORT_KEYS = [
  'access_ip_v4',
  'access_ip_v6',
  'auto_disk_config',
  'availability_zone',
  'config_drive',
  'created_at',
  'display_description',
  'display_name',
  'host',
  'hostname',
  'image_ref',
  'instance_type_id',
  'kernel_id',
  'key_name',
  'launch_index',
  'launched_at',
  'locked_by',
  'node',
  'power_state',
  'progress',
  'project_id',
  'ramdisk_id',
  'root_device_name',
  'task_state',
  'terminated_at',
  'updated_at',
  'user_id',
  'uuid',
  'vm_state',
];

/** The query parameters query_params_v21 names (plus the joined-table ones and the paging pair). */
const V21_PARAMS = [
  'user_id',
  'project_id',
  'tenant_id',
  'launch_index',
  'image_ref',
  'image',
  'kernel_id',
  'ramdisk_id',
  'hostname',
  'key_name',
  'power_state',
  'vm_state',
  'task_state',
  'host',
  'node',
  'flavor',
  'reservation_id',
  'launched_at',
  'terminated_at',
  'availability_zone',
  'name',
  'display_name',
  'description',
  'display_description',
  'locked_by',
  'uuid',
  'root_device_name',
  'config_drive',
  'access_ip_v4',
  'access_ip_v6',
  'auto_disk_config',
  'progress',
  'sort_key',
  'sort_dir',
  'all_tenants',
  'soft_deleted',
  'deleted',
  'status',
  'changes-since',
  'ip',
  'ip6',
  'created_at',
  ...JOINED_TABLE_PARAMS,
  'limit',
  'marker',
];
/** common_query_regex_param: each value must compile as a regular expression. */
const REGEX_PARAMS = new Set([
  'kernel_id',
  'ramdisk_id',
  'hostname',
  'key_name',
  'power_state',
  'node',
  'flavor',
  'reservation_id',
  'launched_at',
  'terminated_at',
  'availability_zone',
  'name',
  'display_name',
  'description',
  'display_description',
  'locked_by',
  'root_device_name',
  'config_drive',
  'access_ip_v4',
  'access_ip_v6',
  'auto_disk_config',
  'progress',
  'ip',
  'ip6',
  'created_at',
  ...TAG_FILTERS,
]);

type Version = APIVersionRequest;
const at = (v: Version, min: string) => v.compare(min) >= 0;

function knownParams(v: Version): Set<string> {
  const s = new Set(V21_PARAMS);
  if (at(v, '2.26')) TAG_FILTERS.forEach((t) => s.add(t));
  if (at(v, '2.66')) s.add('changes-before');
  if (at(v, '2.73')) s.add('locked');
  return s;
}

function validSortKeys(v: Version): string[] {
  if (!at(v, '2.73')) return [...SORT_KEYS, ...IGNORE_SORT_KEYS];
  const ignore = IGNORE_SORT_KEYS.filter((k) => k !== 'locked');
  return at(v, '2.75') ? [...SORT_KEYS, 'locked'] : [...SORT_KEYS, ...ignore, 'locked'];
}

const schemaCache = new Map<string, Record<string, unknown>>();

/** The query schema of a microversion: strings, regexes, dates, the paging pair and the sort keys. */
function querySchema(v: Version): Record<string, unknown> {
  const id = at(v, '2.75')
    ? '2.75'
    : at(v, '2.73')
      ? '2.73'
      : at(v, '2.66')
        ? '2.66'
        : at(v, '2.26')
          ? '2.26'
          : '2.1';
  let schema = schemaCache.get(id);
  if (!schema) {
    const item = (k: string) =>
      k === 'changes-since' || k === 'changes-before'
        ? { type: 'string', format: 'date-time' }
        : k === 'limit'
          ? types.nonNegativeInteger
          : k === 'sort_key'
            ? { type: 'string', enum: validSortKeys(v) }
            : REGEX_PARAMS.has(k)
              ? { type: 'string', format: 'regex' }
              : { type: 'string' };
    const props = Object.fromEntries([...knownParams(v)].map((k) => [k, { type: 'array', items: item(k) }]));
    schema = {
      type: 'object',
      properties: props,
      additionalProperties: !at(v, '2.75'),
      patternProperties: { '^_': { type: 'array', items: { type: 'string' } } },
    };
    schemaCache.set(id, schema);
  }
  return schema;
}

/** _get_server_search_options: what a non-admin may filter by. */
function nonAdminOptions(v: Version): Set<string> {
  const s = new Set([
    'reservation_id',
    'name',
    'status',
    'image',
    'flavor',
    'ip',
    'changes-since',
    'all_tenants',
  ]);
  if (at(v, '2.5')) s.add('ip6');
  if (at(v, '2.26')) TAG_FILTERS.forEach((t) => s.add(t));
  if (at(v, '2.66')) s.add('changes-before');
  if (at(v, '2.73')) s.add('locked');
  if (at(v, '2.83')) {
    for (const k of [
      'availability_zone',
      'config_drive',
      'key_name',
      'created_at',
      'launched_at',
      'terminated_at',
      'power_state',
      'task_state',
      'vm_state',
      'progress',
      'user_id',
    ])
      s.add(k);
  }
  if (at(v, '2.90')) s.add('hostname');
  return s;
}

const TRUE_STRINGS = ['1', 't', 'true', 'on', 'y', 'yes'];
const FALSE_STRINGS = ['0', 'f', 'false', 'off', 'n', 'no'];

/** oslo strutils.bool_from_string(strict=True). */
function strictBool(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (TRUE_STRINGS.includes(v)) return true;
  if (FALSE_STRINGS.includes(v)) return false;
  const acceptable = [...TRUE_STRINGS, ...FALSE_STRINGS]
    .sort()
    .map((s) => `'${s}'`)
    .join(', ');
  throw new ApiError(400, `Unrecognized value '${value}', acceptable values are: ${acceptable}`);
}

export interface ListCaller {
  isAdmin: boolean;
  projectId: string;
}

export interface SortSpec {
  key: string;
  dir: 'asc' | 'desc';
}

export interface ListQuery {
  allTenants: boolean;
  /** The last value of each filter (webob MultiDict item access), status aside. */
  filters: Map<string, string>;
  statuses?: string[];
  changesSince?: Date;
  changesBefore?: Date;
  locked?: boolean;
  sort: SortSpec[];
  limit: number;
  marker?: string;
  /** A status that names no state before 2.38: Nova answers with an empty list. */
  empty: boolean;
}

/**
 * Parses and checks a list query like Nova: schema errors and bad values are 400s in Nova's words,
 * all_tenants and host/node sorting by non-admins are 403s.
 */
export function parseListQuery(
  version: Version,
  pairs: ReadonlyArray<readonly [string, string]>,
  caller: ListCaller,
  isDetail: boolean,
): ListQuery {
  const all = new Map<string, string[]>();
  for (const [k, v] of pairs) all.set(k, [...(all.get(k) ?? []), v]);

  // The query schema (query_params_v21 ... v275): every parameter a list of strings.
  const lists = Object.fromEntries(all);
  const error = validationError(querySchema(version), lists, 'query');
  if (error) throw new ApiError(400, error);

  // remove_invalid_options.
  const opts = new Map<string, string>();
  const allowed = nonAdminOptions(version);
  for (const [k, values] of all) {
    if (caller.isAdmin ? PAGING_SORTING_PARAMS.includes(k) : !allowed.has(k)) continue;
    opts.set(k, values.at(-1)!);
  }
  for (const k of opts.keys()) {
    if (JOINED_TABLE_PARAMS.includes(k) || k.startsWith('_'))
      throw new ApiError(400, `Invalid filter field: ${k}.`);
  }

  const q: ListQuery = {
    allTenants: false,
    filters: opts,
    sort: [],
    limit: MAX_LIMIT,
    empty: false,
  };

  if (opts.has('status')) {
    opts.delete('status');
    const statuses = all.get('status')!;
    if (!statusesKnown(statuses)) {
      if (at(version, '2.38')) throw new ApiError(400, 'Invalid status value');
      q.empty = true;
    }
    q.statuses = statuses.map((s) => s.toUpperCase());
  }

  if (opts.has('changes-since')) {
    q.changesSince = parseIsoTime(opts.get('changes-since')!);
    opts.delete('changes-since');
  }
  if (opts.has('changes-before')) {
    q.changesBefore = parseIsoTime(opts.get('changes-before')!);
    opts.delete('changes-before');
    if (q.changesSince && q.changesBefore! < q.changesSince) {
      throw new ApiError(400, 'The value of changes-since must be less than or equal to changes-before.');
    }
  }

  if (opts.get('vm_state') === 'deleted' && !caller.isAdmin) {
    throw new ApiError(403, 'Only administrators may list deleted instances');
  }

  // common.is_all_tenants: the bare key or an empty value means yes.
  if (opts.has('all_tenants')) {
    const v = opts.get('all_tenants')!;
    q.allTenants = v === '' ? true : strictBoolDefaultTrue(v);
    opts.delete('all_tenants');
  }
  if (opts.has('locked')) {
    q.locked = strictBool(opts.get('locked')!);
    opts.delete('locked');
  }
  if (q.allTenants && !caller.isAdmin) {
    const rule = isDetail ? 'detail:get_all_tenants' : 'index:get_all_tenants';
    throw new ApiError(403, `Policy doesn't allow os_compute_api:servers:${rule} to be performed.`);
  }
  if (!q.allTenants) opts.delete('tenant_id');

  const limits = all.get('limit');
  if (limits) q.limit = Math.min(MAX_LIMIT, Number(limits.at(-1)));
  const markers = all.get('marker');
  if (markers) q.marker = markers.at(-1);

  q.sort = sortParams(version, all, caller);
  return q;
}

/** strutils.bool_from_string(value, strict=True) as is_all_tenants calls it. */
function strictBoolDefaultTrue(v: string): boolean {
  try {
    return strictBool(v);
  } catch (e) {
    throw new ApiError(400, (e as ApiError).message);
  }
}

function statusesKnown(statuses: string[]): boolean {
  const known = new Set<string>();
  for (const vm of VM_STATES) {
    known.add(statusFromState(vm));
    for (const task of [
      'rebooting',
      'rebooting_hard',
      'updating_password',
      'rebuilding',
      'migrating',
      'resize_prep',
      'resize_reverting',
    ]) {
      known.add(statusFromState(vm, task));
    }
  }
  return statuses.some((s) => known.has(s.toUpperCase()));
}

/** get_sort_params + remove_invalid_sort_keys + the DB's process_sort_params. */
function sortParams(version: Version, all: Map<string, string[]>, caller: ListCaller): SortSpec[] {
  const keys = (all.get('sort_key') ?? []).map((k) => k.trim());
  const dirs = (all.get('sort_dir') ?? []).map((d) => d.trim());
  if (keys.length === 0) keys.push('created_at');
  if (dirs.length === 0) dirs.push('desc');
  const ignore = at(version, '2.73') ? IGNORE_SORT_KEYS.filter((k) => k !== 'locked') : IGNORE_SORT_KEYS;
  for (const key of [...keys]) {
    const i = keys.indexOf(key);
    if (ignore.includes(key)) {
      if (dirs.length > i) dirs.splice(i, 1);
      keys.splice(i, 1);
    } else if ((key === 'host' || key === 'node') && !caller.isAdmin) {
      throw new ApiError(403, `Only administrators can sort servers by ${key}`);
    }
  }
  for (const d of dirs) {
    if (d !== 'asc' && d !== 'desc') {
      throw new ApiError(400, "Invalid input received: Unknown sort direction, must be 'desc' or 'asc'");
    }
  }
  if (dirs.length > keys.length && keys.length > 0) {
    throw new ApiError(400, 'Invalid input received: Sort direction size exceeds sort key size');
  }
  const defaultDir = (dirs[0] ?? 'desc') as 'asc' | 'desc';
  const sort: SortSpec[] = keys.map((key, i) => ({ key, dir: (dirs[i] ?? defaultDir) as 'asc' | 'desc' }));
  // Nova appends created_at and the row id (creation order) for a total order; launch_index
  // orders the servers of one request as their ids do, and the uuid breaks the remaining ties.
  for (const extra of ['created_at', 'launch_index', 'uuid']) {
    if (!keys.includes(extra)) sort.push({ key: extra, dir: defaultDir });
  }
  return sort;
}

type Sortable = string | number | boolean | null;

/** A server's value for a Nova sort key (absent fields sort as NULL, first ascending). */
export function sortValue(s: Server, key: string): Sortable {
  switch (key) {
    case 'display_name':
      return s.spec.name;
    case 'display_description':
      return s.spec.description ?? null;
    case 'created_at':
      return s.metadata.creationTimestamp ?? null;
    case 'updated_at':
      return updatedAt(s);
    case 'uuid':
      return serverId(s);
    case 'host':
    case 'node':
      return s.status?.host ?? null;
    case 'hostname':
      return hostnameOf(s);
    case 'key_name':
      return s.spec.keyName ?? null;
    case 'vm_state':
      return s.status?.vmState ?? 'building';
    case 'task_state':
      return s.status?.taskState ?? null;
    case 'power_state':
      return POWER_STATES[s.status?.powerState ?? 'pending'];
    case 'launched_at':
      return s.status?.launchedAt ?? null;
    case 'terminated_at':
      return s.status?.terminatedAt ?? null;
    case 'project_id':
      return projectOf(s);
    case 'user_id':
      return s.metadata.annotations?.[USER_ANNOTATION] ?? null;
    case 'availability_zone':
      return s.spec.availabilityZone ?? null;
    case 'image_ref':
      return s.status?.image?.id ?? s.spec.imageRef;
    case 'instance_type_id':
      return s.status?.flavor?.id ?? s.spec.flavorRef;
    case 'launch_index':
      return Number(s.metadata.annotations?.[LAUNCH_INDEX_ANNOTATION] ?? 0);
    case 'locked':
      return s.spec.locked;
    case 'locked_by':
      return s.status?.lockedBy ?? null;
    case 'config_drive':
      return s.spec.configDrive ? 'True' : '';
    case 'progress':
      return 0;
    default:
      return null;
  }
}

function compareValues(a: Sortable, b: Sortable): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

export function compareServers(sort: readonly SortSpec[], a: Server, b: Server): number {
  for (const { key, dir } of sort) {
    const c = compareValues(sortValue(a, key), sortValue(b, key));
    if (c !== 0) return dir === 'asc' ? c : -c;
  }
  return 0;
}

function search(pattern: string, value: string | null | undefined): boolean {
  return value !== null && value !== undefined && new RegExp(pattern).test(value);
}

/** The DB filters: exact for ids and states, regular-expression search for names and the like. */
function matches(s: Server, q: ListQuery): boolean {
  if (q.statuses && !q.statuses.includes(serverStatus(s))) return false;
  const changed = new Date(updatedAt(s));
  if (q.changesSince && changed < q.changesSince) return false;
  if (q.changesBefore && changed > q.changesBefore) return false;
  if (q.locked !== undefined && s.spec.locked !== q.locked) return false;
  for (const [key, value] of q.filters) {
    if (!filterMatches(s, key, value)) return false;
  }
  return true;
}

function filterMatches(s: Server, key: string, value: string): boolean {
  const tags = s.spec.tags ?? [];
  switch (key) {
    case 'name':
    case 'display_name':
      return search(value, s.spec.name);
    case 'description':
    case 'display_description':
      return search(value, s.spec.description);
    case 'reservation_id':
      return s.metadata.labels?.[RESERVATION_LABEL] === value;
    case 'image':
    case 'image_ref':
      return (s.status?.image?.id ?? s.spec.imageRef) === value;
    case 'flavor':
      return (s.status?.flavor?.id ?? s.spec.flavorRef) === value;
    case 'ip':
    case 'ip6': {
      const version = key === 'ip' ? 4 : 6;
      return (s.status?.addresses ?? []).some((a) => a.version === version && search(value, a.addr));
    }
    case 'tags':
      return value.split(',').every((t) => tags.includes(t));
    case 'tags-any':
      return value.split(',').some((t) => tags.includes(t));
    case 'not-tags':
      return !value.split(',').every((t) => tags.includes(t));
    case 'not-tags-any':
      return !value.split(',').some((t) => tags.includes(t));
    case 'uuid':
      return serverId(s) === value;
    case 'project_id':
    case 'tenant_id':
      return projectOf(s) === value;
    case 'user_id':
      return s.metadata.annotations?.[USER_ANNOTATION] === value;
    case 'vm_state':
      return (s.status?.vmState ?? 'building') === value;
    case 'task_state':
      return (s.status?.taskState ?? '') === value;
    case 'host':
      return s.status?.host === value;
    case 'node':
      return search(value, s.status?.host);
    case 'hostname':
      return search(value, hostnameOf(s));
    case 'key_name':
      return search(value, s.spec.keyName);
    case 'availability_zone':
      return search(value, s.spec.availabilityZone);
    case 'power_state':
      return search(value, String(POWER_STATES[s.status?.powerState ?? 'pending']));
    case 'config_drive':
      return search(value, s.spec.configDrive ? 'True' : '');
    case 'launched_at':
      return search(value, s.status?.launchedAt);
    case 'terminated_at':
      return search(value, s.status?.terminatedAt);
    case 'created_at':
      return search(value, s.metadata.creationTimestamp);
    case 'launch_index':
      return (s.metadata.annotations?.[LAUNCH_INDEX_ANNOTATION] ?? '0') === value;
    default:
      // Filters on columns Kova does not keep (kernel_id, access_ip_v4, ...) match nothing set.
      return value === '';
  }
}

export interface ListResult {
  servers: Server[];
  /** min(limit, max_limit): where the collection links compare the page size. */
  maxItems: number;
}

/** Filters, sorts and pages the servers in scope (the caller's project, or all for all_tenants). */
export function selectServers(q: ListQuery, inScope: readonly Server[]): ListResult {
  if (q.empty || q.limit === 0) return { servers: [], maxItems: q.limit };
  // A server being deleted stays listed (task_state deleting) until its object is gone, as in Nova.
  const filtered = inScope.filter((s) => matches(s, q)).sort((a, b) => compareServers(q.sort, a, b));
  let start = 0;
  if (q.marker !== undefined) {
    const marker = inScope.find((s) => serverId(s) === q.marker);
    if (!marker) throw new ApiError(400, `marker [${q.marker}] not found`);
    start = filtered.findIndex((s) => compareServers(q.sort, s, marker) > 0);
    if (start < 0) start = filtered.length;
  }
  return { servers: filtered.slice(start, start + q.limit), maxItems: q.limit };
}
