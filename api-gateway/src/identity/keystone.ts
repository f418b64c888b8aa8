// The Keystone v3 subset, under /identity: version discovery, POST/GET/HEAD/DELETE
// /v3/auth/tokens (password, token and application_credential methods; project scope, unscoped or
// the default project), the service catalog, and administration: projects, users, roles and their
// implications, role assignments (application credentials: appcreds.ts). The records are
// Kubernetes objects (store.ts). Bodies and errors are Keystone's ({"error": {code, message, title}}).
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { baseUrl } from '../app.ts';
import { COMPUTE_PREFIX, type GatewayContext, IDENTITY_PREFIX, IMAGE_PREFIX } from '../context.ts';
import { validationError, type Schema } from '../validation.ts';
import { registerApplicationCredentials } from './appcreds.ts';
import { type ValidatedToken, validateToken } from './auth.ts';
import {
  KeystoneError,
  UNAUTHORIZED,
  V3,
  callerOf,
  domainRef,
  keystoneTime,
  projectList,
  forbidden,
  requireAdmin,
} from './common.ts';
import { verifyPassword } from './password.ts';
import { registerProjects } from './projects.ts';
import { registerRoles } from './roles.ts';
import { type ApplicationCredential, DEFAULT_DOMAIN, type Project, type User, roleId } from './store.ts';
import { auditId } from './tokens.ts';
import { registerUsers } from './users.ts';

