// Glance v2 writes on Image objects and the image store (store.ts): create a record (queued),
// upload (queued → saving → active, hashed while streaming), download, import with web-download
// (queued → importing → active), JSON-patch updates, delete, deactivate/reactivate and tags.
//
// Policy, as Glance's defaults: reads as images.ts; writes need the admin role or the member role
// on the image's owner project (add_image, modify_image, upload_image, delete_image); making an
// image public is admin-only (publicize_image). Images are cluster-scoped objects whose owner is a
// field RBAC cannot check, so for a project member the gateway enforces the owner rule and writes
// with its own identity; an admin's writes are impersonated (the apiserver's RBAC decides).
//
// State is kept on the Image: status.phase is Glance's status; an uploaded image's
// spec.source.url is the store's signed data URL (store.ts), which the libvirt agents' image cache
// fetches like any other URL. A transition is a compare-and-swap on the status (resourceVersion),
// so two concurrent uploads cannot both start.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Image } from '../../../operator/src/api/v1alpha1/image.ts';
import { API_VERSION } from '../../../operator/src/api/kind.ts';
import { IMAGES } from '../../../operator/src/controllers/server.ts';
import { type KubeClient, KubeError } from '../../../operator/src/kube/client.ts';
import { collectionPath, objectPath } from '../../../operator/src/kube/resources.ts';
import { replaceStatus } from '../../../operator/src/kube/writes.ts';
import { baseUrl } from '../app.ts';
import { type GatewayContext, IMAGE_PREFIX, type Principal, principalOf } from '../context.ts';
import { GlanceError, policyRefusal } from './errors.ts';
import { imageView, ownedBy, readableBy } from './images.ts';
import { PATCH_MEDIA_TYPES, applyPatch, parsePatch, recordFromCreate, recordOf, specOf } from './patch.ts';
import { ImageTooLarge, type ImageStore, type StoredData } from './store.ts';

const V2 = `${IMAGE_PREFIX}/v2`;
type Phase = NonNullable<NonNullable<Image['status']>['phase']>;

const phaseOf = (img: Image): Phase => img.status?.phase ?? 'queued';

/** Glance's write rule: admin, or a member of the owner project. */
export function mayWrite(p: Principal, img: Image | undefined): boolean {
  if (p.isAdmin) return true;
  if (!p.roles.includes('member')) return false;
  return img === undefined || ownedBy(img, p);
}

/**
 * Who writes an Image: an admin as themselves; a member with the gateway's own identity, once
 * mayWrite said yes (RBAC cannot see an Image's owner).
 */
export const imageWriter = (ctx: GatewayContext, p: Principal): KubeClient =>
  p.isAdmin ? ctx.clientFor(p) : ctx.kube;

/** The image by id as the principal may see it (404 otherwise), from the gateway's cache. */
export async function findImage(
  ctx: GatewayContext,
  p: Principal,
  id: string,
  action: string,
): Promise<Image> {
  await ctx.authorize(p, 'get', IMAGES, undefined, action);
  const img = (await ctx.caches.get<Image>(IMAGES)).list().find((i) => i.metadata.uid === id);
  if (!img || !readableBy(img, p)) throw new GlanceError(404, `No image found with ID ${id}`);
  return img;
}

