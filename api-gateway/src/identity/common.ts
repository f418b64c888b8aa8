// What the identity routes share: Keystone's error body, the caller of a request (its token
// validated), Keystone's admin check, list bodies, and views of roles.
import type { FastifyRequest } from 'fastify';
import { baseUrl } from '../app.ts';
import { type GatewayContext, IDENTITY_PREFIX, type Role } from '../context.ts';
import { ApiError } from '../errors.ts';
import { type ValidatedToken, validateToken } from './auth.ts';
import { roleId } from './store.ts';

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

/** Keystone's 403 for a policy rule the token does not pass (here: the admin role). */
export function requireAdmin(v: ValidatedToken, action: string): void {
  if (!v.principal?.isAdmin) {
    throw new KeystoneError(403, `You are not authorized to perform the requested action: ${action}.`);
  }
}

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