export { KeystoneError } from './common.ts';
/** Keystone's default token lifetime (GatewayConfig.tokenTtlMs overrides it). */
export const TOKEN_TTL_MS = 3600_000;
const REGION = 'RegionOne';
const MEDIA_TYPE = { base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' };

function v3Version(base: string) {
  return {
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${base}${V3}/` }],
    'media-types': [MEDIA_TYPE],
  };
}

const endpointId = (service: string, iface: string): string =>
  createHash('md5').update(`kova-endpoint:${service}:${iface}`).digest('hex');

/** The service catalog: compute, image and identity, at this gateway's public URL. */
export function catalog(base: string) {
  const services = [
    { type: 'compute', name: 'nova', url: `${base}${COMPUTE_PREFIX}` },
    { type: 'image', name: 'glance', url: `${base}${IMAGE_PREFIX}` },
    { type: 'identity', name: 'keystone', url: `${base}${V3}` },
  ];
  return services.map((s) => ({
    id: createHash('md5').update(`kova-service:${s.type}`).digest('hex'),
    type: s.type,
    name: s.name,
    endpoints: ['public', 'internal', 'admin'].map((iface) => ({
      id: endpointId(s.type, iface),
      interface: iface,
      region: REGION,
      region_id: REGION,
      url: s.url,
    })),
  }));
}

function tokenBody(v: ValidatedToken, base: string, withCatalog: boolean) {
  const token: Record<string, unknown> = {
    methods: v.payload.m,
    user: { domain: domainRef(), id: v.user.id, name: v.user.name, password_expires_at: null },
    audit_ids: v.payload.a,
    expires_at: keystoneTime(new Date(v.payload.exp)),
    issued_at: keystoneTime(new Date(v.payload.iat)),
  };
  if (v.project) {
    token.project = { domain: domainRef(), id: v.project.id, name: v.project.name };
    token.is_domain = false;
    token.roles = v.roles.map((r) => ({ id: roleId(r), name: r }));
    if (withCatalog) token.catalog = catalog(base);
  } else if (withCatalog) {
    token.catalog = [];
  }
  if (v.appCred) {
    token.application_credential = {
      id: v.appCred.id,
      name: v.appCred.name,
      restricted: !v.appCred.unrestricted,
    };
  }
  return { token };
}

const ref: Schema = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' } },
};
const userRef: Schema = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' }, domain: ref },
};
const AUTH_SCHEMA: Schema = {
  type: 'object',
  required: ['auth'],
  properties: {
    auth: {
      type: 'object',
      required: ['identity'],
      properties: {
        identity: {
          type: 'object',
          required: ['methods'],
          properties: {
            methods: { type: 'array', items: { type: 'string' }, minItems: 1 },
            password: {
              type: 'object',
              required: ['user'],
              properties: {
                user: {
                  type: 'object',
                  required: ['password'],
                  properties: {
                    id: { type: 'string' },
                    name: { type: 'string' },
                    password: { type: 'string' },
                    domain: ref,
                  },
                },
              },
            },
            token: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
            application_credential: {
              type: 'object',
              required: ['secret'],
              properties: {
                id: { type: 'string' },
                name: { type: 'string' },
                secret: { type: 'string' },
                user: userRef,
              },
            },
          },
        },
        scope: {
          anyOf: [
            { type: 'string', enum: ['unscoped'] },
            {
              type: 'object',
              properties: {
                project: {
                  type: 'object',
                  properties: { id: { type: 'string' }, name: { type: 'string' }, domain: ref },
                },
              },
            },
          ],
        },
      },
    },
  },
};

interface AuthRequest {
  auth: {
    identity: {
      methods: string[];
      password?: {
        user: { id?: string; name?: string; password: string; domain?: { id?: string; name?: string } };
      };
      token?: { id: string };
      application_credential?: {
        id?: string;
        name?: string;
        secret: string;
        user?: { id?: string; name?: string; domain?: { id?: string; name?: string } };
      };
    };
    scope?:
      | 'unscoped'
      | {
          project?: { id?: string; name?: string; domain?: { id?: string; name?: string } };
          [k: string]: unknown;
        };
  };
}

/** Keystone's ValidationError: "Expecting to find <attribute> in <target>. ..." */
const expecting = (attribute: string, target: string) =>
  `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`;

function domainMatches(d: { id?: string; name?: string } | undefined): boolean {
  if (!d) return false;
  return (
    (d.id ?? DEFAULT_DOMAIN.id) === DEFAULT_DOMAIN.id &&
    (d.name ?? DEFAULT_DOMAIN.name) === DEFAULT_DOMAIN.name
  );
}

export function registerIdentity(app: FastifyInstance, ctx: GatewayContext): void {
  const store = ctx.identity;
  const base = (request: FastifyRequest) => baseUrl(request);
  const caller = (request: FastifyRequest): ValidatedToken => callerOf(ctx, request);

  const versions = async (request: FastifyRequest, reply: FastifyReply) =>
    reply.code(300).send({ versions: { values: [v3Version(base(request))] } });
  app.get(IDENTITY_PREFIX, versions);
  app.get(IDENTITY_PREFIX + '/', versions);
  app.get(V3, async (request) => ({ version: v3Version(base(request)) }));
  app.get(V3 + '/', async (request) => ({ version: v3Version(base(request)) }));

  /** The user an application credential is named under (auth by name needs its user). */
  const appCredUser = (u: { id?: string; name?: string; domain?: { id?: string; name?: string } }) =>
    u.id ? store.userById(u.id) : u.name && domainMatches(u.domain) ? store.userByName(u.name) : undefined;

  app.post(V3 + '/auth/tokens', async (request, reply) => {
    const invalid = validationError(AUTH_SCHEMA, request.body ?? null);
    if (invalid) throw new KeystoneError(400, invalid);
    const { identity, scope } = (request.body as AuthRequest).auth;
    const now = ctx.clock.now();
    let user: User | undefined;
    let methods: string[];
    let audit = [auditId()];
    let exp = now + ctx.config.tokenTtlMs;
    let appCred: ApplicationCredential | undefined;
    if (identity.methods.includes('password')) {
      const p = identity.password;
      if (!p) throw new KeystoneError(400, "'password' is a required property");
      if (p.user.id) user = store.userById(p.user.id);
      else if (p.user.name && domainMatches(p.user.domain)) user = store.userByName(p.user.name);
      else if (p.user.name && !p.user.domain)
        throw new KeystoneError(400, 'Expecting to find domain in user.');
      else if (p.user.name)
        throw new KeystoneError(401, UNAUTHORIZED); // another domain: no such user
      else
        throw new KeystoneError(
          400,
          'Expecting to find id or name in user - the server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.',
        );
      if (!user || !user.enabled || !(await verifyPassword(p.user.password, user.passwordHash))) {
        throw new KeystoneError(401, UNAUTHORIZED);
      }
      methods = ['password'];
    } else if (identity.methods.includes('token')) {
      if (!identity.token) throw new KeystoneError(400, "'token' is a required property");
      const v = validateToken(store, identity.token.id, now);
      if (!v) throw new KeystoneError(401, UNAUTHORIZED);
      if (v.appCred) {
        // Keystone: a token from an application credential is not exchanged for another.
        throw forbidden('Using a delegated token to create another token is not allowed.');
      }
      user = v.user;
      methods = [...new Set(['token', ...v.payload.m])];
      audit = [audit[0]!, v.payload.a.at(-1)!];
      exp = v.payload.exp; // a rescoped token never outlives the one it came from
    } else if (identity.methods.includes('application_credential')) {
      const c = identity.application_credential;
      if (!c) throw new KeystoneError(400, "'application_credential' is a required property");
      if (scope !== undefined) {
        throw new KeystoneError(
          401,
          'Error authenticating with application credential: Application credentials cannot request a scope.',
        );
      }
      if (c.id) appCred = store.appCredById(c.id);
      else if (!c.name) throw new KeystoneError(400, expecting('name or ID', 'application credential'));
      else if (!c.user) throw new KeystoneError(400, expecting('user', 'application credential'));
      else if (!c.user.id && !c.user.domain) throw new KeystoneError(400, expecting('domain', 'user'));
      else {
        const owner = appCredUser(c.user);
        appCred = owner && store.listAppCreds().find((x) => x.userId === owner.id && x.name === c.name);
      }
      if (
        !appCred ||
        (appCred.expiresAt !== null && appCred.expiresAt <= now) ||
        !(await verifyPassword(c.secret, appCred.secretHash))
      ) {
        throw new KeystoneError(401, UNAUTHORIZED);
      }
      user = store.userById(appCred.userId);
      if (!user || !user.enabled) throw new KeystoneError(401, UNAUTHORIZED);
      methods = ['application_credential'];
      if (appCred.expiresAt !== null) exp = Math.min(exp, appCred.expiresAt);
    } else {
      throw new KeystoneError(401, `Attempted to authenticate with an unsupported method.`);
    }

    let project: Project | undefined;
    if (appCred) {
      project = store.projectById(appCred.projectId); // the credential's project, its only scope
    } else if (scope && scope !== 'unscoped') {
      const p = scope.project;
      if (!p) throw new KeystoneError(400, 'Only project scope is supported.');
      if (p.id) project = store.projectById(p.id);
      else if (p.name && domainMatches(p.domain)) project = store.projectByName(p.name);
      else if (!p.name) throw new KeystoneError(400, 'Expecting to find id or name in project.');
      else if (!p.domain) throw new KeystoneError(400, 'Expecting to find domain in project.');
      if (!project) throw new KeystoneError(401, UNAUTHORIZED);
    } else if (scope === undefined && user.defaultProjectId) {
      // Keystone scopes a token requested without a scope to the user's default project, when
      // the user has a role there (else the token is unscoped).
      const p = store.projectById(user.defaultProjectId);
      if (p?.enabled && store.rolesOf(user.id, p).length > 0) project = p;
    }
    const token = store.signer.sign({
      u: user.id,
      p: project?.id,
      m: methods,
      iat: now,
      exp,
      a: audit,
      ...(appCred ? { c: appCred.id } : {}),
    });
    // Validation checks the rest as every later call will: the project enabled, a role on it.
    const v = validateToken(store, token, now);
    if (!v) throw new KeystoneError(401, UNAUTHORIZED);
    const nocatalog = (request.query as Record<string, unknown>).nocatalog !== undefined;
    return reply
      .code(201)
      .header('X-Subject-Token', token)
      .send(tokenBody(v, base(request), !nocatalog));
  });

  const subject = (request: FastifyRequest): ValidatedToken => {
    const v = caller(request);
    const id = request.headers['x-subject-token'];
    if (typeof id !== 'string') throw new KeystoneError(404, 'Could not find token: None.');
    const s = validateToken(store, id, ctx.clock.now());
    if (!s) throw new KeystoneError(404, `Could not find token: ${id}.`);
    if (s.user.id !== v.user.id) requireAdmin(v, 'identity:validate_token');
    return s;
  };
  // HEAD is Fastify's automatic HEAD route for this GET: the same checks, no body.
  app.get(V3 + '/auth/tokens', async (request, reply) => {
    const s = subject(request);
    const nocatalog = (request.query as Record<string, unknown>).nocatalog !== undefined;
    return reply
      .header('X-Subject-Token', request.headers['x-subject-token'])
      .send(tokenBody(s, base(request), !nocatalog));
  });

  // Revocation (`openstack token revoke`): the caller's own tokens, or any for an admin.
  app.delete(V3 + '/auth/tokens', async (request, reply) => {
    const s = subject(request);
    await store.revoke(s.payload.a[0]!, s.payload.exp, ctx.clock.now());
    return reply.code(204).send();
  });

  app.get(V3 + '/auth/catalog', async (request) => {
    const v = caller(request);
    return {
      catalog: v.project ? catalog(base(request)) : [],
      links: { self: `${base(request)}${V3}/auth/catalog` },
    };
  });

  // The projects a token can be scoped to: enabled ones with a role.
  app.get(V3 + '/auth/projects', async (request) =>
    projectList(
      request,
      base(request),
      store.projectsOf(caller(request).user.id).filter((p) => p.enabled),
    ),
  );
  app.get<{ Params: { id: string } }>(V3 + '/users/:id/projects', async (request) => {
    const v = caller(request);
    if (v.user.id !== request.params.id) requireAdmin(v, 'identity:list_user_projects');
    return projectList(request, base(request), store.projectsOf(request.params.id));
  });

  registerProjects(app, ctx);
  registerUsers(app, ctx);
  registerRoles(app, ctx);
  registerApplicationCredentials(app, ctx);
}
