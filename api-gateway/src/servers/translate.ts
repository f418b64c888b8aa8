// POST /servers and PUT /servers/{id} bodies (already schema-valid) → Server objects and patches,
// after ServersController.create/update and compute.API.create (_provision_instances,
// multi_instance_display_name_template, sanitize_hostname, reservation ids).
import { randomInt } from 'node:crypto';
import { API_VERSION } from '../../../operator/src/api/kind.ts';
import {
  NUM_INSTANCES_ANNOTATION,
  RESERVATION_LABEL,
  type Server,
} from '../../../operator/src/api/v1alpha1/index.ts';
import { USER_ANNOTATION } from '../../../operator/src/controllers/server.ts';
import { ApiError } from '../errors.ts';
import type { APIVersionRequest } from '../microversion.ts';
import { sanitizeHostname } from '../../../operator/src/compute/hostname.ts';
import { LAUNCH_INDEX_ANNOTATION } from './view.ts';
import { toBool } from './validation.ts';

type Body = Record<string, unknown>;

/** The most servers one request may create (Kova's guard; Nova relies on the quota). */
export const MAX_COUNT = 1000;
type Spec = Server['spec'];

/** What a create request turns into: the objects to create and what the answer needs. */
export interface CreatePlan {
  servers: Server[];
  reservationId: string;
  returnReservationId: boolean;
  minCount: number;
  securityGroups?: { name: string }[];
  adminPass?: string;
}

/** common.get_id_from_href: the last path segment of a URL, or the value itself. */
export function idFromHref(href: unknown): string {
  const text = String(href);
  const path = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/[^?#]*)?/i.exec(text)?.[1] ?? text.split(/[?#]/, 1)[0]!;
  return path.split('/').at(-1) ?? '';
}

/** Nova's reservation id: "r-" and 8 random characters (compute/utils.generate_uid). */
export function reservationId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = 'r-';
  for (let i = 0; i < 8; i++) id += alphabet[randomInt(alphabet.length)];
  return id;
}

/** A DNS-1123 prefix for metadata.generateName from Nova's name. */
function generateNameFor(name: string): string {
  const base = sanitizeHostname(name)
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `${base || 'server'}-`;
}

/** The image to boot: imageRef, or the image of a bootable local block device mapping. */
function imageFrom(server: Body): string {
  const bdms = (server.block_device_mapping_v2 as Body[] | undefined) ?? [];
  const legacy = (server.block_device_mapping as Body[] | undefined) ?? [];
  if (bdms.length && legacy.length) {
    throw new ApiError(
      400,
      'Using different block_device_mapping syntaxes is not allowed in the same request.',
    );
  }
  if (legacy.length) {
    throw new ApiError(400, 'Block Device Mapping is Invalid: volumes are not supported by this cloud.');
  }
  let fromBdm: string | undefined;
  for (const bdm of bdms) {
    const source = bdm.source_type ?? (bdm.image_id ? 'image' : bdm.volume_id ? 'volume' : 'blank');
    const dest = bdm.destination_type ?? (source === 'image' ? 'local' : 'volume');
    if (dest === 'volume' || source === 'volume' || source === 'snapshot') {
      throw new ApiError(400, 'Block Device Mapping is Invalid: volumes are not supported by this cloud.');
    }
    const bootIndex =
      bdm.boot_index === undefined || bdm.boot_index === null ? undefined : Number(bdm.boot_index);
    if (source === 'image' && bootIndex === 0) fromBdm = String(bdm.uuid ?? bdm.image_id ?? '');
  }
  const imageRef = server.imageRef as string | undefined;
  if (imageRef) return idFromHref(imageRef);
  if (fromBdm) return fromBdm;
  throw new ApiError(400, 'Missing imageRef attribute');
}

function networksFrom(version: APIVersionRequest, server: Body): Spec['networks'] {
  const nets = server.networks;
  if (nets === undefined || nets === 'auto') return { allocation: 'auto' };
  if (nets === 'none') return { allocation: 'none' };
  const list = nets as Body[];
  if (list.length === 0) return { allocation: 'auto' };
  const ports = new Set<string>();
  const requested = list.map((n) => {
    const port = n.port as string | undefined | null;
    if (port) {
      if (ports.has(port)) {
        throw new ApiError(
          400,
          `Port ID '${port}' was specified twice: you cannot attach a port multiple times.`,
        );
      }
      if (n.fixed_ip !== undefined) {
        throw new ApiError(
          400,
          `Specified Fixed IP '${String(n.fixed_ip)}' cannot be used with port '${port}': the two cannot be specified together.`,
        );
      }
      ports.add(port);
      return { port, ...(n.tag ? { tag: n.tag as string } : {}) };
    }
    if (n.uuid === undefined) throw new ApiError(400, "Bad network format: missing 'uuid'");
    const uuid = String(n.uuid);
    if (version.compare('2.37') < 0 && !/^[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}$/i.test(uuid)) {
      throw new ApiError(400, `Bad networks format: network uuid is not in proper format (${uuid})`);
    }
    return {
      uuid,
      ...(n.fixed_ip !== undefined ? { fixedIp: n.fixed_ip as string } : {}),
      ...(n.tag ? { tag: n.tag as string } : {}),
    };
  });
  return { allocation: 'requested', requested };
}

export interface CreateCaller {
  userId: string;
  isAdmin: boolean;
}

/**
 * The Server objects a valid POST /servers body asks for (one per max_count), with Nova's names
 * for a multi-create ("name-1", "name-2"...), the shared reservation label and the count the
 * scheduler places all-or-none.
 */