export function registerImageWrites(app: FastifyInstance, ctx: GatewayContext): void {
  const store = ctx.imageStore;
  // Image data streams through unparsed; JSON patches are JSON.
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));
  app.addContentTypeParser([...PATCH_MEDIA_TYPES], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new GlanceError(400, 'Malformed JSON in request body.'), undefined);
    }
  });

  const writer = (p: Principal): KubeClient => imageWriter(ctx, p);
  const cache = () => ctx.caches.get<Image>(IMAGES);
  const find = (p: Principal, id: string): Promise<Image> => findImage(ctx, p, id, 'get_image');
  /** The image, fresh from the apiserver, for a write the principal must be allowed. */
  const forWrite = async (p: Principal, id: string, action: string): Promise<Image> => {
    const cached = await find(p, id);
    if (!mayWrite(p, cached)) {
      if (!p.isAdmin && !p.roles.includes('member')) throw policyRefusal(action);
      throw new GlanceError(403, `You are not permitted to ${action.replace(/_image$/, '')} this image.`);
    }
    try {
      return await ctx.kube.get<Image>(objectPath(IMAGES, cached.metadata.name!));
    } catch (e) {
      if (e instanceof KubeError && e.code === 404)
        throw new GlanceError(404, `No image found with ID ${id}`);
      throw e;
    }
  };
  const observed = async (img: Image): Promise<Image> => {
    await (await cache()).observe(img);
    return img;
  };
  const kubeFailure = (e: unknown, id: string): never => {
    if (e instanceof KubeError) {
      if (e.code === 404) throw new GlanceError(404, `No image found with ID ${id}`);
      if (e.code === 409) throw new GlanceError(409, `Image ${id} was changed concurrently; retry.`);
      if (e.code === 403) throw policyRefusal('modify_image');
      if (e.code === 422 || e.code === 400) throw new GlanceError(400, e.message);
    }
    throw e;
  };
  /** Moves the image from one of `from` to `to` (compare-and-swap on the resourceVersion). */
  const transition = async (
    client: KubeClient,
    img: Image,
    from: readonly Phase[],
    to: Phase,
  ): Promise<Image> => {
    const now = phaseOf(img);
    if (!from.includes(now))
      throw new GlanceError(409, `Image status transition from ${now} to ${to} is not allowed`);
    try {
      return await replaceStatus(client, IMAGES, img, { ...img.status, phase: to });
    } catch (e) {
      if (e instanceof KubeError && e.code === 409)
        throw new GlanceError(409, `Image status transition from ${now} to ${to} is not allowed`);
      return kubeFailure(e, img.metadata.uid!);
    }
  };
  /** Puts an image whose data write failed back to queued (Glance's _restore), best effort. */
  const restore = async (id: string, name: string, reason?: string): Promise<void> => {
    try {
      const img = await ctx.kube.get<Image>(objectPath(IMAGES, name));
      const conditions = reason
        ? [
            {
              type: 'ImportFailed',
              status: 'True' as const,
              reason: 'WebDownloadFailed',
              message: reason.slice(0, 32_000),
              lastTransitionTime: new Date(ctx.clock.now()).toISOString(),
            },
          ]
        : img.status?.conditions;
      await replaceStatus(ctx.kube, IMAGES, img, {
        ...img.status,
        phase: 'queued',
        ...(conditions ? { conditions } : {}),
      });
    } catch (e) {
      ctx.log.warn({ err: e, image: id }, 'could not put the image back to queued');
    }
  };
  /**
   * Streams data into the store and makes the image active: its source becomes the store's
   * signed URL, its status the data's size and hashes. An image deleted meanwhile loses the data.
   */
  const storeData = async (img: Image, data: Readable, base: string): Promise<Image> => {
    const id = img.metadata.uid!;
    const name = img.metadata.name!;
    const commit = async (stored: StoredData): Promise<Image> => {
      let fresh = await ctx.kube.get<Image>(objectPath(IMAGES, name));
      if (fresh.metadata.uid !== id) throw new KubeError(404, 'NotFound', 'replaced', undefined);
      const url = `${base}${store!.dataPath(id)}`;
      if (fresh.spec.source?.url !== url) {
        fresh = await ctx.kube.replace<Image>(objectPath(IMAGES, name), {
          ...fresh,
          spec: { ...fresh.spec, source: { url } },
        });
      }
      const { conditions: _, ...rest } = fresh.status ?? {};
      return replaceStatus(ctx.kube, IMAGES, fresh, { ...rest, phase: 'active', ...stored });
    };
    try {
      return await store!.write(id, data, commit);
    } catch (e) {
      if (e instanceof KubeError && e.code === 404) {
        throw new GlanceError(
          410,
          `Image ${id} could not be found after upload. The image may have been deleted during the upload.`,
        );
      }
      await restore(id, name, e instanceof ImageTooLarge ? undefined : (e as Error).message);
      throw e;
    }
  };
  const needStore = (): ImageStore => {
    if (!store) throw new GlanceError(503, 'This gateway has no image store (--image-store).');
    return store;
  };
  const storeBase = (request: FastifyRequest) => ctx.config.imageStoreUrl ?? baseUrl(request);

  app.post(`${V2}/images`, async (request, reply) => {
    const p = principalOf(request);
    await ctx.authorize(p, 'get', IMAGES, undefined, 'add_image');
    if (!mayWrite(p, undefined)) throw policyRefusal('add_image');
    const record = recordFromCreate(request.body, p.projectId);
    if (!p.isAdmin && record.owner !== p.projectId) {
      throw new GlanceError(403, `You are not permitted to create images owned by '${record.owner ?? ''}'.`);
    }
    if (record.visibility === 'public' && !p.isAdmin) throw policyRefusal('publicize_image');
    let img: Image;
    try {
      img = await writer(p).create<Image>(collectionPath(IMAGES), {
        apiVersion: API_VERSION,
        kind: 'Image',
        metadata: { name: '', generateName: 'image-' },
        spec: specOf(record),
      } as Image);
      img = await replaceStatus(ctx.kube, IMAGES, img, { phase: 'queued' });
    } catch (e) {
      return kubeFailure(e, '');
    }
    await observed(img);
    return reply
      .code(201)
      .header('Location', `${baseUrl(request)}${V2}/images/${img.metadata.uid}`)
      .send(imageView(img));
  });

  app.patch<{ Params: { id: string } }>(`${V2}/images/:id`, async (request) => {
    const p = principalOf(request);
    const type = (request.headers['content-type'] ?? '').split(';', 1)[0]!.trim();
    if (!(PATCH_MEDIA_TYPES as readonly string[]).includes(type)) {
      throw new GlanceError(415, `Unsupported Content-Type`, {
        'Accept-Patch': PATCH_MEDIA_TYPES.join(', '),
      });
    }
    const ops = parsePatch(request.body);
    const img = await forWrite(p, request.params.id, 'modify_image');
    const record = applyPatch(recordOf(img.spec), ops, { status: phaseOf(img), isAdmin: p.isAdmin });
    if (record.visibility === 'public' && img.spec.visibility !== 'public' && !p.isAdmin)
      throw policyRefusal('publicize_image');
    try {
      const updated = await writer(p).replace<Image>(objectPath(IMAGES, img.metadata.name!), {
        ...img,
        spec: specOf(record, img.spec),
      });
      return imageView(await observed(updated));
    } catch (e) {
      return kubeFailure(e, request.params.id);
    }
  });

  app.delete<{ Params: { id: string } }>(`${V2}/images/:id`, async (request, reply) => {
    const p = principalOf(request);
    const img = await forWrite(p, request.params.id, 'delete_image');
    if (img.spec.protected)
      throw new GlanceError(403, `Image ${request.params.id} is protected and cannot be deleted.`);
    try {
      await writer(p).delete(objectPath(IMAGES, img.metadata.name!), {
        preconditions: { uid: img.metadata.uid },
      });
    } catch (e) {
      return kubeFailure(e, request.params.id);
    }
    // Servers built from the image keep running: each node's image cache keeps the base file of
    // its instances (imagecache.ts cleanup skips bases in use); the store's copy goes now.
    await store?.remove(img.metadata.uid!);
    await (await cache()).observeDeleted(img.metadata.name!, img.metadata.uid);
    return reply.code(204).send();
  });

  app.put<{ Params: { id: string } }>(`${V2}/images/:id/file`, async (request, reply) => {
    const p = principalOf(request);
    const type = (request.headers['content-type'] ?? '').split(';', 1)[0]!.trim();
    if (type !== 'application/octet-stream') throw new GlanceError(415, 'Unsupported Content-Type');
    needStore();
    const img = await forWrite(p, request.params.id, 'upload_image');
    const saving = await transition(writer(p), img, ['queued'], 'saving');
    try {
      const active = await storeData(saving, request.body as Readable, storeBase(request));
      await observed(active);
    } catch (e) {
      if (e instanceof ImageTooLarge) {
        // The rest of the body is not read: close the connection after answering.
        reply.header('Connection', 'close');
        throw new GlanceError(413, `The incoming image is too large: ${e.message}`);
      }
      throw e;
    }
    return reply.code(204).send();
  });

  app.get<{ Params: { id: string } }>(`${V2}/images/:id/file`, async (request, reply) => {
    const p = principalOf(request);
    const img = await find(p, request.params.id);
    if (phaseOf(img) === 'deactivated' && !p.isAdmin) {
      throw new GlanceError(
        403,
        'The requested image has been deactivated. Image data download is forbidden.',
      );
    }
    const id = img.metadata.uid!;
    const size =
      phaseOf(img) === 'active' || phaseOf(img) === 'deactivated' ? await store?.sizeOf(id) : undefined;
    if (size === undefined) return reply.code(204).send();
    return sendData(reply, store!, id, size, img.status?.checksum);
  });

  // The agents' fetch path: the signature is the capability (no token; see store.ts).
  app.get<{ Params: { id: string; sig: string } }>('/image-data/:id/:sig', async (request, reply) => {
    const { id, sig } = request.params;
    const size = store?.verify(id, sig) ? await store.sizeOf(id) : undefined;
    if (size === undefined) throw new GlanceError(404, 'No image data found');
    const img = (await cache()).list().find((i) => i.metadata.uid === id);
    return sendData(reply, store!, id, size, img?.status?.checksum);
  });

  // The agents' snapshot upload (compute.ts createSnapshotImage): the Image is queued, made by
  // the agent; the upload signature is the capability (see operator/src/compute/imagedata.ts).
  app.put<{ Params: { id: string; sig: string } }>('/image-data/:id/upload/:sig', async (request, reply) => {
    const { id, sig } = request.params;
    if (!store?.verify(id, sig, 'upload')) throw new GlanceError(404, 'No image found');
    const c = await cache();
    await c.waitUntil(() => c.list().some((i) => i.metadata.uid === id));
    const cached = c.list().find((i) => i.metadata.uid === id);
    if (!cached) throw new GlanceError(404, `No image found with ID ${id}`);
    const img = await ctx.kube.get<Image>(objectPath(IMAGES, cached.metadata.name!));
    const saving = await transition(ctx.kube, img, ['queued'], 'saving');
    await observed(await storeData(saving, request.body as Readable, storeBase(request)));
    return reply.code(204).send();
  });

  app.get(`${V2}/info/import`, async () => ({
    'import-methods': {
      description: 'Import methods available.',
      type: 'array',
      value: store ? ['web-download'] : [],
    },
  }));

  app.post<{ Params: { id: string } }>(`${V2}/images/:id/import`, async (request, reply) => {
    const p = principalOf(request);
    const body = (request.body ?? {}) as { method?: { name?: unknown; uri?: unknown } };
    const method = body.method?.name;
    if (method !== 'web-download') {
      throw new GlanceError(400, `Import method ${String(method)} is not supported; use web-download.`);
    }
    const uri = body.method?.uri;
    if (typeof uri !== 'string' || !/^https?:\/\//.test(uri))
      throw new GlanceError(400, `URI for web-download does not pass filtering: ${String(uri)}`);
    needStore();
    const img = await forWrite(p, request.params.id, 'import_image');
    if (phaseOf(img) !== 'queued')
      throw new GlanceError(409, "Image needs to be in 'queued' state to use 'web-download' method");
    const importing = await transition(writer(p), img, ['queued'], 'importing');
    await observed(importing);
    const base = storeBase(request);
    void (async () => {
      try {
        const res = await fetch(uri, { redirect: 'follow' });
        if (!res.ok || !res.body) throw new Error(`GET ${uri}: ${res.status} ${res.statusText}`);
        await observed(await storeData(importing, Readable.fromWeb(res.body as never), base));
      } catch (e) {
        ctx.log.warn({ err: e, image: importing.metadata.uid, uri }, 'web-download import failed');
        // storeData put it back to queued if the data write failed; a failed GET did not.
        if (!(e instanceof GlanceError))
          await restore(importing.metadata.uid!, importing.metadata.name!, (e as Error).message);
      }
    })();
    return reply.code(202).send();
  });

  const action = (name: 'deactivate' | 'reactivate') =>
    app.post<{ Params: { id: string } }>(`${V2}/images/:id/actions/${name}`, async (request, reply) => {
      const p = principalOf(request);
      const img = await forWrite(p, request.params.id, `${name}`);
      const [from, to]: [Phase, Phase] =
        name === 'deactivate' ? ['active', 'deactivated'] : ['deactivated', 'active'];
      const now = phaseOf(img);
      if (now === to) return reply.code(204).send();
      if (now !== from) throw new GlanceError(403, `Not allowed to ${name} image in status '${now}'`);
      await observed(await transition(writer(p), img, [from], to));
      return reply.code(204).send();
    });
  action('deactivate');
  action('reactivate');

  const tag = (method: 'put' | 'delete') =>
    app[method]<{ Params: { id: string; tag: string } }>(
      `${V2}/images/:id/tags/:tag`,
      async (request, reply) => {
        const p = principalOf(request);
        const { tag: t } = request.params;
        const img = await forWrite(p, request.params.id, 'modify_image');
        const tags = new Set(img.spec.tags ?? []);
        if (method === 'delete' && !tags.has(t)) throw new GlanceError(404, `Tag ${t} not found.`);
        if (method === 'put') {
          if (t.length > 255) throw new GlanceError(400, 'Tag is too long.');
          tags.add(t);
          if (tags.size > 128) throw new GlanceError(413, 'Maximum number of tags exceeded (128).');
        } else tags.delete(t);
        const { tags: _, ...spec } = img.spec;
        try {
          const updated = await writer(p).replace<Image>(objectPath(IMAGES, img.metadata.name!), {
            ...img,
            spec: { ...spec, ...(tags.size ? { tags: [...tags] } : {}) },
          });
          await observed(updated);
        } catch (e) {
          return kubeFailure(e, request.params.id);
        }
        return reply.code(204).send();
      },
    );
  tag('put');
  tag('delete');
}

