// The Keystone v3 subset, under /identity: version discovery, POST/GET/HEAD /v3/auth/tokens
// (password and token methods, project scope or unscoped), the service catalog, and the projects
// and roles a user can see. Bodies and errors are Keystone's ({"error": {code, message, title}}).
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GROUP, VERSION } from '../../../operator/src/api/kind.ts';
import { PROJECT_QUOTAS, QUOTA_NAME } from '../../../operator/src/controllers/projectquota.ts';
import { type KubeClient, type KubeObject, isAlreadyExists } from '../../../operator/src/kube/client.ts';
import { collectionPath } from '../../../operator/src/kube/resources.ts';
import { baseUrl } from '../app.ts';
import {
  COMPUTE_PREFIX,
  type GatewayContext,
  IDENTITY_PREFIX,
  IMAGE_PREFIX,
  ROLES,
  type Role,
} from '../context.ts';
import { validationError, type Schema } from '../validation.ts';
import { registerApplicationCredentials } from './appcreds.ts';
import { type ValidatedToken, validateToken } from './auth.ts';
import {
  KeystoneError,
  UNAUTHORIZED,
  V3,
  callerOf,
  keystoneTime,
  listBody,
  queryOf,
  requireAdmin,
  roleRef,
} from './common.ts';
import { verifyPassword } from './password.ts';
import {
  type ApplicationCredential,
  CASCADE_ANNOTATION,
  DEFAULT_DOMAIN,
  NameConflict,
  type Project,
  SYSTEM_NAMESPACE,
  type User,
  effectiveRoles,
  impliedBy,
  queryBool,
  roleId,
} from './store.ts';
import { auditId } from './tokens.ts';

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

const domainRef = () => ({ id: DEFAULT_DOMAIN.id, name: DEFAULT_DOMAIN.name });