export function planCreate(
  version: APIVersionRequest,
  body: Body,
  caller: CreateCaller,
  fit: (minCount: number, maxCount: number, flavorRef: string) => number = (_min, max) => max,
): CreatePlan {
  const at = (v: string) => version.compare(v) >= 0;
  const server = body.server as Body;
  const minCount = Number(server.min_count ?? 1);
  const maxCount = Number(server.max_count ?? minCount);
  if (minCount > maxCount) throw new ApiError(400, 'min_count must be <= max_count');
  if (maxCount > MAX_COUNT) {
    // Not in Nova (its quota stops it first); a guard against one request asking for millions.
    throw new ApiError(400, `max_count must be <= ${MAX_COUNT}`);
  }
  const name = server.name as string;
  const hostname = at('2.90') ? (server.hostname as string | undefined) : undefined;
  if (hostname && maxCount > 1) {
    throw new ApiError(
      400,
      'Unable to allocate a hostname for multiple instances: remove the hostname or request a single instance.',
    );
  }

  const hints = (body['os:scheduler_hints'] ?? body['OS-SCH-HNT:scheduler_hints'] ?? {}) as Body;
  const { group, ...otherHints } = hints;

  let availabilityZone = server.availability_zone as string | undefined;
  let host = at('2.74') ? (server.host as string | undefined) : undefined;
  if (at('2.74') && server.hypervisor_hostname !== undefined) host ??= server.hypervisor_hostname as string;
  if (availabilityZone?.includes(':')) {
    // compute.API.parse_availability_zone: "zone:host[:node]" forces a host (admin only).
    const [zone, forcedHost, node] = availabilityZone.split(':');
    if (!caller.isAdmin) {
      throw new ApiError(
        403,
        "Policy doesn't allow os_compute_api:servers:create:forced_host to be performed.",
      );
    }
    if (host) {
      throw new ApiError(
        400,
        'One mechanism with host and/or hypervisor_hostname and another mechanism with zone:host:node are mutually exclusive.',
      );
    }
    availabilityZone = zone || undefined;
    host = forcedHost || node || undefined;
  } else if (host && !caller.isAdmin) {
    throw new ApiError(
      403,
      "Policy doesn't allow compute:servers:create:requested_destination to be performed.",
    );
  }

  const spec: Partial<Spec> = {
    flavorRef: idFromHref(server.flavorRef),
    imageRef: imageFrom(server),
    networks: networksFrom(version, server),
  };
  if (server.key_name !== undefined) spec.keyName = server.key_name as string;
  // binascii.a2b_base64, which Nova's base64 check uses, ignores characters outside the alphabet.
  if (server.user_data !== undefined)
    spec.userData = (server.user_data as string).replace(/[^A-Za-z0-9+/=]/g, '');
  if (server.metadata !== undefined) spec.metadata = server.metadata as Record<string, string>;
  if (availabilityZone) spec.availabilityZone = availabilityZone;
  if (host) spec.host = host;
  if (group !== undefined) spec.serverGroup = String(group);
  if (Object.keys(otherHints).length) spec.schedulerHints = otherHints;
  if (server.config_drive !== undefined) spec.configDrive = toBool(server.config_drive);
  // Before 2.19 Nova stores the name as the description.
  const description = at('2.19') ? (server.description as string | null | undefined) : name;
  if (description !== undefined && description !== null) spec.description = description;
  if (at('2.52') && server.tags !== undefined) spec.tags = [...new Set(server.tags as string[])];
  const groupNames = (server.security_groups as { name?: string }[] | undefined)?.flatMap((g) =>
    g.name ? [g.name] : [],
  );
  if (groupNames?.length) spec.securityGroups = [...new Set(groupNames)];

  // The quota may reduce max_count to what fits (at least min_count).
  const count = fit(minCount, maxCount, spec.flavorRef!);
  const resv = reservationId();
  const servers: Server[] = [];
  for (let i = 0; i < count; i++) {
    const displayName = count > 1 ? `${name}-${i + 1}` : name;
    const guestHostname = hostname ?? sanitizeHostname(displayName);
    const annotations: Record<string, string> = {
      [USER_ANNOTATION]: caller.userId,
      [LAUNCH_INDEX_ANNOTATION]: String(i),
    };
    if (count > 1) annotations[NUM_INSTANCES_ANNOTATION] = String(count);
    servers.push({
      apiVersion: API_VERSION,
      kind: 'Server',
      metadata: {
        generateName: generateNameFor(displayName),
        labels: { [RESERVATION_LABEL]: resv },
        annotations,
      },
      spec: {
        ...spec,
        name: displayName,
        ...(guestHostname ? { hostname: guestHostname } : {}),
      } as Spec,
    });
  }

  const groups = server.security_groups as { name?: string }[] | undefined;
  return {
    servers,
    reservationId: resv,
    returnReservationId: server.return_reservation_id !== undefined && toBool(server.return_reservation_id),
    minCount,
    ...(groups ? { securityGroups: groups.map((g) => ({ name: g.name ?? '' })) } : {}),
    ...(server.adminPass !== undefined ? { adminPass: server.adminPass as string } : {}),
  };
}

/** The spec fields a valid PUT /servers/{id} body changes (name, description 2.19, hostname 2.90). */
export function planUpdate(version: APIVersionRequest, body: Body): Partial<Record<keyof Spec, unknown>> {
  const server = (body.server ?? {}) as Body;
  const patch: Partial<Record<keyof Spec, unknown>> = {};
  if ('name' in server) patch.name = server.name;
  if (version.compare('2.19') >= 0 && 'description' in server) patch.description = server.description;
  if (version.compare('2.90') >= 0 && 'hostname' in server) patch.hostname = server.hostname;
  return patch;
}
