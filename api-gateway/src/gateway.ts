// The gateway, assembled: the Fastify app (app.ts: versions, microversions, faults), the context
// every route module gets (context.ts), the auth hook, /metrics and /healthz, and the route
// modules. URL layout (DevStack-like, one listener):
//   /                   compute versions document;  /v2.1/...  the compute API
//   /identity, /identity/v3/...   the Keystone v3 subset
//   /image, /image/v2/...         the Glance v2 subset (image/images.ts, image/writes.ts)
//   /image-data/<id>/<signature>  image data for the libvirt agents (image/store.ts)
//   /metrics, /healthz, /readyz
import type { KubeConfig } from '@kubernetes/client-node';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Logger, pino } from 'pino';
import { FLAVORS, IMAGES } from '../../operator/src/controllers/server.ts';
import { KEYPAIRS } from '../../operator/src/controllers/keypair.ts';
import { KubeClient } from '../../operator/src/kube/client.ts';
import { type Clock, realClock } from '../../operator/src/runtime/clock.ts';
import { baseUrl, buildApp } from './app.ts';
import { Authorizer } from './authz.ts';
import { Caches } from './cache.ts';
import {
  COMPUTE_PREFIX,
  type GatewayContext,
  IMAGE_PREFIX,
  IDENTITY_PREFIX,
  type RouteModule,
  policyMessage,
  rewriteProjectUrl,
  urlProjectId,
} from './context.ts';
import { ApiError } from './errors.ts';
import { registerFlavors } from './compute/flavors.ts';
import { registerKeypairs } from './compute/keypairs.ts';
import { registerQuotas } from './compute/quotas.ts';
import { registerServerGroups } from './compute/servergroups.ts';
import { registerUsage } from './compute/usage.ts';
import { registerAuditLog } from './compute/auditlog.ts';
import { registerImages } from './image/images.ts';
import { ImageStore } from './image/store.ts';
import { recoverImageStore } from './image/writes.ts';
import { registerServers } from './servers/routes.ts';
import { aliasVolumesBoot, registerVolumesBoot } from './servers/volumesboot.ts';
import { registerAdmin } from './admin/routes.ts';
import { registerExtensions } from './compute/extensions.ts';
import { registerProxies } from './compute/proxies.ts';
import { registerRemoved } from './compute/removed.ts';
import { validateToken } from './identity/auth.ts';
import { KeystoneError, TOKEN_TTL_MS, registerIdentity } from './identity/keystone.ts';
import { ensureRbac } from './identity/rbac.ts';
import { IdentityStore } from './identity/store.ts';
import { GatewayMetrics } from './metrics.ts';

/** The route modules, in registration order. A new module adds itself here. */
export const ROUTE_MODULES: RouteModule[] = [
  registerIdentity,
  registerFlavors,
  registerKeypairs,
  registerImages,
  registerVolumesBoot,
  registerServers,
  registerServerGroups,
  registerQuotas,
  registerAdmin,
  registerExtensions,
  registerProxies,
  registerRemoved,
  registerUsage,
  registerAuditLog,
];

export interface GatewayOptions {
  kubeConfig: KubeConfig;
  log?: Logger;
  clock?: Clock;
  /** Creates this admin (user, project, admin role) if the user does not exist yet. */
  bootstrap?: { user: string; password: string; project: string };
  /** Apply Kova's ClusterRoles and admission policy at start (default true). */
  applyRbac?: boolean;
  /** Extra route modules (e.g. tests). */
  modules?: RouteModule[];
  metrics?: GatewayMetrics;
  /** How long a SubjectAccessReview answer is reused (default 10 s). */
  authzTtlMs?: number;
  /** Lifetime of issued tokens (default one hour). */
  tokenTtlMs?: number;
  /**
   * The image store: a directory for uploaded image data, the URL the agents reach this gateway
   * at (default: each upload request's own), and the largest image accepted in bytes.
   */
  imageStore?: {
    dir: string;
    url?: string;
    maxBytes?: number;
    secret?: Buffer;
    /**
     * Files and part files changed this recently are not swept (another replica sharing the
     * volume may be writing them; default 10 minutes); the sweep runs at start and every half of it.
     */
    graceMs?: number;
  };
}

export interface Gateway {
  app: FastifyInstance;
  ctx: GatewayContext;
  close(): Promise<void>;
}

