// The server password: os-server-password (server_password.py) reads and clears the encrypted
// password a guest posted to the metadata service (Nova keeps it in system_metadata password_0..3;
// Kova in the Server's PASSWORD_ANNOTATION, written by whatever serves the guest its metadata);
// changePassword (admin_password.py) asks the driver to set the guest's password.
//
// No Kova driver can set a guest's password (Nova's set_admin_password needs a guest agent; it is
// no DriverOperation of operator/src/drivers/driver.ts), so an accepted changePassword answers
// Nova's 501 for a driver's NotImplementedError, after Nova's lock and state checks (409).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { COMPUTE_PREFIX, enforce, principalOf } from '../context.ts';
import { ApiError } from '../errors.ts';
import { type Schema, validateBody } from '../validation.ts';
import type { OwnAction, ServerAccess } from './actions.ts';
import { serverId, stateOf } from './view.ts';
import { stateRefusal } from '../../../operator/src/compute/actions.ts';

/** The guest's encrypted password (base64), as the metadata service received it. */
export const PASSWORD_ANNOTATION = 'compute.kova.io/encrypted-password';

export const CHANGE_PASSWORD: Schema = {
  type: 'object',
  properties: {
    changePassword: {
      type: 'object',
      properties: { adminPass: { type: 'string' } },
      required: ['adminPass'],
      additionalProperties: false,
    },
  },
  required: ['changePassword'],
  additionalProperties: false,
};

type Req = FastifyRequest<{ Params: { id: string } }>;

export function registerServerPassword(
  app: FastifyInstance,
  access: ServerAccess,
): Record<string, OwnAction> {
  const P = `${COMPUTE_PREFIX}/servers/:id/os-server-password`;
  const POLICY = (rule: string) => `os_compute_api:os-server-password:${rule}`;

  app.get(P, async (request: Req) => {
    const p = principalOf(request);
    const s = await access.findServer(p, request.params.id);
    enforce(p, POLICY('show'), 'project_reader');
    return { password: s.metadata.annotations?.[PASSWORD_ANNOTATION] ?? '' };
  });

  app.delete(P, async (request: Req, reply: FastifyReply) => {
    const p = principalOf(request);
    enforce(p, POLICY('clear'), 'project_member');
    const s = await access.findServer(p, request.params.id, 'update');
    if (s.metadata.annotations?.[PASSWORD_ANNOTATION] !== undefined) {
      await access.patchServer(
        p,
        s,
        { metadata: { annotations: { [PASSWORD_ANNOTATION]: null } } },
        POLICY('clear'),
      );
    }
    return reply.code(204).send();
  });

  const changePassword: OwnAction = async (request) => {
    validateBody(request, CHANGE_PASSWORD);
    const p = principalOf(request);
    const s = await access.findServer(p, request.params.id);
    enforce(p, 'os_compute_api:os-admin-password', 'project_member');
    // compute.API.set_admin_password: check_instance_lock, then vm_state active and no task.
    if (s.spec.locked && !p.isAdmin) throw new ApiError(409, `Instance ${serverId(s)} is locked`);
    const refused = stateRefusal('changePassword', stateOf(s), ['active']);
    if (refused) throw new ApiError(409, refused);
    throw new ApiError(501, 'Unable to set password on instance');
  };
  return { changePassword };
}