function projectView(p: Project, base: string) {
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
        // Keystone: a token from an application credential cannot be rescoped.
        throw new KeystoneError(403, 'Cannot create a token using an application credential token.');
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

  const projectList = (request: FastifyRequest, projects: Project[]) =>
    listBody(
      request,
      'projects',
      projects.map((p) => projectView(p, base(request))),
    );
  // The projects a token can be scoped to: enabled ones with a role.
  app.get(V3 + '/auth/projects', async (request) =>
    projectList(
      request,
      store.projectsOf(caller(request).user.id).filter((p) => p.enabled),
    ),
  );
  app.get<{ Params: { id: string } }>(V3 + '/users/:id/projects', async (request) => {
    const v = caller(request);
    if (v.user.id !== request.params.id) requireAdmin(v, 'identity:list_user_projects');
    return projectList(request, store.projectsOf(request.params.id));
  });

  // --- projects: namespaces (store.ts). Writes are the admin's.
  app.get(V3 + '/projects', async (request) => {
    requireAdmin(caller(request), 'identity:list_projects');
    const q = queryOf(request);
    const projects = store
      .listProjects()
      .filter((p) => q.name === undefined || p.name === q.name)
      .filter((p) => q.domain_id === undefined || p.domainId === q.domain_id)
      .filter((p) => q.parent_id === undefined || p.domainId === q.parent_id)
      .filter((p) => q.enabled === undefined || p.enabled === queryBool(q.enabled))
      .filter(() => q.is_domain === undefined || !queryBool(q.is_domain));
    return projectList(request, projects);
  });
  const projectOr404 = (id: string): Project => {
    const p = store.projectById(id);
    if (!p) throw new KeystoneError(404, `Could not find project: ${id}.`);
    return p;
  };
  app.get<{ Params: { id: string } }>(V3 + '/projects/:id', async (request) => {
    const v = caller(request);
    const p = store.projectById(request.params.id);
    if (!p || (!v.principal?.isAdmin && store.rolesOf(v.user.id, p).length === 0)) {
      if (!v.principal?.isAdmin) requireAdmin(v, 'identity:get_project');
      throw new KeystoneError(404, `Could not find project: ${request.params.id}.`);
    }
    return { project: projectView(p, base(request)) };
  });
  const projectConflict = (name: string) =>
    new KeystoneError(
      409,
      `Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : ${name}.`,
    );

  app.post(V3 + '/projects', async (request, reply) => {
    const v = caller(request);
    requireAdmin(v, 'identity:create_project');
    const invalid = validationError(PROJECT_CREATE, request.body ?? null);
    if (invalid) throw new KeystoneError(400, invalid);
    const p = (
      request.body as {
        project: { name: string; description?: string | null; domain_id?: string; enabled?: boolean };
      }
    ).project;
    if (p.domain_id !== undefined && p.domain_id !== DEFAULT_DOMAIN.id) {
      throw new KeystoneError(400, `Could not find domain: ${p.domain_id}.`);
    }
    if (p.name === SYSTEM_NAMESPACE || p.name.startsWith('kube-')) {
      // Adopting a system namespace as a project would hand it to the project's members.
      throw new KeystoneError(400, `Invalid project name ${p.name}: it is a system namespace.`);
    }
    let project: Project;
    try {
      project = await store.createProject({
        name: p.name,
        description: p.description ?? undefined,
        enabled: p.enabled,
      });
    } catch (e) {
      if (e instanceof NameConflict) throw projectConflict(p.name);
      throw e;
    }
    await createDefaultQuota(ctx.clientFor(v.principal!), project.namespace);
    return reply.code(201).send({ project: projectView(project, base(request)) });
  });

  app.patch<{ Params: { id: string } }>(V3 + '/projects/:id', async (request) => {
    requireAdmin(caller(request), 'identity:update_project');
    const invalid = validationError(PROJECT_UPDATE, request.body ?? null);
    if (invalid) throw new KeystoneError(400, invalid);
    const project = projectOr404(request.params.id);
    const p = (
      request.body as {
        project: { name?: string; description?: string | null; enabled?: boolean; domain_id?: string };
      }
    ).project;
    if (p.domain_id !== undefined && p.domain_id !== project.domainId) {
      throw new KeystoneError(400, 'Update of `domain_id` is not allowed.');
    }
    try {
      const updated = await store.updateProject(project, {
        name: p.name,
        description: p.description,
        enabled: p.enabled,
      });
      ctx.authorizer.clear();
      return { project: projectView(updated, base(request)) };
    } catch (e) {
      if (e instanceof NameConflict) throw projectConflict(e.message);
      throw e;
    }
  });

  // Deleting a project that still holds servers is refused, as Keystone refuses to delete a
  // project that is not a leaf (403, pointing at the cascade option): Nova keeps a deleted
  // project's servers, Kova would orphan them in a namespace no project owns. An admin forces it
  // with ?cascade=true, or by annotating the namespace (kubectl) and deleting with any client.
  app.delete<{ Params: { id: string } }>(V3 + '/projects/:id', async (request, reply) => {
    const v = caller(request);
    requireAdmin(v, 'identity:delete_project');
    const project = projectOr404(request.params.id);
    const q = queryOf(request);
    const cascade = (q.cascade !== undefined && queryBool(q.cascade)) || project.cascade;
    if (!cascade) {
      const servers = await store.serversOf(project);
      if (servers.length > 0) {
        throw new KeystoneError(
          403,
          `Cannot delete the project ${project.id} since it still holds ${servers.length} server(s) (Nova keeps a deleted project's servers). Delete them first, or use the cascade option to delete them with the project: ?cascade=true, or the namespace annotation ${CASCADE_ANNOTATION}=true.`,
        );
      }
    }
    await store.deleteProject(project, cascade ? ctx.clientFor(v.principal!) : undefined);
    ctx.authorizer.clear();
    return reply.code(204).send();
  });

  // --- users: Secrets in kova-system (store.ts).
  app.get<{ Params: { id: string } }>(V3 + '/users/:id', async (request) => {
    const v = caller(request);
    if (v.user.id !== request.params.id) requireAdmin(v, 'identity:get_user');
    const u = store.userById(request.params.id);
    if (!u) throw new KeystoneError(404, `Could not find user: ${request.params.id}.`);
    return { user: userView(u, base(request)) };
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
  const userOr404 = (id: string): User => {
    const u = store.userById(id);
    if (!u) throw new KeystoneError(404, `Could not find user: ${id}.`);
    return u;
  };
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
    userOr404(request.params.id);
    await store.deleteUser(request.params.id);
    ctx.authorizer.clear();
    return reply.code(204).send();
  });
  app.patch<{ Params: { id: string } }>(V3 + '/users/:id', async (request) => {
    requireAdmin(caller(request), 'identity:update_user');
    const invalid = validationError(USER_UPDATE, request.body ?? null);
    if (invalid) throw new KeystoneError(400, invalid);
    userOr404(request.params.id);
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

  // --- roles: admin, member, reader, and Keystone's implied roles.
  const roleView = (r: Role, request: FastifyRequest) => ({
    ...roleRef(r, request),
    description: null,
    options: {},
  });
  const roleByIdOrName = (idOrName: string): Role | undefined =>
    ROLES.find((r) => roleId(r) === idOrName || r === idOrName);
  const roleOr404 = (id: string): Role => {
    const role = ROLES.find((r) => roleId(r) === id);
    if (!role) throw new KeystoneError(404, `Could not find role: ${id}.`);
    return role;
  };

  app.get(V3 + '/roles', async (request) => {
    caller(request);
    const name = queryOf(request).name;
    return listBody(
      request,
      'roles',
      ROLES.filter((r) => name === undefined || r === name).map((r) => roleView(r, request)),
    );
  });
  app.get<{ Params: { id: string } }>(V3 + '/roles/:id', async (request) => {
    caller(request);
    return { role: roleView(roleOr404(request.params.id), request) };
  });
  const inferenceRef = (r: Role, request: FastifyRequest) => {
    const { id, name, links } = roleRef(r, request);
    return { id, name, links };
  };
  app.get(V3 + '/role_inferences', async (request) => {
    requireAdmin(caller(request), 'identity:list_role_inference_rules');
    return listBody(
      request,
      'role_inferences',
      ROLES.filter((r) => impliedBy(r).length > 0).map((r) => ({
        prior_role: inferenceRef(r, request),
        implies: impliedBy(r).map((i) => inferenceRef(i, request)),
      })),
    );
  });
  app.get<{ Params: { prior: string } }>(V3 + '/roles/:prior/implies', async (request) => {
    requireAdmin(caller(request), 'identity:list_implied_roles');
    const prior = roleOr404(request.params.prior);
    return {
      role_inference: {
        prior_role: inferenceRef(prior, request),
        implies: impliedBy(prior).map((i) => inferenceRef(i, request)),
      },
      links: { self: `${base(request)}${V3}/roles/${roleId(prior)}/implies` },
    };
  });
  type InferenceParams = { Params: { prior: string; implied: string } };
  const inference = (request: FastifyRequest<InferenceParams>, action: string) => {
    requireAdmin(caller(request), action);
    const prior = roleOr404(request.params.prior);
    const implied = roleOr404(request.params.implied);
    if (!impliedBy(prior).includes(implied)) {
      throw new KeystoneError(404, `${roleId(prior)} does not imply ${roleId(implied)}.`);
    }
    return { prior, implied };
  };
  app.get<InferenceParams>(
    V3 + '/roles/:prior/implies/:implied',
    { exposeHeadRoute: false },
    async (request) => {
      const { prior, implied } = inference(request, 'identity:get_implied_role');
      return {
        role_inference: {
          prior_role: inferenceRef(prior, request),
          implies: inferenceRef(implied, request),
        },
        links: { self: `${base(request)}${V3}/roles/${roleId(prior)}/implies/${roleId(implied)}` },
      };
    },
  );
  app.head<InferenceParams>(V3 + '/roles/:prior/implies/:implied', async (request, reply) => {
    inference(request, 'identity:check_implied_role');
    return reply.code(204).send();
  });

  const domainView = (request: FastifyRequest) => ({
    ...domainRef(),
    description: 'The default domain',
    enabled: true,
    tags: [],
    options: {},
    links: { self: `${base(request)}${V3}/domains/${DEFAULT_DOMAIN.id}` },
  });
  app.get(V3 + '/domains', async (request) => {
    caller(request);
    const q = queryOf(request);
    const match =
      (q.name === undefined || q.name === DEFAULT_DOMAIN.name) &&
      (q.enabled === undefined || queryBool(q.enabled));
    return listBody(request, 'domains', match ? [domainView(request)] : []);
  });
  app.get<{ Params: { id: string } }>(V3 + '/domains/:id', async (request) => {
    caller(request);
    if (request.params.id !== DEFAULT_DOMAIN.id) {
      throw new KeystoneError(404, `Could not find domain: ${request.params.id}.`);
    }
    return { domain: domainView(request) };
  });

  // --- role assignments: RoleBindings (store.ts). Granting or revoking forgets the gateway's
  // cached access reviews, so the next call is decided on the new RoleBindings.
  type AssignmentParams = { Params: { project: string; user: string; role: string } };
  const assignmentPath = V3 + '/projects/:project/users/:user/roles/:role';
  const resolveAssignment = (request: FastifyRequest<AssignmentParams>, action: string) => {
    requireAdmin(caller(request), action);
    const { project: pid, user: uid, role: rid } = request.params;
    const project = projectOr404(pid);
    const user = userOr404(uid);
    const role = roleByIdOrName(rid);
    if (!role) throw new KeystoneError(404, `Could not find role: ${rid}.`);
    return { project, user, role };
  };
  const noAssignment = (request: FastifyRequest<AssignmentParams>) =>
    new KeystoneError(
      404,
      `Could not find role assignment with role: ${request.params.role}, user or group: ${request.params.user}, project, domain, or system: ${request.params.project}.`,
    );
  app.put<AssignmentParams>(assignmentPath, async (request, reply) => {
    const { project, user, role } = resolveAssignment(request, 'identity:create_grant');
    await store.assignRole(user.id, project, role);
    ctx.authorizer.clear();
    return reply.code(204).send();
  });
  app.get<AssignmentParams>(assignmentPath, async (request, reply) => {
    const { project, user, role } = resolveAssignment(request, 'identity:check_grant');
    if (!store.hasAssignment(user.id, project, role)) throw noAssignment(request);
    return reply.code(204).send();
  });
  app.delete<AssignmentParams>(assignmentPath, async (request, reply) => {
    const { project, user, role } = resolveAssignment(request, 'identity:revoke_grant');
    if (!(await store.revokeRole(user.id, project, role))) throw noAssignment(request);
    ctx.authorizer.clear();
    return reply.code(204).send();
  });
  app.get<{ Params: { project: string; user: string } }>(
    V3 + '/projects/:project/users/:user/roles',
    async (request) => {
      requireAdmin(caller(request), 'identity:list_grants');
      const project = projectOr404(request.params.project);
      const roles = store
        .assignments()
        .filter((a) => a.userId === request.params.user && a.project.id === project.id)
        .map((a) => roleView(a.role, request));
      return listBody(request, 'roles', roles);
    },
  );
  app.get(V3 + '/role_assignments', async (request) => {
    const v = caller(request);
    const q = queryOf(request);
    // A user may list their own assignments; everything else is the admin's.
    if (q['user.id'] !== v.user.id) requireAdmin(v, 'identity:list_role_assignments');
    const flag = (k: string) => q[k] !== undefined && queryBool(q[k] || 'true');
    const rows = expandAssignments(
      store
        .assignments()
        .filter((a) => q['user.id'] === undefined || a.userId === q['user.id'])
        .filter((a) => q['scope.project.id'] === undefined || a.project.id === q['scope.project.id']),
      flag('effective'),
    ).filter((a) => q['role.id'] === undefined || roleId(a.role) === q['role.id']);
    const names = flag('include_names');
    const url = `${base(request)}${V3}`;
    const assignments = rows.map((a) => ({
      role: names ? { id: roleId(a.role), name: a.role } : { id: roleId(a.role) },
      user: names
        ? { id: a.userId, name: store.userById(a.userId)?.name ?? '', domain: domainRef() }
        : { id: a.userId },
      scope: {
        project: names
          ? { id: a.project.id, name: a.project.name, domain: domainRef() }
          : { id: a.project.id },
      },
      links: {
        assignment: `${url}/projects/${a.project.id}/users/${a.userId}/roles/${roleId(a.prior ?? a.role)}`,
        // Keystone's link, as it writes it: /prior_role/<this role>/implies/<the assigned one>.
        ...(a.prior ? { prior_role: `${url}/prior_role/${roleId(a.role)}/implies/${roleId(a.prior)}` } : {}),
      },
    }));
    return listBody(request, 'role_assignments', assignments);
  });

  registerApplicationCredentials(app, ctx);
}

/**
 * Role assignments as Keystone lists them: the direct ones, or with `effective` also every role
 * they imply (each implied row remembers the assigned role it came from, its `prior_role`), one
 * row per (user, project, role).
 */
export function expandAssignments<A extends { userId: string; project: { id: string }; role: Role }>(
  direct: A[],
  effective: boolean,
): (A & { prior?: Role })[] {
  if (!effective) return direct;
  const rows: (A & { prior?: Role })[] = [];
  const seen = new Set<string>();
  const add = (row: A & { prior?: Role }) => {
    const key = `${row.userId}|${row.project.id}|${row.role}`;
    if (!seen.has(key)) {
      seen.add(key);
      rows.push(row);
    }
  };
  for (const a of direct) add(a);
  for (const a of direct) {
    for (const r of effectiveRoles([a.role]).filter((x) => x !== a.role))
      add({ ...a, role: r, prior: a.role });
  }
  return rows;
}

/** A new project's quota: the ProjectQuota `default`, its limits unset (the operator's defaults). */
async function createDefaultQuota(client: KubeClient, namespace: string): Promise<void> {
  try {
    await client.create(collectionPath(PROJECT_QUOTAS, namespace), {
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'ProjectQuota',
      metadata: { name: QUOTA_NAME, namespace },
      spec: {},
    } as KubeObject);
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
  }
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

const PROJECT_FIELDS = {
  description: { type: ['string', 'null'] },
  domain_id: { type: 'string' },
  enabled: { type: 'boolean' },
  is_domain: { type: 'boolean', enum: [false] },
  parent_id: { type: ['string', 'null'] },
  tags: { type: 'array' },
  options: { type: 'object' },
} as const;

/** A project is a namespace: its name must be a Kubernetes namespace name (RFC 1123 label). */
const PROJECT_CREATE: Schema = {
  type: 'object',
  required: ['project'],
  properties: {
    project: {
      type: 'object',
      required: ['name'],
      properties: {
        ...PROJECT_FIELDS,
        name: { type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
      },
    },
  },
};

/** A rename keeps the namespace: the new name is Keystone's (up to 64 characters). */
const PROJECT_UPDATE: Schema = {
  type: 'object',
  required: ['project'],
  properties: {
    project: {
      type: 'object',
      properties: { ...PROJECT_FIELDS, name: { type: 'string', minLength: 1, maxLength: 64 } },
    },
  },
};
