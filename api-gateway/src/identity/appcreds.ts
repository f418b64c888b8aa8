// Keystone's application credentials (/v3/users/{user_id}/application_credentials): a user
// delegates some of their roles on the project of their token to an application, which
// authenticates with the credential's id (or name and user) and secret instead of the password.
// The secret is shown once, at creation; it is stored as an scrypt hash (store.ts). A token
// issued to a credential is scoped to its project and carries only its roles (auth.ts); the
// credential goes when the user does, or loses a role on its project (Keystone's callbacks).
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { baseUrl } from '../app.ts';
import { type GatewayContext, type Role } from '../context.ts';
import { type Schema, validationError } from '../validation.ts';
import type { ValidatedToken } from './auth.ts';
import {
  KeystoneError,
  V3,
  callerOf,
  keystoneTime,
  listBody,
  queryOf,
  forbidden,
  requireAdmin,
  roleByIdOrName,
  roleRef,
} from './common.ts';
import { type ApplicationCredential, NameConflict, effectiveRoles } from './store.ts';

const RESTRICTED =
  "Using method 'application_credential' is not allowed for managing additional application credentials.";
/** Keystone's ValidationError tail. */
const CLIENT_ERROR =
  ' The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';

export function registerApplicationCredentials(app: FastifyInstance, ctx: GatewayContext): void {
  const store = ctx.identity;
  const path = V3 + '/users/:user/application_credentials';
  type UserParams = { Params: { user: string } };
  type CredParams = { Params: { user: string; id: string } };

  const view = (c: ApplicationCredential, request: FastifyRequest) => ({
    id: c.id,
    name: c.name,
    description: c.description || null,
    project_id: c.projectId,
    expires_at: c.expiresAt === null ? null : keystoneTime(new Date(c.expiresAt)),
    unrestricted: c.unrestricted,
    roles: c.roles.map((r) => roleRef(r, request)),
    access_rules: [],
    links: { self: `${baseUrl(request)}${V3}/users/${c.userId}/application_credentials/${c.id}` },
  });

  /**
   * The caller, when they may do this to the user's credentials: create their own; read or
   * delete their own or, as an admin, anyone's. A restricted credential's token may read, not
   * create or delete (Keystone's _check_unrestricted_application_credential).
   */
  const manager = (request: FastifyRequest<UserParams>, action: string, op: 'create' | 'read' | 'delete') => {
    const v = callerOf(ctx, request);
    if (op !== 'read' && v.appCred && !v.appCred.unrestricted) throw forbidden(RESTRICTED);
    if (v.user.id !== request.params.user) {
      if (op === 'create') throw forbidden('Cannot create an application credential for another user.');
      requireAdmin(v, action);
    }
    return v;
  };
  const credOr404 = (request: FastifyRequest<CredParams>) => {
    const c = store.appCredById(request.params.id);
    if (!c || c.userId !== request.params.user) {
      throw new KeystoneError(404, `Could not find Application Credential: ${request.params.id}.`);
    }
    return c;
  };

  app.post<UserParams>(path, async (request, reply) => {
    const v = manager(request, 'identity:create_application_credential', 'create');
    const invalid = validationError(CREATE, request.body ?? null);
    if (invalid) throw new KeystoneError(400, invalid);
    if (!v.project) {
      throw new KeystoneError(
        400,
        'Application credentials are bound to a project: create one with a project-scoped token.',
      );
    }
    const body = (request.body as { application_credential: CreateBody }).application_credential;
    const roles = body.roles ? requestedRoles(body.roles, v) : v.roles;
    let expiresAt: number | null = null;
    if (body.expires_at) {
      // Keystone's parse_expiration_date: UTC unless said otherwise, not in the past.
      const iso = /(Z|[+-]\d\d:?\d\d)$/.test(body.expires_at) ? body.expires_at : body.expires_at + 'Z';
      expiresAt = Date.parse(iso);
      if (Number.isNaN(expiresAt))
        throw new KeystoneError(400, 'Timestamp not in expected format.' + CLIENT_ERROR);
      if (expiresAt <= ctx.clock.now()) {
        throw new KeystoneError(400, "The 'expires_at' must not be before now." + CLIENT_ERROR);
      }
    }
    const secret = body.secret || randomBytes(64).toString('base64url');
    try {
      const created = await store.createAppCred({
        name: body.name,
        userId: v.user.id,
        projectId: v.project.id,
        description: body.description ?? '',
        roles: effectiveRoles(roles),
        expiresAt,
        unrestricted: body.unrestricted === true,
        secret,
      });
      return reply.code(201).send({ application_credential: { ...view(created, request), secret } });
    } catch (e) {
      if (e instanceof NameConflict) {
        throw new KeystoneError(
          409,
          `Conflict occurred attempting to store application_credential - Duplicate entry found with name ${body.name}.`,
        );
      }
      throw e;
    }
  });

  app.get<UserParams>(path, async (request) => {
    manager(request, 'identity:list_application_credentials', 'read');
    const name = queryOf(request).name;
    const creds = store
      .listAppCreds()
      .filter((c) => c.userId === request.params.user && (name === undefined || c.name === name));
    return listBody(
      request,
      'application_credentials',
      creds.map((c) => view(c, request)),
    );
  });

  app.get<CredParams>(path + '/:id', async (request) => {
    manager(request, 'identity:get_application_credential', 'read');
    return { application_credential: view(credOr404(request), request) };
  });

  app.delete<CredParams>(path + '/:id', async (request, reply) => {
    manager(request, 'identity:delete_application_credential', 'delete');
    await store.deleteAppCred(credOr404(request).id);
    return reply.code(204).send();
  });
}

/** The roles asked for, each one the token holds (else Keystone's 400). */
function requestedRoles(refs: { id?: string; name?: string }[], v: ValidatedToken): Role[] {
  return refs.map((ref) => {
    const role = roleByIdOrName(ref.id) ?? roleByIdOrName(ref.name);
    if (!role) throw new KeystoneError(404, `Could not find role: ${ref.id ?? ref.name}.`);
    if (!v.roles.includes(role)) {
      throw new KeystoneError(
        400,
        'Invalid application credential: Cannot create an application credential with unassigned role',
      );
    }
    return role;
  });
}

interface CreateBody {
  name: string;
  secret?: string | null;
  description?: string | null;
  expires_at?: string | null;
  roles?: { id?: string; name?: string }[];
  unrestricted?: boolean;
}

const CREATE: Schema = {
  type: 'object',
  required: ['application_credential'],
  properties: {
    application_credential: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 255 },
        secret: { type: ['string', 'null'] },
        description: { type: ['string', 'null'] },
        expires_at: { type: ['string', 'null'] },
        roles: {
          type: 'array',
          items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
        },
        unrestricted: { type: 'boolean' },
        access_rules: { type: 'array', maxItems: 0 },
      },
    },
  },
};
