// Server tags (nova/api/openstack/compute/server_tags.py, 2.26+): the tags are the Server's
// spec.tags, written as the user. Writes need vm_state active, paused, suspended or stopped (409
// otherwise; Nova checks no lock here); at most MAX_TAG_COUNT (50) tags.
import type { VmState } from '../../../operator/src/compute/states.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { computeUrl } from '../compute/common.ts';
import { COMPUTE_PREFIX, type GatewayContext, type Principal, enforce, principalOf } from '../context.ts';
import { ApiError, NOT_FOUND_MESSAGE } from '../errors.ts';
import { APIVersionRequest } from '../microversion.ts';
import { type Schema, validateBody, validationError } from '../validation.ts';
import type { ServerAccess } from './actions.ts';
import { types } from './validation.ts';
import { serverId } from './view.ts';

/** objects.instance.MAX_TAG_COUNT. */
export const MAX_TAG_COUNT = 50;
const POLICY = (rule: string) => `os_compute_api:os-server-tags:${rule}`;

export const TAG_SCHEMAS: { updateAll: Schema; update: Schema } = {
  updateAll: {
    type: 'object',
    properties: { tags: { type: 'array', items: types.tag, maxItems: MAX_TAG_COUNT } },
    required: ['tags'],
    additionalProperties: false,
  },
  update: { type: 'null' },
};

/** The vm_states a tag write needs (_check_instance_in_valid_state). */
const WRITABLE: readonly string[] = ['active', 'paused', 'suspended', 'stopped'] satisfies VmState[];

/** Nova's 409 for a server whose vm_state refuses `action`, or nothing. */
export function checkTagWritable(s: Server, action: string): void {
  const state = s.status?.vmState ?? 'building';
  if (!WRITABLE.includes(state)) {
    throw new ApiError(409, `Cannot '${action}' instance ${serverId(s)} while it is in vm_state ${state}`);
  }
}

/** The 400 for a tag in the URL that parameter_types.tag refuses, or nothing. */
export function checkTagName(tag: string): void {
  const error = validationError(types.tag, tag);
  if (error) {
    throw new ApiError(
      400,
      `Tag '${tag}' is invalid. It must be a non empty string without characters '/' and ','. Validation error message: ${error}`,
    );
  }
}

type Req = FastifyRequest<{ Params: { id: string; tag: string } }>;

export function registerServerTags(app: FastifyInstance, ctx: GatewayContext, access: ServerAccess): void {
  const P = `${COMPUTE_PREFIX}/servers/:id/tags`;

  /** The server after the 2.26 gate, Nova's policy (reader or member) and RBAC. */
  async function target(request: Req, rule: string, write: boolean): Promise<{ p: Principal; s: Server }> {
    gate(request);
    const p = principalOf(request);
    // Nova's policy first (its target is the instance mapping's project), then the server.
    enforce(p, POLICY(rule), write ? 'project_member' : 'project_reader');
    const s = await access.findServer(p, request.params.id, write ? 'update' : 'get');
    return { p, s };
  }

  const gate = (request: FastifyRequest) => {
    const version = request.microversion ?? APIVersionRequest.parse('2.1');
    if (version.compare('2.26') < 0) throw new ApiError(404, NOT_FOUND_MESSAGE);
  };
  const write = (p: Principal, s: Server, tags: string[] | null, rule: string) =>
    access.patchServer(p, s, { spec: { tags } }, POLICY(rule));

  app.get(P, async (request: Req) => {
    const { s } = await target(request, 'index', false);
    return { tags: s.spec.tags ?? [] };
  });

  app.get(`${P}/:tag`, async (request: Req, reply: FastifyReply) => {
    const { s } = await target(request, 'show', false);
    const tag = request.params.tag;
    if (!(s.spec.tags ?? []).includes(tag)) {
      throw new ApiError(404, `Server ${request.params.id} has no tag '${tag}'`);
    }
    return reply.code(204).send();
  });

  app.put(P, async (request: Req) => {
    gate(request);
    const body = validateBody<{ tags: string[] }>(request, TAG_SCHEMAS.updateAll);
    const { p, s } = await target(request, 'update_all', true);
    checkTagWritable(s, 'update tags');
    const updated = await write(p, s, [...new Set(body.tags)], 'update_all');
    return { tags: updated.spec.tags ?? [] };
  });

  app.put(`${P}/:tag`, async (request: Req, reply: FastifyReply) => {
    gate(request);
    validateBody(request, TAG_SCHEMAS.update);
    const { p, s } = await target(request, 'update', true);
    checkTagWritable(s, 'update tag');
    const tag = request.params.tag;
    checkTagName(tag);
    const tags = s.spec.tags ?? [];
    if (tags.length >= MAX_TAG_COUNT) {
      throw new ApiError(400, `The number of tags exceeded the per-server limit ${MAX_TAG_COUNT}`);
    }
    if (tags.includes(tag)) return reply.code(204).send();
    await write(p, s, [...tags, tag], 'update');
    reply.header('Location', `${computeUrl(request)}/servers/${serverId(s)}/tags/${tag}`);
    return reply.code(201).send();
  });

  app.delete(P, async (request: Req, reply: FastifyReply) => {
    const { p, s } = await target(request, 'delete_all', true);
    checkTagWritable(s, 'delete tags');
    if (s.spec.tags?.length) await write(p, s, null, 'delete_all');
    return reply.code(204).send();
  });

  app.delete(`${P}/:tag`, async (request: Req, reply: FastifyReply) => {
    const { p, s } = await target(request, 'delete', true);
    checkTagWritable(s, 'delete tag');
    const tag = request.params.tag;
    const tags = s.spec.tags ?? [];
    if (!tags.includes(tag)) throw new ApiError(404, `Instance ${serverId(s)} has no tag '${tag}'`);
    await write(
      p,
      s,
      tags.filter((t) => t !== tag),
      'delete',
    );
    return reply.code(204).send();
  });
}
