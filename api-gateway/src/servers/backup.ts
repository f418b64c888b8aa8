// The createBackup action (create_backup.py; compute.API.backup, manager.backup_instance): a
// snapshot whose image says image_type=backup and its backup_type, then the rotation: of this
// server's backups of that type, only the newest `rotation` are kept (0 keeps none, the new one
// included, as Nova's _rotate_backups).
//
// Kova carries it out on the createImage path (a `createImage` ServerAction whose image metadata
// sets image_type and backup_type, which Nova's create_image lets extra properties do), so the
// instance-action log names it createImage and the task state is image_snapshot. The rotation is
// the gateway's, with its own identity (Nova's manager deletes with an elevated context), once the
// snapshot is there; were it interrupted, the next backup of the type rotates the excess away.
import type { Image, Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { IMAGES } from '../../../operator/src/controllers/server.ts';
import { KubeError } from '../../../operator/src/kube/client.ts';
import { objectPath } from '../../../operator/src/kube/resources.ts';
import { baseUrl } from '../app.ts';
import { COMPUTE_PREFIX, type GatewayContext, enforce, principalOf } from '../context.ts';
import { type Schema, validateBody } from '../validation.ts';
import { type OwnAction, type ServerAccess, snapshotId, submitAction } from './actions.ts';
import { types } from './validation.ts';
import { serverId } from './view.ts';

const POLICY = 'os_compute_api:os-create-backup';

export const CREATE_BACKUP: Schema = {
  type: 'object',
  properties: {
    createBackup: {
      type: 'object',
      properties: {
        name: types.name,
        backup_type: { type: 'string' },
        rotation: types.nonNegativeInteger,
        metadata: types.metadata,
      },
      required: ['name', 'backup_type', 'rotation'],
      additionalProperties: false,
    },
  },
  required: ['createBackup'],
  additionalProperties: false,
};

/** _rotate_backups: this server's backups of the type beyond the newest `rotation`, to delete. */
/**
 * _rotate_backups: this server's backups of the type beyond the newest `rotation`, to delete. Newest
 * first: the one just made, then by creation time; within a second (Kubernetes' timestamps are
 * whole seconds), the later write (resourceVersion) is the newer.
 */
export function backupsToRotate(
  images: readonly Image[],
  uuid: string,
  backupType: string,
  rotation: number,
  justMade?: string,
): Image[] {
  const backups = images
    .filter(
      (i) =>
        i.spec.properties?.instance_uuid === uuid &&
        i.spec.properties?.image_type === 'backup' &&
        i.spec.properties?.backup_type === backupType,
    )
    .sort(
      (a, b) =>
        Number(b.metadata.uid === justMade) - Number(a.metadata.uid === justMade) ||
        (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') ||
        Number(b.metadata.resourceVersion ?? 0) - Number(a.metadata.resourceVersion ?? 0),
    );
  return backups.slice(rotation);
}

export function registerBackup(ctx: GatewayContext, access: ServerAccess): Record<string, OwnAction> {
  async function rotate(
    server: Server,
    backupType: string,
    rotation: number,
    justMade?: string,
  ): Promise<void> {
    const images = await ctx.caches.get<Image>(IMAGES);
    for (const old of backupsToRotate(images.list(), serverId(server), backupType, rotation, justMade)) {
      try {
        await ctx.kube.delete(objectPath(IMAGES, old.metadata.name!));
      } catch (e) {
        if (!(e instanceof KubeError && e.code === 404)) throw e;
      }
    }
  }

  const createBackup: OwnAction = async (request, reply, version) => {
    const body = validateBody<{
      createBackup: {
        name: string;
        backup_type: string;
        rotation: number | string;
        metadata?: Record<string, string>;
      };
    }>(request, CREATE_BACKUP);
    const p = principalOf(request);
    const server = await access.findServer(p, request.params.id);
    enforce(p, POLICY, 'project_member');
    const b = body.createBackup;
    const rotation = Number(b.rotation);
    const record = await submitAction(ctx, p, server, {
      action: 'createImage',
      policy: POLICY,
      requestId: request.id,
      parameters: {
        name: b.name.trim(),
        metadata: { ...(b.metadata ?? {}), image_type: 'backup', backup_type: b.backup_type },
      },
      untilDone: true,
      refusal: (m) => ({ message: m.replace("'createImage'", "'createBackup'") }),
    });
    const id = await snapshotId(ctx, server, record);
    if (record?.status?.phase === 'Succeeded') await rotate(server, b.backup_type, rotation, id);
    if (version.compare('2.45') >= 0) return reply.code(202).send({ image_id: id });
    if (rotation > 0 && id) reply.header('Location', `${baseUrl(request)}${COMPUTE_PREFIX}/images/${id}`);
    return reply.code(202).send();
  };
  return { createBackup };
}
