// Nova's deprecated proxy APIs (capped at 2.35; image metadata at 2.38), answered from what Kova has:
// - images and image metadata: Kova's Image objects (the Glance data image/images.ts serves),
//   through Nova's image view (views/images.py); deletes and metadata writes are Glance calls
//   with the user's token, as Nova makes them (Glance's policy, owner rule and image store).
// - Kova has no Neutron, Cinder or Ironic behind these routes: networks, floating IPs and their
//   pools, security groups, volumes, snapshots and baremetal nodes are empty collections; a show or
//   delete is Nova's 404 for an unknown id; a create is the 4xx Nova gives when the service has
//   nothing to offer (no floating IP free, command not supported by Ironic) or, where Nova would
//   create the object in the service, a 400 saying Kova has none. See docs/api-coverage.md.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Image } from '../../../operator/src/api/v1alpha1/image.ts';
import { IMAGES } from '../../../operator/src/controllers/server.ts';
import { onlyIn } from '../admin/hosts.ts';
import { baseUrl } from '../app.ts';
import {
  COMPUTE_PREFIX,
  type GatewayContext,
  IMAGE_PREFIX,
  type PolicyRule,
  type Principal,
  enforce,
  principalOf,
} from '../context.ts';
import { ApiError, NOT_FOUND_MESSAGE } from '../errors.ts';
import { glanceTime, listedFor, readableBy } from '../image/images.ts';
import { validateMetadata, validateMetadataItem } from '../servers/schemas.ts';
import { collectionLinks, limitAndMarker, paginate, resourceLinks } from './common.ts';

/** MAX_PROXY_API_SUPPORT_VERSION and MAX_IMAGE_META_PROXY_API_VERSION. */
export const MAX_PROXY = '2.35';
export const MAX_IMAGE_META_PROXY = '2.38';

const STATUS: Record<string, string> = {
  active: 'ACTIVE',
  queued: 'SAVING',
  saving: 'SAVING',
  deleted: 'DELETED',
  pending_delete: 'DELETED',
  killed: 'ERROR',
};
const PROGRESS: Record<string, number> = { queued: 25, saving: 50, active: 100 };

function imageLinks(request: FastifyRequest, id: string) {
  return [
    ...resourceLinks(request, id, 'images'),
    {
      rel: 'alternate',
      type: 'application/vnd.openstack.image',
      href: `${baseUrl(request)}${IMAGE_PREFIX}/images/${id}`,
    },
  ];
}

/** ViewBuilder.basic: id, name, links. */
export const imageBasicView = (request: FastifyRequest, img: Image) => ({
  id: img.metadata.uid!,
  name: img.spec.name,
  links: imageLinks(request, img.metadata.uid!),
});

/** ViewBuilder.show: the detail of an image, with the server it was snapshotted from. */
export function imageDetailView(request: FastifyRequest, img: Image): Record<string, unknown> {
  const id = img.metadata.uid!;
  const phase = img.status?.phase ?? 'queued';
  const properties = { ...(img.spec.properties ?? {}) } as Record<string, unknown>;
  const created = glanceTime(img.metadata.creationTimestamp);
  const view: Record<string, unknown> = {
    id,
    name: img.spec.name,
    minRam: img.spec.minRam ?? 0,
    minDisk: img.spec.minDisk ?? 0,
    metadata: properties,
    created,
    updated: created,
    status: STATUS[phase] ?? 'UNKNOWN',
    progress: PROGRESS[phase] ?? 0,
    'OS-EXT-IMG-SIZE:size': img.status?.size ?? null,
    links: imageLinks(request, id),
  };
  const server = properties.instance_uuid;
  if (typeof server === 'string')
    view.server = { id: server, links: resourceLinks(request, server, 'servers') };
  const auto = properties.auto_disk_config;
  if (auto !== undefined)
    view['OS-DCF:diskConfig'] = /^(1|t|true|on|y|yes)$/i.test(String(auto)) ? 'AUTO' : 'MANUAL';
  return view;
}