function sendData(reply: FastifyReply, store: ImageStore, id: string, size: number, checksum?: string) {
  reply.header('Content-Type', 'application/octet-stream').header('Content-Length', String(size));
  if (checksum) reply.header('Content-MD5', checksum);
  return reply.code(200).send(store.read(id));
}

/**
 * Recovery, at start and then periodically: an image left saving or importing by a crash goes
 * back to queued (Glance's _restore), and the store keeps data only for images that are active or
 * deactivated (part files, data of deleted images and of images never made active are removed).
 * Writes in progress (here, or by another replica within graceMs) are left alone.
 */
export async function recoverImageStore(ctx: GatewayContext, graceMs = 0): Promise<string[]> {
  const store = ctx.imageStore;
  if (!store) return [];
  const now = ctx.clock.now();
  const images = (await ctx.kube.list<Image>(collectionPath(IMAGES))).items;
  for (const img of images) {
    const phase = phaseOf(img);
    if (phase !== 'saving' && phase !== 'importing') continue;
    if (await store.busy(img.metadata.uid!, graceMs, now)) continue;
    try {
      await replaceStatus(ctx.kube, IMAGES, img, { ...img.status, phase: 'queued' });
      ctx.log.warn({ image: img.metadata.uid }, `image left ${phase} (no write in progress): queued again`);
    } catch (e) {
      ctx.log.warn({ err: e, image: img.metadata.uid }, 'could not put the image back to queued');
    }
  }
  const keep = new Set(
    images.filter((i) => ['active', 'deactivated'].includes(phaseOf(i))).map((i) => i.metadata.uid!),
  );
  const removed = await store.sweep((id) => keep.has(id), graceMs, now);
  if (removed.length) ctx.log.info({ removed }, 'image store: removed files of no active image');
  return removed;
}