/** Paths that need no token: version documents and the identity service's own. */
function needsToken(path: string): boolean {
  if (path === COMPUTE_PREFIX || path === COMPUTE_PREFIX + '/') return false;
  if (path.startsWith(COMPUTE_PREFIX + '/versions/')) return false;
  if (path.startsWith(COMPUTE_PREFIX + '/')) return true;
  if (path.startsWith(IMAGE_PREFIX + '/v2/')) return true;
  return false;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? pino({ level: 'silent' });
  const clock = options.clock ?? realClock;
  const metrics = options.metrics ?? new GatewayMetrics();
  const kube = await KubeClient.create(options.kubeConfig, {
    onRequest: metrics.countApiRequest,
    userAgent: 'kova-gateway',
  });
  const caches = new Caches(kube, log);
  const authorizer = new Authorizer(kube, { ttlMs: options.authzTtlMs, clock });
  const identity = new IdentityStore(kube);

  const ctx: GatewayContext = {
    config: {
      tokenTtlMs: options.tokenTtlMs ?? TOKEN_TTL_MS,
      ...(options.imageStore?.url ? { imageStoreUrl: options.imageStore.url.replace(/\/+$/, '') } : {}),
    },
    log,
    clock,
    kube,
    caches,
    authorizer,
    identity,
    metrics,
    ...(options.imageStore
      ? { imageStore: await new ImageStore(options.imageStore.dir, options.imageStore).open() }
      : {}),
    clientFor: (p) => kube.impersonating(p.kube.user, p.kube.groups),
    async authorize(p, verb, resource, namespace, action) {
      if (!(await authorizer.allowed(p.kube, verb, resource, namespace))) {
        throw new ApiError(403, policyMessage(action ?? `${resource.plural}:${verb}`));
      }
    },
  };

  if (options.applyRbac !== false) await ensureRbac(kube);
  await identity.start(caches);
  if (options.bootstrap) await bootstrapAdmin(identity, options.bootstrap, log);
  // Fill the caches the routes read before serving (others fill on first use).
  await Promise.all([FLAVORS, IMAGES, KEYPAIRS].map((r) => caches.get(r)));
  const graceMs = options.imageStore?.graceMs ?? 10 * 60_000;
  await recoverImageStore(ctx, graceMs);
  const sweeper = ctx.imageStore
    ? setInterval(
        () =>
          void recoverImageStore(ctx, graceMs).catch((err: unknown) =>
            log.warn({ err }, 'image store sweep failed'),
          ),
        Math.max(60_000, graceMs / 2),
      ).unref()
    : undefined;

  const app = buildApp({ logger: false, rewriteUrl: (req) => aliasVolumesBoot(req, rewriteProjectUrl(req)) });
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const path = request.url.split('?', 1)[0] ?? '/';
    if (!needsToken(path)) return;
    const token = request.headers['x-auth-token'];
    const validated = typeof token === 'string' ? validateToken(identity, token, clock.now()) : undefined;
    if (!validated?.principal) {
      throw new KeystoneError(401, 'The request you have made requires authentication.', {
        'WWW-Authenticate': `Keystone uri="${baseUrl(request)}${IDENTITY_PREFIX}"`,
      });
    }
    request.principal = validated.principal;
    const inUrl = urlProjectId(request);
    if (inUrl !== undefined && inUrl !== validated.principal.projectId) {
      throw new ApiError(
        400,
        `Malformed request URL: URL's project_id '${inUrl}' doesn't match Context's project_id '${validated.principal.projectId}'`,
      );
    }
  });
  metrics.instrument(app);
  app.get('/healthz', async () => 'ok');
  app.get('/readyz', async (_request, reply) => (caches.synced ? 'ok' : reply.code(503).send('not ready')));
  for (const register of [...ROUTE_MODULES, ...(options.modules ?? [])]) register(app, ctx);

  return {
    app,
    ctx,
    async close() {
      clearInterval(sweeper);
      await app.close();
      caches.stop();
      await kube.close();
    },
  };
}

/** The first admin: user, project and the admin role, unless the user exists already. */
export async function bootstrapAdmin(
  identity: IdentityStore,
  b: { user: string; password: string; project: string },
  log: Logger,
): Promise<void> {
  const project = identity.projectByName(b.project) ?? (await identity.createProject({ name: b.project }));
  let user = identity.userByName(b.user);
  if (!user) {
    user = await identity.createUser({ name: b.user, password: b.password });
    log.info({ user: user.name, id: user.id, project: project.name }, 'bootstrapped the admin user');
  }
  await identity.assignRole(user.id, project, 'admin');
}