/**
 * ImagesController._get_filters as Glance applies them: name, status (Glance's, lowercased),
 * changes-since (updated at or after), server (the snapshot's instance_uuid, the last path segment
 * of a URL), type (image_type), minRam and minDisk (exact, as Glance matches them) and
 * property-<key>. Nova strips "property-" with lstrip, which also eats the key's leading
 * letters from "property-"; Kova matches the key as written.
 */
export function imageMatches(img: Image, q: Record<string, string | undefined>): boolean {
  const props = (img.spec.properties ?? {}) as Record<string, unknown>;
  const prop = (key: string, want: string | undefined) =>
    want === undefined || String(props[key] ?? '') === want;
  const updated = img.metadata.creationTimestamp ?? '';
  if (q.name !== undefined && img.spec.name !== q.name) return false;
  if (q.status !== undefined && (img.status?.phase ?? 'queued') !== q.status.toLowerCase()) return false;
  if (q['changes-since'] !== undefined) {
    const since = Date.parse(q['changes-since']);
    if (!Number.isNaN(since) && Date.parse(updated) < since) return false;
  }
  if (!prop('instance_uuid', q.server?.split('/').at(-1)) || !prop('image_type', q.type)) return false;
  if (q.minRam !== undefined && String(img.spec.minRam ?? 0) !== q.minRam) return false;
  if (q.minDisk !== undefined && String(img.spec.minDisk ?? 0) !== q.minDisk) return false;
  return Object.entries(q).every(
    ([k, v]) => !k.startsWith('property-') || prop(k.slice('property-'.length), v),
  );
}

type IdReq = FastifyRequest<{ Params: { id: string; image_id: string } }>;

