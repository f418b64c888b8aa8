// Glance v2 image members (glance/api/v2/image_members.py): the owner of a `shared` image lists,
// adds and removes member projects; a member accepts or rejects the image (its status: pending,
// accepted, rejected). Kept in the Image's spec.members (project id → status). An accepted image
// is listed for the member's project (images.ts listedFor); any member may read it by id.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Image } from '../../../operator/src/api/v1alpha1/image.ts';
import { IMAGES } from '../../../operator/src/controllers/server.ts';
import { KubeError } from '../../../operator/src/kube/client.ts';
import { objectPath } from '../../../operator/src/kube/resources.ts';
import { type GatewayContext, IMAGE_PREFIX, type Principal, principalOf } from '../context.ts';
import { GlanceError, policyRefusal } from './errors.ts';
import { glanceTime, memberStatus } from './images.ts';
import { findImage, imageWriter, mayWrite } from './writes.ts';

const V2 = `${IMAGE_PREFIX}/v2`;
const STATUSES = ['pending', 'accepted', 'rejected'] as const;
type MemberStatus = (typeof STATUSES)[number];

export function memberView(img: Image, member: string, status: MemberStatus) {
  const t = glanceTime(img.metadata.creationTimestamp);
  return {
    image_id: img.metadata.uid,
    member_id: member,
    status,
    created_at: t,
    updated_at: t,
    schema: '/v2/schemas/member',
  };
}

export function registerImageMembers(app: FastifyInstance, ctx: GatewayContext): void {
  const find = (p: Principal, id: string): Promise<Image> => findImage(ctx, p, id, 'get_member');
  const isOwner = mayWrite;
  /** Writes spec.members (fresh object, resourceVersion-guarded); the gateway's identity: see writes.ts. */
  const writeMembers = async (
    p: Principal,
    img: Image,
    change: (members: Record<string, MemberStatus>) => void,
  ): Promise<Image> => {
    const client = imageWriter(ctx, p);
    for (let attempt = 0; ; attempt++) {
      const fresh = await client.get<Image>(objectPath(IMAGES, img.metadata.name!));
      const members = { ...(fresh.spec.members ?? {}) };
      change(members);
      const { members: _, ...spec } = fresh.spec;
      try {
        const written = await client.replace<Image>(objectPath(IMAGES, img.metadata.name!), {
          ...fresh,
          spec: { ...spec, ...(Object.keys(members).length ? { members } : {}) },
        });
        await (await ctx.caches.get<Image>(IMAGES)).observe(written);
        return written;
      } catch (e) {
        if (e instanceof KubeError && e.code === 409 && attempt < 3) continue;
        if (e instanceof KubeError && e.code === 403) throw policyRefusal('modify_member');
        throw e;
      }
    }
  };
  const sharedOnly = (img: Image) => {
    if (img.spec.visibility !== 'shared') throw new GlanceError(403, 'Only shared images have members.');
  };

  app.get<{ Params: { id: string } }>(`${V2}/images/:id/members`, async (request) => {
    const p = principalOf(request);
    const img = await find(p, request.params.id);
    sharedOnly(img);
    const all = Object.entries(img.spec.members ?? {});
    // The owner sees every member; a member only itself.
    const visible = isOwner(p, img) ? all : all.filter(([m]) => m === p.projectId);
    return {
      members: visible.map(([m, s]) => memberView(img, m, s)),
      schema: '/v2/schemas/members',
    };
  });

  app.get<{ Params: { id: string; member: string } }>(`${V2}/images/:id/members/:member`, async (request) => {
    const p = principalOf(request);
    const img = await find(p, request.params.id);
    sharedOnly(img);
    const { member } = request.params;
    const status = img.spec.members?.[member];
    if (!status || (!isOwner(p, img) && member !== p.projectId)) {
      throw new GlanceError(404, `Member ${member} not found`);
    }
    return memberView(img, member, status);
  });

  app.post<{ Params: { id: string } }>(`${V2}/images/:id/members`, async (request) => {
    const p = principalOf(request);
    const img = await find(p, request.params.id);
    if (!isOwner(p, img)) throw policyRefusal('add_member');
    sharedOnly(img);
    const member = (request.body as { member?: unknown } | undefined)?.member;
    if (typeof member !== 'string' || member.length === 0 || member.length > 255) {
      throw new GlanceError(400, 'Member to be added not specified');
    }
    if (img.spec.members?.[member]) {
      throw new GlanceError(409, `Member ${member} already associated with image ${img.metadata.uid}`);
    }
    const written = await writeMembers(p, img, (m) => {
      if (m[member])
        throw new GlanceError(409, `Member ${member} already associated with image ${img.metadata.uid}`);
      m[member] = 'pending';
    });
    return memberView(written, member, 'pending');
  });

  app.put<{ Params: { id: string; member: string } }>(`${V2}/images/:id/members/:member`, async (request) => {
    const p = principalOf(request);
    const img = await find(p, request.params.id);
    sharedOnly(img);
    const { member } = request.params;
    if (!img.spec.members?.[member]) throw new GlanceError(404, `Member ${member} not found`);
    // Only the member itself decides (Glance: the owner may not change a member's status).
    if (member !== p.projectId || memberStatus(img, p) === undefined) throw policyRefusal('modify_member');
    const status = (request.body as { status?: unknown } | undefined)?.status;
    if (typeof status !== 'string' || !(STATUSES as readonly string[]).includes(status)) {
      throw new GlanceError(400, `Invalid status: ${String(status)}`);
    }
    const written = await writeMembers(p, img, (m) => {
      if (!m[member]) throw new GlanceError(404, `Member ${member} not found`);
      m[member] = status as MemberStatus;
    });
    return memberView(written, member, status as MemberStatus);
  });

  app.delete<{ Params: { id: string; member: string } }>(
    `${V2}/images/:id/members/:member`,
    async (request, reply: FastifyReply) => {
      const p = principalOf(request);
      const img = await find(p, request.params.id);
      if (!isOwner(p, img)) throw policyRefusal('delete_member');
      sharedOnly(img);
      const { member } = request.params;
      if (!img.spec.members?.[member]) throw new GlanceError(404, `Member ${member} not found`);
      await writeMembers(p, img, (m) => {
        delete m[member];
      });
      return reply.code(204).send();
    },
  );

  app.get(`${V2}/schemas/member`, async () => ({
    name: 'member',
    properties: {
      image_id: { type: 'string', description: 'An identifier for the image' },
      member_id: { type: 'string', description: 'An identifier for the image member (tenantId)' },
      status: { type: 'string', enum: [...STATUSES], description: 'The status of this image member' },
      created_at: { type: 'string', description: 'Date and time of image member creation' },
      updated_at: { type: 'string', description: 'Date and time of last modification of image member' },
      schema: { type: 'string', readOnly: true },
    },
  }));
}
