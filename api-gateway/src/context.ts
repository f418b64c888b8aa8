// The gateway's plumbing contract, shared by every route module (flavors, keypairs, images,
// servers, ...):
//
// - Principal: who is calling, put on each request by the auth hook (X-Auth-Token) as
//   `request.principal`; `principalOf(request)` returns it or answers 401.
// - GatewayContext: what a route module gets: the gateway's own KubeClient (informers, reviews),
//   `clientFor(principal)` (the same connection pool impersonating the user: every write made for
//   a user goes through it, so the apiserver's RBAC decides), `caches` (informers; read-your-writes
//   with `cache.observe(written)`), `authorize(...)` (RBAC for reads served from a cache, by
//   SubjectAccessReview cached briefly), and the identity store.
// - Route modules: `export function registerX(app: FastifyInstance, ctx: GatewayContext): void`,
//   listed in gateway.ts. Compute routes live under COMPUTE_PREFIX (/v2.1), image routes under
//   IMAGE_PREFIX (/image), identity under IDENTITY_PREFIX (/identity).
// - Policy: `enforce(principal, action, rule)` answers Nova's 403 "Policy doesn't allow <action>
//   to be performed." when the principal's roles do not satisfy the rule.
// - kubeError(e, ...) turns an apiserver refusal into Nova's fault (403 policy, 404, 409, 400).
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { type KubeClient, KubeError } from '../../operator/src/kube/client.ts';
import type { Resource } from '../../operator/src/kube/resources.ts';
import type { Clock } from '../../operator/src/runtime/clock.ts';
import type { Authorizer, KubeIdentity, Verb } from './authz.ts';
import type { Caches } from './cache.ts';
import { ApiError } from './errors.ts';
import type { IdentityStore } from './identity/store.ts';
import type { ImageStore } from './image/store.ts';
import type { GatewayMetrics } from './metrics.ts';

export const COMPUTE_PREFIX = '/v2.1';
export const IMAGE_PREFIX = '/image';
export const IDENTITY_PREFIX = '/identity';

/** Keystone's roles, as Kova knows them. admin implies member implies reader (Keystone's implied roles). */
export const ROLES = ['admin', 'member', 'reader'] as const;
export type Role = (typeof ROLES)[number];

/** The Kubernetes group a user is impersonated with, or ADMINS_GROUP when the token has the admin role. */
export const USERS_GROUP = 'kova:users';
export const ADMINS_GROUP = 'kova:admins';
/** The Kubernetes user name of a Kova user. */
export const kubeUserName = (userId: string): string => `kova:${userId}`;

/** The authenticated caller of a request, scoped to one project. */
export interface Principal {
  userId: string;
  userName: string;
  domainId: string;
  projectId: string;
  projectName: string;
  /** The project's Kubernetes namespace (the project name). */
  namespace: string;
  /** Effective roles on the project (implied roles included). */
  roles: Role[];
  /** Nova's context.is_admin: the admin role. */
  isAdmin: boolean;
  /** Who the gateway impersonates for this principal. */
  kube: KubeIdentity;
  /** The token the request carried, and its lifetime. */
  token: string;
  issuedAt: Date;
  expiresAt: Date;
  methods: string[];
  auditIds: string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on authenticated routes; null elsewhere. */
    principal: Principal | null;
  }
}

/** Settings routes read (flags of main.ts). */
export interface GatewayConfig {
  /** Lifetime of an issued token (Keystone's [token] expiration; default one hour). */
  tokenTtlMs: number;
  /** The URL the libvirt agents reach the gateway at, for image data (default: the request's). */
  imageStoreUrl?: string;
}

export interface GatewayContext {
  config: GatewayConfig;
  log: Logger;
  clock: Clock;
  /** The gateway's own identity: informers, SubjectAccessReviews, the identity store. */
  kube: KubeClient;
  caches: Caches;
  authorizer: Authorizer;
  identity: IdentityStore;
  metrics: GatewayMetrics;
  /** Where uploaded image data is kept (image/store.ts); absent: no uploads. */
  imageStore?: ImageStore;
  /** The gateway's client impersonating the principal: every write for a user goes through it. */
  clientFor(principal: Principal): KubeClient;
  /**
   * RBAC check for reads served from a cache: throws Nova's 403 for `action` when the apiserver
   * (SubjectAccessReview) says the principal may not `verb` the resource in the namespace.
   */
  authorize(
    principal: Principal,
    verb: Verb,
    resource: Resource,
    namespace?: string,
    action?: string,
  ): Promise<void>;
}

/**
 * Nova registers every compute route twice, with and without a leading project id
 * (`/v2.1/{project_id}/servers`). The gateway routes the short form only: rewriteProjectUrl strips
 * a 32-hex project id segment before routing and remembers it here; the auth hook then checks it
 * is the token's project, and links keep it (ViewBuilder._get_project_id).
 */
const urlProjectIds = new WeakMap<IncomingMessage, string>();
const PROJECT_URL = new RegExp(`^${COMPUTE_PREFIX.replace('.', '\\.')}/([0-9a-f]{32})(?=/|$|\\?)`);

export function rewriteProjectUrl(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const m = PROJECT_URL.exec(url);
  if (!m) return url;
  urlProjectIds.set(req, m[1]!);
  return COMPUTE_PREFIX + (url.slice(m[0].length) || '/');
}

/** The project id the client put in the compute URL, if any. */
export const urlProjectId = (request: FastifyRequest): string | undefined => urlProjectIds.get(request.raw);

/** A route module: registers its routes on the app. */
export type RouteModule = (app: FastifyInstance, ctx: GatewayContext) => void;

/** The request's principal, or Keystone middleware's 401. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new ApiError(401, 'The request you have made requires authentication.');
  return request.principal;
}

/** Nova's policy rules, as Zed's defaults with enforce_new_defaults (nova/policies/base.py). */
export type PolicyRule = 'admin' | 'project_member' | 'project_reader' | 'any';

export function policyMessage(action: string): string {
  return `Policy doesn't allow ${action} to be performed.`;
}

export function allows(principal: Principal, rule: PolicyRule): boolean {
  switch (rule) {
    case 'any':
      return true;
    case 'admin':
      return principal.isAdmin;
    case 'project_member':
      return principal.isAdmin || principal.roles.includes('member');
    case 'project_reader':
      return principal.isAdmin || principal.roles.includes('reader');
  }
}

/** Throws Nova's 403 unless the principal satisfies rule. */
export function enforce(principal: Principal, action: string, rule: PolicyRule): void {
  if (!allows(principal, rule)) throw new ApiError(403, policyMessage(action));
}

/**
 * Maps an apiserver error on a user's behalf to Nova's fault: 403 (RBAC refused the impersonated
 * call) → Nova's policy 403 for action; 404 → notFound; 409 → conflict (or the apiserver's message);
 * 422 → 400. Anything else is rethrown (a 500).
 */
export function kubeError(e: unknown, action: string, notFound?: string, conflict?: string): never {
  if (e instanceof KubeError) {
    if (e.code === 403) throw new ApiError(403, policyMessage(action));
    if (e.code === 404 && notFound) throw new ApiError(404, notFound);
    if (e.code === 409) throw new ApiError(409, conflict ?? e.message);
    if (e.code === 422 || e.code === 400) throw new ApiError(400, e.message);
  }
  throw e;
}
