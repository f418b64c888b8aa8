// What the identity routes share: Keystone's error body, the caller of a request (its token
// validated), Keystone's admin check, list bodies, lookups with Keystone's 404s, and views of
// domains, projects and roles.
import type { FastifyRequest } from 'fastify';
import { baseUrl } from '../app.ts';
import { type GatewayContext, IDENTITY_PREFIX, ROLES, type Role } from '../context.ts';
import { ApiError } from '../errors.ts';
import { type ValidatedToken, validateToken } from './auth.ts';
import { DEFAULT_DOMAIN, type IdentityStore, type Project, type User, roleId } from './store.ts';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
};

/** An error in Keystone's format. */
export class KeystoneError extends ApiError {
  override body(): unknown {
    return { error: { code: this.code, message: this.message, title: TITLES[this.code] ?? 'Error' } };
  }
}

export const V3 = `${IDENTITY_PREFIX}/v3`;
export const UNAUTHORIZED = 'The request you have made requires authentication.';

/** Keystone's time format: microseconds and Z. */
export const keystoneTime = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** The request's validated X-Auth-Token, or Keystone's 401. */
export function callerOf(ctx: GatewayContext, request: FastifyRequest): ValidatedToken {
  const token = request.headers['x-auth-token'];
  const v = typeof token === 'string' ? validateToken(ctx.identity, token, ctx.clock.now()) : undefined;
  if (!v) throw new KeystoneError(401, UNAUTHORIZED);
  return v;
}

/** Keystone's ForbiddenAction: "...action: %(action)s." (its actions end with a period too). */
export const forbidden = (action: string): KeystoneError =>
  new KeystoneError(403, `You are not authorized to perform the requested action: ${action}.`);

/** Keystone's 403 for a policy rule the token does not pass (here: the admin role). */
export function requireAdmin(v: ValidatedToken, action: string): void {
  if (!v.principal?.isAdmin) throw forbidden(action);
}

/** A role by its id or its name. */
export const roleByIdOrName = (idOrName: string | undefined): Role | undefined =>
  ROLES.find((r) => roleId(r) === idOrName || r === idOrName);

/** A Keystone collection body with its links. */
export const listBody = (request: FastifyRequest, key: string, items: unknown[]) => ({
  [key]: items,
  links: { self: `${baseUrl(request)}${request.url.split('?')[0]}`, previous: null, next: null },
});

export const queryOf = (request: FastifyRequest) => request.query as Record<string, string | undefined>;

export const roleRef = (r: Role, request: FastifyRequest) => ({
  id: roleId(r),
  name: r,
  domain_id: null,
  links: { self: `${baseUrl(request)}${V3}/roles/${roleId(r)}` },
});

export const domainRef = () => ({ id: DEFAULT_DOMAIN.id, name: DEFAULT_DOMAIN.name });

export function projectView(p: Project, base: string) {
  return {
    id: p.id,
    name: p.name,
    domain_id: p.domainId,
    description: p.description,
    enabled: p.enabled,
    is_domain: false,
    parent_id: p.domainId,
    tags: [],
    options: {},
    links: { self: `${base}${V3}/projects/${p.id}` },
  };
}

export const projectList = (request: FastifyRequest, base: string, projects: Project[]) =>
  listBody(
    request,
    'projects',
    projects.map((p) => projectView(p, base)),
  );

export function projectOr404(store: IdentityStore, id: string): Project {
  const p = store.projectById(id);
  if (!p) throw new KeystoneError(404, `Could not find project: ${id}.`);
  return p;
}

export function userOr404(store: IdentityStore, id: string): User {
  const u = store.userById(id);
  if (!u) throw new KeystoneError(404, `Could not find user: ${id}.`);
  return u;
}
