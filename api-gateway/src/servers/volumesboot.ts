// /os-volumes_boot (Nova's verbatim clone of /servers, removed in 2.103): the same routes, reached
// by rewriting the URL before routing, so every /servers route (list, detail, create, show,
// update, delete, actions and sub-resources) answers under it; links say /servers, as Nova's
// view builder's do. A microversion past VOLUMES_BOOT_MAX answers Nova's 404.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { COMPUTE_PREFIX } from '../context.ts';
import { ApiError, NOT_FOUND_MESSAGE } from '../errors.ts';

export const VOLUMES_BOOT_MAX = '2.102';
const ALIAS = new RegExp(`^${COMPUTE_PREFIX.replace('.', '\\.')}/os-volumes_boot(?=/|$|\\?)`);
const aliased = new WeakSet<IncomingMessage>();

/** The URL with /os-volumes_boot as /servers (remembering that the request used the alias). */
export function aliasVolumesBoot(req: IncomingMessage, url: string): string {
  if (!ALIAS.test(url)) return url;
  aliased.add(req);
  return url.replace(ALIAS, `${COMPUTE_PREFIX}/servers`);
}

/** The microversion gate of the alias (a route module: register it before the servers routes). */
export function registerVolumesBoot(app: FastifyInstance): void {
  app.addHook('preHandler', async (request) => {
    if (
      aliased.has(request.raw) &&
      request.microversion &&
      !request.microversion.matches(undefined, VOLUMES_BOOT_MAX)
    ) {
      throw new ApiError(404, NOT_FOUND_MESSAGE);
    }
  });
}
