// The small compute routes Kova answers without an object of its own behind them:
// - /extensions and /extensions/{alias}: Nova's fixed extension list (extension_info.py).
// - os-console-auth-tokens/{token} (admin): Kova's consoles issue no Nova console-auth tokens, so
//   every token is one Nova does not know: "Token not found".
// - os-assisted-volume-snapshots (admin; Cinder's callback): Kova has no volumes, so no volume has
//   a block device mapping: Nova's 400 for that.
// - POST /os-aggregates/{id}/images (2.81+, admin): image pre-caching on the aggregate's hosts.
//   Nova's conductor casts the request to the hosts and answers 202 without checking the images;
//   Kova's hosts fetch images on first boot and keep no cache to warm, so the request is accepted
//   as Nova accepts it and has no further effect (docs/api-coverage.md).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Aggregate } from '../../../operator/src/api/v1alpha1/index.ts';
import { AGGREGATES } from '../../../operator/src/controllers/aggregate.ts';
import { onlyIn } from '../admin/hosts.ts';
import { COMPUTE_PREFIX, type GatewayContext, enforce, principalOf } from '../context.ts';
import { ApiError, NOT_FOUND_MESSAGE } from '../errors.ts';
import { type Schema, validateBody, validateQuery, querySchema } from '../validation.ts';
import { validateInteger } from './common.ts';
import { EXTENSIONS } from './extensionlist.ts';

const extensionView = ([alias, name, description]: readonly [string, string, string]) => ({
  alias,
  description,
  links: [],
  name,
  namespace: 'http://docs.openstack.org/compute/ext/fake_xml',
  updated: '2014-12-03T00:00:00Z',
});

const SNAPSHOT_CREATE: Schema = {
  type: 'object',
  properties: {
    snapshot: {
      type: 'object',
      properties: {
        volume_id: { type: 'string', minLength: 1 },
        create_info: {
          type: 'object',
          properties: {
            snapshot_id: { type: 'string', minLength: 1 },
            type: { type: 'string', enum: ['qcow2'] },
            new_file: { type: 'string', minLength: 1 },
            id: { type: 'string', minLength: 1 },
          },
          required: ['snapshot_id', 'type', 'new_file'],
          additionalProperties: false,
        },
      },
      required: ['volume_id', 'create_info'],
      additionalProperties: false,
    },
  },
  required: ['snapshot'],
  additionalProperties: false,
};

const AGGREGATE_IMAGES: Schema = {
  type: 'object',
  properties: {
    cache: {
      type: ['array'],
      minItems: 1,
      items: {
        type: 'object',
        properties: { id: { type: 'string', format: 'uuid' } },
        additionalProperties: false,
        required: ['id'],
      },
    },
  },
  required: ['cache'],
  additionalProperties: false,
};

/** VolumeBDMNotFound: no server has the volume attached (Kova attaches no volumes). */
const noBdm = (volumeId: string) => new ApiError(400, `No volume Block Device Mapping with id ${volumeId}.`);

/** Python's str(KeyError('x')) / a JSON ValueError, as Nova echoes them in the 400. */
function deleteInfoVolume(raw: string | undefined): string {
  if (raw === undefined) throw new ApiError(400, "'delete_info'");
  let info: unknown;
  try {
    info = JSON.parse(raw);
  } catch {
    throw new ApiError(400, 'Expecting value: line 1 column 1 (char 0)');
  }
  const volumeId = (info as Record<string, unknown> | null)?.volume_id;
  if (typeof info !== 'object' || info === null || volumeId === undefined)
    throw new ApiError(400, "'volume_id'");
  return String(volumeId);
}

export function registerExtensions(app: FastifyInstance, ctx: GatewayContext): void {
  const P = COMPUTE_PREFIX;

  app.get(`${P}/extensions`, async (request) => {
    enforce(principalOf(request), 'os_compute_api:extensions', 'any');
    return { extensions: EXTENSIONS.map(extensionView) };
  });
  app.get<{ Params: { id: string } }>(`${P}/extensions/:id`, async (request) => {
    enforce(principalOf(request), 'os_compute_api:extensions', 'any');
    const ext = EXTENSIONS.find(([alias]) => alias === request.params.id);
    if (!ext) throw new ApiError(404, NOT_FOUND_MESSAGE);
    return { extension: extensionView(ext) };
  });

  app.get<{ Params: { id: string } }>(`${P}/os-console-auth-tokens/:id`, async (request) => {
    // 2.99 (spice-direct) closed the query string.
    validateQuery(request, querySchema({}, request.microversion!.compare('2.99') < 0));
    enforce(principalOf(request), 'os_compute_api:os-console-auth-tokens', 'admin');
    throw new ApiError(404, 'Token not found');
  });

  app.post(`${P}/os-assisted-volume-snapshots`, async (request) => {
    const body = validateBody<{ snapshot: { volume_id: string } }>(request, SNAPSHOT_CREATE);
    enforce(principalOf(request), 'os_compute_api:os-assisted-volume-snapshots:create', 'admin');
    throw noBdm(body.snapshot.volume_id);
  });
  app.delete<{ Params: { id: string } }>(`${P}/os-assisted-volume-snapshots/:id`, async (request) => {
    const version = request.microversion!;
    const query = validateQuery(
      request,
      querySchema({ delete_info: { type: 'string' } }, version.compare('2.75') < 0),
    );
    enforce(principalOf(request), 'os_compute_api:os-assisted-volume-snapshots:delete', 'admin');
    throw noBdm(deleteInfoVolume(query.delete_info));
  });

  app.post<{ Params: { id: string } }>(
    `${P}/os-aggregates/:id/images`,
    async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
      onlyIn(request.microversion!.compare('2.81') >= 0);
      const body = validateBody<{ cache: { id: string }[] }>(request, AGGREGATE_IMAGES);
      const p = principalOf(request);
      enforce(p, 'compute:aggregates:images', 'admin');
      const id = validateInteger(request.params.id, 'id');
      const ids = body.cache.map((c) => c.id);
      if (new Set(ids).size !== ids.length) throw new ApiError(400, 'Duplicate images in request');
      await ctx.authorize(p, 'list', AGGREGATES, undefined, 'compute:aggregates:images');
      const aggregates = await ctx.caches.get<Aggregate>(AGGREGATES);
      if (!aggregates.list().some((a) => a.status?.id === id))
        throw new ApiError(404, `Aggregate ${id} could not be found.`);
      return reply.code(202).send();
    },
  );
}
