// os-volume_attachments (volumes.py VolumeAttachmentController) without Cinder: Kova has no
// block storage service, so no server has a volume attached and no volume exists. The list is
// empty; show, update and delete are Nova's 404 for a volume the server is not attached to (or
// that cannot be found); attach is Nova's VolumeNotFound 404, after the instance, policy, lock
// and state checks, as compute.API.attach_volume meets a volume Cinder does not know.
import type { VmState } from '../../../operator/src/compute/states.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { COMPUTE_PREFIX, enforce, principalOf } from '../context.ts';
import { ApiError } from '../errors.ts';
import { type Schema, validateBody } from '../validation.ts';
import type { ServerAccess } from './actions.ts';
import { types } from './validation.ts';
import { serverId, stateOf } from './view.ts';
import { stateRefusal } from '../../../operator/src/compute/actions.ts';

const VA = (rule: string) => `os_compute_api:os-volumes-attachments:${rule}`;

const attach = (extra: Record<string, Schema>): Schema => ({
  type: 'object',
  properties: {
    volumeAttachment: {
      type: 'object',
      properties: {
        volumeId: { type: 'string', format: 'uuid' },
        device: { type: ['string', 'null'], pattern: '(^/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$' },
        ...extra,
      },
      required: ['volumeId'],
      additionalProperties: false,
    },
  },
  required: ['volumeAttachment'],
  additionalProperties: false,
});
export const ATTACH_VOLUME_SCHEMAS = [
  { max: '2.48', schema: attach({}) },
  { min: '2.49', max: '2.78', schema: attach({ tag: types.tag }) },
  { min: '2.79', schema: attach({ tag: types.tag, delete_on_termination: types.boolean }) },
];

/** The states compute.API.attach_volume accepts (check_instance_state), after the lock. */
const ATTACHABLE: readonly string[] = [
  'active',
  'paused',
  'stopped',
  'resized',
  'soft-delete',
  'shelved',
  'shelved_offloaded',
] satisfies VmState[];

type Req = FastifyRequest<{ Params: { id: string; volume: string }; Body: unknown }>;

export function registerVolumeAttachments(app: FastifyInstance, access: ServerAccess): void {
  const P = `${COMPUTE_PREFIX}/servers/:id/os-volume_attachments`;
  const notAttached = (s: Server, volume: string) =>
    new ApiError(404, `Instance ${serverId(s)} is not attached to volume ${volume}`);

  app.get(P, async (request: Req) => {
    const p = principalOf(request);
    await access.findServer(p, request.params.id);
    enforce(p, VA('index'), 'project_reader');
    return { volumeAttachments: [] };
  });

  app.get(`${P}/:volume`, async (request: Req) => {
    const p = principalOf(request);
    const s = await access.findServer(p, request.params.id);
    enforce(p, VA('show'), 'project_reader');
    throw notAttached(s, request.params.volume);
  });

  app.post(P, async (request: Req) => {
    const body = validateBody<{ volumeAttachment: { volumeId: string } }>(request, ATTACH_VOLUME_SCHEMAS);
    const p = principalOf(request);
    const s = await access.findServer(p, request.params.id);
    enforce(p, VA('create'), 'project_member');
    const version = request.microversion;
    const vm = s.status?.vmState ?? 'building';
    if ((vm === 'shelved' || vm === 'shelved_offloaded') && version && version.compare('2.20') < 0) {
      throw new ApiError(409, `Cannot 'attach_volume' instance ${serverId(s)} while it is in vm_state ${vm}`);
    }
    if (s.spec.locked && !p.isAdmin) throw new ApiError(409, `Instance ${serverId(s)} is locked`);
    const refused = stateRefusal('attach_volume', stateOf(s), ATTACHABLE);
    if (refused) throw new ApiError(409, refused);
    throw new ApiError(404, `Volume ${body.volumeAttachment.volumeId} could not be found.`);
  });

  app.put(`${P}/:volume`, async (request: Req) => {
    const p = principalOf(request);
    const s = await access.findServer(p, request.params.id);
    // Before 2.85 a PUT is only the volume swap, an admin's.
    const swapOnly = !request.microversion || request.microversion.compare('2.85') < 0;
    enforce(p, VA(swapOnly ? 'swap' : 'update'), swapOnly ? 'admin' : 'project_member');
    throw notAttached(s, request.params.volume);
  });

  app.delete(`${P}/:volume`, async (request: Req) => {
    const p = principalOf(request);
    await access.findServer(p, request.params.id);
    enforce(p, VA('delete'), 'project_member');
    throw new ApiError(404, `Volume ${request.params.volume} could not be found.`);
  });
}
