// Keystone's users (Secrets in kova-system, store.ts): create, list, show, update, delete, and
// one's own password change. Writes are the admin's.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { baseUrl } from '../app.ts';
import type { GatewayContext } from '../context.ts';
import { type Schema, validationError } from '../validation.ts';
import type { ValidatedToken } from './auth.ts';
import {
  KeystoneError,
  UNAUTHORIZED,
  V3,
  callerOf,
  listBody,
  queryOf,
  requireAdmin,
  userOr404,
} from './common.ts';
import { verifyPassword } from './password.ts';
import { DEFAULT_DOMAIN, NameConflict, type User, queryBool } from './store.ts';

export function userView(u: User, base: string) {
  return {
    id: u.id,
    name: u.name,
    domain_id: u.domainId,
    enabled: u.enabled,
    password_expires_at: null,
    options: {},
    ...(u.defaultProjectId ? { default_project_id: u.defaultProjectId } : {}),
    ...(u.description ? { description: u.description } : {}),
    ...(u.email ? { email: u.email } : {}),
    links: { self: `${base}${V3}/users/${u.id}` },
  };
}

export function registerUsers(app: FastifyInstance, ctx: GatewayContext): void {
  const store = ctx.identity;
  const base = (request: FastifyRequest) => baseUrl(request);
  const caller = (request: FastifyRequest): ValidatedToken => callerOf(ctx, request);
  app.get<{ Params: { id: string } }>(V3 + '/users/:id', async (request) => {
    const v = caller(request);
    if (v.user.id !== request.params.id) requireAdmin(v, 'identity:get_user');
    return { user: userView(userOr404(store, request.params.id), base(request)) };
  });
  app.get(V3 + '/users', async (request) => {
    requireAdmin(caller(request), 'identity:list_users');
    const q = queryOf(request);
    return listBody(
      request,
      'users',
      store
        .listUsers()
        .filter((u) => q.name === undefined || u.name === q.name)
        .filter((u) => q.domain_id === undefined || u.domainId === q.domain_id)
        .filter((u) => q.enabled === undefined || u.enabled === queryBool(q.enabled))
        .map((u) => userView(u, base(request))),
    );
  });
  const userConflict = (name: string) =>
    new KeystoneError(
      409,
      `Conflict occurred attempting to store user - Duplicate entry found with name ${name} at domain ID default.`,
    );
  app.post(V3 + '/users', async (request, reply) => {
    requireAdmin(caller(request), 'identity:create_user');
    const invalid = validationError(USER_CREATE, request.body ?? null);
    if (invalid) throw new KeystoneError(400, invalid);
    const u = (request.body as { user: UserBody & { name: string } }).user;
    try {
      // A user created without a password cannot log in (Keystone's behaviour too).
      const user = await store.createUser({
        name: u.name,
        password: u.password ?? randomBytes(32).toString('hex'),
        enabled: u.enabled,
        defaultProjectId: u.default_project_id ?? undefined,
        description: u.description ?? undefined,
        email: u.email ?? undefined,
      });
      return reply.code(201).send({ user: userView(user, base(request)) });
    } catch (e) {
      if (e instanceof NameConflict) throw userConflict(u.name);
      throw e;
    }
  });
  // Deleting a user deletes their role assignments and application credentials; their tokens
  // stop validating at once (validation needs the user).
  app.delete<{ Params: { id: string } }>(V3 + '/users/:id', async (request, reply) => {
    requireAdmin(caller(request), 'identity:delete_user');
    userOr404(store, request.params.id);
    await store.deleteUser(request.params.id);
    ctx.authorizer.clear();
    return reply.code(204).send();
  });
  app.patch<{ Params: { id: string } }>(V3 + '/users/:id', async (request) => {
    requireAdmin(caller(request), 'identity:update_user');
    const invalid = validationError(USER_UPDATE, request.body ?? null);
    if (invalid) throw new KeystoneError(400, invalid);
    userOr404(store, request.params.id);
    const u = (request.body as { user: UserBody }).user;
    try {
      const user = await store.updateUser(
        request.params.id,
        {
          name: u.name,
          password: u.password,
          enabled: u.enabled,
          defaultProjectId: u.default_project_id,
          description: u.description,
          email: u.email,
        },
        ctx.clock.now(),
      );
      ctx.authorizer.clear();
      return { user: userView(user, base(request)) };
    } catch (e) {
      if (e instanceof NameConflict) throw userConflict(e.message);
      throw e;
    }
  });
  app.post<{ Params: { id: string } }>(V3 + '/users/:id/password', async (request, reply) => {
    const v = caller(request);
    if (v.user.id !== request.params.id) requireAdmin(v, 'identity:change_password');
    const invalid = validationError(PASSWORD_CHANGE, request.body ?? null);
    if (invalid) throw new KeystoneError(400, invalid);
    const { password, original_password } = (
      request.body as { user: { password: string; original_password: string } }
    ).user;
    const user = store.userById(request.params.id);
    if (!user || !(await verifyPassword(original_password, user.passwordHash))) {
      throw new KeystoneError(401, UNAUTHORIZED);
    }
    await store.updateUser(user.id, { password }, ctx.clock.now());
    return reply.code(204).send();
  });
}

interface UserBody {
  name?: string;
  password?: string;
  enabled?: boolean;
  default_project_id?: string | null;
  description?: string | null;
  email?: string | null;
}

const USER_FIELDS = {
  name: { type: 'string', minLength: 1, maxLength: 255 },
  password: { type: ['string', 'null'] },
  enabled: { type: 'boolean' },
  domain_id: { type: 'string', enum: [DEFAULT_DOMAIN.id] },
  default_project_id: { type: ['string', 'null'] },
  description: { type: ['string', 'null'] },
  email: { type: ['string', 'null'] },
  options: { type: 'object' },
} as const;

const USER_CREATE: Schema = {
  type: 'object',
  required: ['user'],
  properties: { user: { type: 'object', required: ['name'], properties: USER_FIELDS } },
};

const USER_UPDATE: Schema = {
  type: 'object',
  required: ['user'],
  properties: {
    user: {
      type: 'object',
      properties: { ...USER_FIELDS, password: { type: 'string', minLength: 1 } },
    },
  },
};

const PASSWORD_CHANGE: Schema = {
  type: 'object',
  required: ['user'],
  properties: {
    user: {
      type: 'object',
      required: ['password', 'original_password'],
      properties: { password: { type: 'string', minLength: 1 }, original_password: { type: 'string' } },
    },
  },
};
