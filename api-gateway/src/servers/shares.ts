// Server shares (2.97+, Nova master's ServerSharesController): Manila shares attached to a server
// through virtiofs. Kova has no Manila and no host offers virtiofs with file-backed memory, so no
// server ever has a share: the list is empty, a share is Nova's 404, and an attach answers as Nova
// does for hosts without the COMPUTE_STORAGE_VIRTIO_FS and COMPUTE_MEM_BACKING_FILE traits (409),
// after Nova's schema, lookup, policy and state checks.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { onlyIn } from '../admin/hosts.ts';
import { COMPUTE_PREFIX, type GatewayContext, type Principal, enforce, principalOf } from '../context.ts';
import { ApiError } from '../errors.ts';
import { type Schema, querySchema, validateBody, validateQuery } from '../validation.ts';
import type { ServerAccess } from './actions.ts';

const POLICY = 'os_compute_api:os-server-shares';

const CREATE: Schema = {
  type: 'object',
  properties: {
    share: {
      type: 'object',
      properties: {
        share_id: { type: 'string', format: 'uuid' },
        tag: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9-]*$' },
      },
      required: ['share_id'],
      additionalProperties: false,
    },
  },
  required: ['share'],
  additionalProperties: false,
};
const NO_QUERY = querySchema({}, false);

export const SHARES_NOT_CONFIGURED =
  'Feature not supported because either compute or instance are not configured correctly.';

type Req = FastifyRequest<{ Params: { id: string; share: string } }>;

export function registerServerShares(app: FastifyInstance, _ctx: GatewayContext, access: ServerAccess): void {
  const P = `${COMPUTE_PREFIX}/servers/:id/shares`;

  /** _get_instance_mapping, then the policy on the server's project. */
  async function target(request: Req, verb: string, rule: 'project_reader' | 'project_member') {
    onlyIn(request.microversion!.compare('2.97') >= 0);
    const p: Principal = principalOf(request);
    let server: Server;
    try {
      server = await access.findServer(p, request.params.id);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404)
        throw new ApiError(404, `Instance ${request.params.id} has no mapping to a cell.`);
      throw e;
    }
    enforce(p, `${POLICY}:${verb}`, rule);
    return server;
  }
  /** _check_instance_in_valid_state: attach only when stopped, detach when stopped or in error. */
  function checkState(s: Server, action: 'create share' | 'delete share'): void {
    const state = s.status?.vmState ?? 'building';
    const allowed = action === 'create share' ? ['stopped'] : ['stopped', 'error'];
    if (!allowed.includes(state))
      throw new ApiError(
        409,
        `Cannot '${action}' instance ${s.metadata.uid} while it is in vm_state ${state}`,
      );
  }

  app.get(P, async (request: Req) => {
    onlyIn(request.microversion!.compare('2.97') >= 0);
    validateQuery(request, NO_QUERY);
    await target(request, 'index', 'project_reader');
    return { shares: [] };
  });
  app.post(P, async (request: Req) => {
    onlyIn(request.microversion!.compare('2.97') >= 0);
    validateBody(request, CREATE);
    checkState(await target(request, 'create', 'project_member'), 'create share');
    // hardware.check_shares_supported: no Kova host has virtiofs with file-backed memory.
    throw new ApiError(409, SHARES_NOT_CONFIGURED);
  });
  app.get(`${P}/:share`, async (request: Req) => {
    onlyIn(request.microversion!.compare('2.97') >= 0);
    validateQuery(request, NO_QUERY);
    await target(request, 'show', 'project_reader');
    throw new ApiError(404, `Share ${request.params.share} could not be found.`);
  });
  app.delete(`${P}/:share`, async (request: Req) => {
    checkState(await target(request, 'delete', 'project_member'), 'delete share');
    throw new ApiError(404, `Share ${request.params.share} could not be found.`);
  });
}