export function registerProxies(app: FastifyInstance, ctx: GatewayContext): void {
  const P = COMPUTE_PREFIX;
  const upTo = (request: FastifyRequest, max: string) => onlyIn(request.microversion!.compare(max) <= 0);

  const images = async (p: Principal) => {
    await ctx.authorize(p, 'list', IMAGES, undefined, 'get_images');
    return ctx.caches.get<Image>(IMAGES);
  };
  /** _get_image: Glance's answer as the user; an image the user may not see is "Image not found.". */
  async function findImage(p: Principal, id: string): Promise<Image> {
    const img = (await images(p)).list().find((i) => i.metadata.uid === id);
    if (!img || !readableBy(img, p)) throw new ApiError(404, 'Image not found.');
    return img;
  }
  async function listImages(request: FastifyRequest, detail: boolean) {
    upTo(request, MAX_PROXY);
    const p = principalOf(request);
    const q = request.query as Record<string, string | undefined>;
    const { limit, marker } = limitAndMarker(q);
    const all = (await images(p))
      .list()
      .filter((i) => listedFor(i, p) && imageMatches(i, q))
      .sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''));
    const page = paginate(all, (i) => i.metadata.uid!, limit, marker);
    const views = page.map((i) => (detail ? imageDetailView(request, i) : imageBasicView(request, i)));
    const links = collectionLinks(
      request,
      page.map((i) => ({ id: i.metadata.uid! })),
      detail ? 'images/detail' : 'images',
    );
    return { images: views, ...(links.length ? { images_links: links } : {}) };
  }
  /**
   * Nova's proxy calls Glance: the writes go to the gateway's own Glance routes with the user's
   * token (Glance's owner rule, protected images, the image store), and Glance's refusals become
   * Nova's answers (ImageNotFound: 404 "Image not found."; ImageNotAuthorized: 403).
   */
  async function glance(request: FastifyRequest, method: 'DELETE' | 'PATCH', id: string, payload?: unknown) {
    const res = await request.server.inject({
      method,
      url: `${IMAGE_PREFIX}/v2/images/${encodeURIComponent(id)}`,
      headers: {
        'x-auth-token': principalOf(request).token,
        ...(payload ? { 'content-type': 'application/openstack-images-v2.1-json-patch' } : {}),
      },
      ...(payload ? { payload: JSON.stringify(payload) } : {}),
    });
    if (res.statusCode < 300) return;
    if (res.statusCode === 404) throw new ApiError(404, 'Image not found.');
    if (res.statusCode === 403 && method === 'DELETE')
      throw new ApiError(403, 'You are not allowed to delete the image.');
    // Glance's own text ("403 Forbidden\n\n<message>\n\n   "): its message line.
    const message = res.body.split('\n').find((l, i) => i > 0 && l.trim()) ?? res.statusMessage;
    throw new ApiError(res.statusCode, message.trim());
  }
  /** image_api.update with purge_props: the JSON patch from the image's properties to these. */
  async function writeProperties(request: FastifyRequest, img: Image, properties: Record<string, string>) {
    const before = (img.spec.properties ?? {}) as Record<string, unknown>;
    const pointer = (k: string) => '/' + k.replace(/~/g, '~0').replace(/\//g, '~1');
    const ops = [
      ...Object.keys(before)
        .filter((k) => !(k in properties))
        .map((k) => ({ op: 'remove', path: pointer(k) })),
      ...Object.entries(properties)
        .filter(([k, v]) => before[k] !== v)
        .map(([k, v]) => ({ op: k in before ? 'replace' : 'add', path: pointer(k), value: v })),
    ];
    if (ops.length) await glance(request, 'PATCH', img.metadata.uid!, ops);
  }

  app.get(`${P}/images`, async (request) => listImages(request, false));
  app.get(`${P}/images/detail`, async (request) => listImages(request, true));
  app.get(`${P}/images/:id`, async (request: IdReq) => {
    upTo(request, MAX_PROXY);
    return { image: imageDetailView(request, await findImage(principalOf(request), request.params.id)) };
  });
  app.delete(`${P}/images/:id`, async (request: IdReq, reply: FastifyReply) => {
    upTo(request, MAX_PROXY);
    await glance(request, 'DELETE', request.params.id);
    return reply.code(204).send();
  });

  const props = (img: Image) => ({ ...(img.spec.properties ?? {}) }) as Record<string, string>;
  app.get(`${P}/images/:image_id/metadata`, async (request: IdReq) => {
    upTo(request, MAX_IMAGE_META_PROXY);
    return { metadata: props(await findImage(principalOf(request), request.params.image_id)) };
  });
  app.get(`${P}/images/:image_id/metadata/:id`, async (request: IdReq) => {
    upTo(request, MAX_IMAGE_META_PROXY);
    const metadata = props(await findImage(principalOf(request), request.params.image_id));
    if (!Object.hasOwn(metadata, request.params.id)) throw new ApiError(404, NOT_FOUND_MESSAGE);
    return { meta: { [request.params.id]: metadata[request.params.id] } };
  });
  app.post(`${P}/images/:image_id/metadata`, async (request: IdReq) => {
    upTo(request, MAX_IMAGE_META_PROXY);
    validateMetadata(request.body);
    const p = principalOf(request);
    const img = await findImage(p, request.params.image_id);
    const metadata = { ...props(img), ...(request.body as { metadata: Record<string, string> }).metadata };
    await writeProperties(request, img, metadata);
    return { metadata };
  });
  app.put(`${P}/images/:image_id/metadata`, async (request: IdReq) => {
    upTo(request, MAX_IMAGE_META_PROXY);
    validateMetadata(request.body);
    const p = principalOf(request);
    const img = await findImage(p, request.params.image_id);
    const metadata = (request.body as { metadata: Record<string, string> }).metadata;
    await writeProperties(request, img, metadata);
    return { metadata };
  });
  app.put(`${P}/images/:image_id/metadata/:id`, async (request: IdReq) => {
    upTo(request, MAX_IMAGE_META_PROXY);
    validateMetadataItem(request.body);
    const meta = (request.body as { meta: Record<string, string> }).meta;
    const key = request.params.id;
    if (!Object.hasOwn(meta, key)) throw new ApiError(400, 'Request body and URI mismatch');
    const p = principalOf(request);
    const img = await findImage(p, request.params.image_id);
    await writeProperties(request, img, { ...props(img), [key]: meta[key]! });
    return { meta };
  });
  app.delete(`${P}/images/:image_id/metadata/:id`, async (request: IdReq, reply: FastifyReply) => {
    upTo(request, MAX_IMAGE_META_PROXY);
    const p = principalOf(request);
    const img = await findImage(p, request.params.image_id);
    const { [request.params.id]: removed, ...rest } = props(img);
    if (removed === undefined) throw new ApiError(404, 'Invalid metadata key');
    await writeProperties(request, img, rest);
    return reply.code(204).send();
  });

  /**
   * A proxy collection with nothing behind it in Kova: the policy, then an empty list, Nova's 404
   * for any id, and the given answer to creates.
   */
  function empty(o: {
    path: string;
    policy: string;
    rule: { read: PolicyRule; write: PolicyRule };
    key: string;
    detail?: boolean;
    notFound: (id: string) => ApiError;
    create?: (body: Record<string, unknown> | undefined) => ApiError;
    update?: boolean;
    verbs?: { list: string; detail?: string; show: string; create: string; delete: string; update?: string };
  }): void {
    const v = o.verbs ?? {
      list: 'list',
      detail: 'detail',
      show: 'show',
      create: 'create',
      delete: 'delete',
      update: 'update',
    };
    const check = (request: FastifyRequest, verb: string, rule: PolicyRule) => {
      upTo(request, MAX_PROXY);
      enforce(principalOf(request), `${o.policy}:${verb}`, rule);
    };
    app.get(`${P}${o.path}`, async (request) => {
      check(request, v.list, o.rule.read);
      return { [o.key]: [] };
    });
    if (o.detail)
      app.get(`${P}${o.path}/detail`, async (request) => {
        check(request, v.detail ?? 'detail', o.rule.read);
        return { [o.key]: [] };
      });
    app.get(`${P}${o.path}/:id`, async (request: IdReq) => {
      check(request, v.show, o.rule.read);
      throw o.notFound(request.params.id);
    });
    if (o.create) {
      const create = o.create;
      app.post(`${P}${o.path}`, async (request) => {
        check(request, v.create, o.rule.write);
        throw create(request.body as Record<string, unknown> | undefined);
      });
      app.delete(`${P}${o.path}/:id`, async (request: IdReq) => {
        check(request, v.delete, o.rule.write);
        throw o.notFound(request.params.id);
      });
    }
    if (o.update)
      app.put(`${P}${o.path}/:id`, async (request: IdReq) => {
        check(request, v.update ?? 'update', o.rule.write);
        throw o.notFound(request.params.id);
      });
  }
  const reader = { read: 'project_reader', write: 'project_member' } as const;
  const noNetwork = () => new ApiError(404, 'Network not found');
  empty({
    path: '/os-networks',
    policy: 'os_compute_api:os-networks',
    rule: reader,
    key: 'networks',
    notFound: noNetwork,
  });
  empty({
    path: '/os-tenant-networks',
    policy: 'os_compute_api:os-tenant-networks',
    rule: reader,
    key: 'networks',
    notFound: noNetwork,
  });
  empty({
    path: '/os-floating-ips',
    policy: 'os_compute_api:os-floating-ips',
    rule: reader,
    key: 'floating_ips',
    notFound: (id) => new ApiError(404, `Floating IP not found for ID ${id}`),
    create: (body) =>
      new ApiError(
        404,
        body?.pool ? `No more floating IPs in pool ${String(body.pool)}.` : 'No more floating IPs available.',
      ),
  });
  app.get(`${P}/os-floating-ip-pools`, async (request) => {
    upTo(request, MAX_PROXY);
    enforce(principalOf(request), 'os_compute_api:os-floating-ip-pools', 'any');
    return { floating_ip_pools: [] };
  });
  const securityGroupBody = (key: string) => (body: Record<string, unknown> | undefined) => {
    if (!body || Object.keys(body).length === 0) return new ApiError(400, "The request body can't be empty");
    if (body[key] === undefined || body[key] === null) return new ApiError(400, `Missing parameter ${key}`);
    return new ApiError(400, 'Kova has no network service (Neutron): security groups cannot be created.');
  };
  empty({
    path: '/os-security-groups',
    policy: 'os_compute_api:os-security-groups',
    rule: reader,
    key: 'security_groups',
    notFound: (id) => new ApiError(404, `Security group ${id} not found.`),
    create: securityGroupBody('security_group'),
    update: true,
    verbs: { list: 'get', show: 'show', create: 'create', delete: 'delete', update: 'update' },
  });
  app.post(`${P}/os-security-group-rules`, async (request) => {
    upTo(request, MAX_PROXY);
    enforce(principalOf(request), 'os_compute_api:os-security-groups:rule:create', 'project_member');
    const body = request.body as Record<string, unknown> | undefined;
    const rule = body?.security_group_rule as Record<string, unknown> | undefined;
    if (!rule) throw securityGroupBody('security_group_rule')(body);
    throw new ApiError(404, `Security group ${String(rule.parent_group_id)} not found.`);
  });
  app.delete(`${P}/os-security-group-rules/:id`, async (request: IdReq) => {
    upTo(request, MAX_PROXY);
    enforce(principalOf(request), 'os_compute_api:os-security-groups:rule:delete', 'project_member');
    throw new ApiError(404, `Security group rule ${request.params.id} not found.`);
  });
  const noCinder = (what: string) => () =>
    new ApiError(400, `Kova has no block storage service (Cinder): ${what} cannot be created.`);
  empty({
    path: '/os-volumes',
    policy: 'os_compute_api:os-volumes',
    rule: reader,
    key: 'volumes',
    detail: true,
    notFound: (id) => new ApiError(404, `Volume ${id} could not be found.`),
    create: noCinder('volumes'),
  });
  empty({
    path: '/os-snapshots',
    policy: 'os_compute_api:os-volumes:snapshots',
    rule: reader,
    key: 'snapshots',
    detail: true,
    notFound: (id) => new ApiError(404, `Snapshot ${id} could not be found.`),
    create: noCinder('snapshots'),
  });

  // os-baremetal-nodes: Kova has no Ironic nodes; writes are Nova's "use Ironic" 400, no policy.
  const ironic = (cmd: string) =>
    new ApiError(400, `Command Not supported. Please use Ironic command ${cmd} to perform this action.`);
  app.get(`${P}/os-baremetal-nodes`, async (request) => {
    upTo(request, MAX_PROXY);
    enforce(principalOf(request), 'os_compute_api:os-baremetal-nodes:list', 'admin');
    return { nodes: [] };
  });
  app.get(`${P}/os-baremetal-nodes/:id`, async (request: IdReq) => {
    upTo(request, MAX_PROXY);
    enforce(principalOf(request), 'os_compute_api:os-baremetal-nodes:show', 'admin');
    throw new ApiError(404, `Node ${request.params.id} could not be found.`);
  });
  app.post(`${P}/os-baremetal-nodes`, async (request) => {
    upTo(request, MAX_PROXY);
    throw ironic('node-create');
  });
  app.delete(`${P}/os-baremetal-nodes/:id`, async (request) => {
    upTo(request, MAX_PROXY);
    throw ironic('node-delete');
  });
  app.post(`${P}/os-baremetal-nodes/:id/action`, async (request) => {
    upTo(request, MAX_PROXY);
    const key = Object.keys((request.body as Record<string, unknown> | undefined) ?? {})[0] ?? '';
    if (key === 'add_interface') throw ironic('port-create');
    if (key === 'remove_interface') throw ironic('port-delete');
    throw new ApiError(400, `There is no such action: ${key}`);
  });
}
