// The Keystone v3 subset, under /identity: version discovery, POST/GET/HEAD /v3/auth/tokens
// (password and token methods, project scope or unscoped), the service catalog, and the projects
// and roles a user can see. Bodies and errors are Keystone's ({"error": {code, message, title}}).
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { baseUrl } from '../app.ts';
import {
  COMPUTE_PREFIX,
  type GatewayContext,
  IDENTITY_PREFIX,
  IMAGE_PREFIX,
  ROLES,
  type Role,
} from '../context.ts';
import { ApiError } from '../errors.ts';
import { validationError, type Schema } from '../validation.ts';
import { type ValidatedToken, validateToken } from './auth.ts';
import { verifyPassword } from './password.ts';
import { DEFAULT_DOMAIN, type IdentityStore, type Project, type User, roleId } from './store.ts';
import { auditId } from './tokens.ts';

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
const UNAUTHORIZED = 'The request you have made requires authentication.';
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

/** Keystone's time format: microseconds and Z. */
export const keystoneTime = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

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

function userView(u: User, base: string) {
  return {
    id: u.id,
    name: u.name,
    domain_id: u.domainId,
    enabled: u.enabled,
    password_expires_at: null,
    options: {},
    links: { self: `${base}${V3}/users/${u.id}` },
  };
}

function tokenBody(store: IdentityStore, v: ValidatedToken, base: string, withCatalog: boolean) {
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
    token.roles = store.rolesOf(v.user.id, v.project).map((r) => ({ id: roleId(r), name: r }));
    if (withCatalog) token.catalog = catalog(base);
  } else if (withCatalog) {
    token.catalog = [];
  }
  return { token };
}

const ref: Schema = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' } },
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
    };
    scope?:
      | 'unscoped'
      | {
          project?: { id?: string; name?: string; domain?: { id?: string; name?: string } };
          [k: string]: unknown;
        };
  };
}

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

  const caller = (request: FastifyRequest): ValidatedToken => {
    const token = request.headers['x-auth-token'];
    const v = typeof token === 'string' ? validateToken(store, token, ctx.clock.now()) : undefined;
    if (!v) throw new KeystoneError(401, UNAUTHORIZED);
    return v;
  };
  const requireAdmin = (v: ValidatedToken, action: string) => {
    if (!v.principal?.isAdmin) {
      throw new KeystoneError(403, `You are not authorized to perform the requested action: ${action}.`);
    }
  };

  const versions = async (request: FastifyRequest, reply: FastifyReply) =>
    reply.code(300).send({ versions: { values: [v3Version(base(request))] } });
  app.get(IDENTITY_PREFIX, versions);
  app.get(IDENTITY_PREFIX + '/', versions);
  app.get(V3, async (request) => ({ version: v3Version(base(request)) }));
  app.get(V3 + '/', async (request) => ({ version: v3Version(base(request)) }));

  app.post(V3 + '/auth/tokens', async (request, reply) => {
    const invalid = validationError(AUTH_SCHEMA, request.body ?? null);
    if (invalid) throw new KeystoneError(400, invalid);
    const { identity, scope } = (request.body as AuthRequest).auth;
    const now = ctx.clock.now();
    let user: User | undefined;
    let methods: string[];
    let audit = [auditId()];
    let exp = now + ctx.config.tokenTtlMs;
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
      user = v.user;
      methods = [...new Set(['token', ...v.payload.m])];
      audit = [audit[0]!, v.payload.a.at(-1)!];
      exp = v.payload.exp; // a rescoped token never outlives the one it came from
    } else {
      throw new KeystoneError(401, `Attempted to authenticate with an unsupported method.`);
    }

    let project: Project | undefined;
    if (scope && scope !== 'unscoped') {
      const p = scope.project;
      if (!p) throw new KeystoneError(400, 'Only project scope is supported.');
      if (p.id) project = store.projectById(p.id);
      else if (p.name && domainMatches(p.domain)) project = store.projectByName(p.name);
      else if (!p.name) throw new KeystoneError(400, 'Expecting to find id or name in project.');
      else if (!p.domain) throw new KeystoneError(400, 'Expecting to find domain in project.');
      if (!project || store.rolesOf(user.id, project).length === 0) {
        throw new KeystoneError(401, UNAUTHORIZED);
      }
    }
    const token = store.signer.sign({ u: user.id, p: project?.id, m: methods, iat: now, exp, a: audit });
    const v = validateToken(store, token, now)!;
    const nocatalog = (request.query as Record<string, unknown>).nocatalog !== undefined;
    return reply
      .code(201)
      .header('X-Subject-Token', token)
      .send(tokenBody(store, v, base(request), !nocatalog));
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
      .send(tokenBody(store, s, base(request), !nocatalog));
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

  const projectList = (request: FastifyRequest, projects: Project[]) => ({
    projects: projects.map((p) => projectView(p, base(request))),
    links: { self: `${base(request)}${request.url.split('?')[0]}`, previous: null, next: null },
  });
  app.get(V3 + '/auth/projects', async (request) =>
    projectList(request, store.projectsOf(caller(request).user.id)),
  );
  app.get<{ Params: { id: string } }>(V3 + '/users/:id/projects', async (request) => {
    const v = caller(request);
    if (v.user.id !== request.params.id) requireAdmin(v, 'identity:list_user_projects');
    return projectList(request, store.projectsOf(request.params.id));
  });
  app.get(V3 + '/projects', async (request) => {
    const v = caller(request);
    requireAdmin(v, 'identity:list_projects');
    const name = (request.query as Record<string, string>).name;
    return projectList(
      request,
      store.listProjects().filter((p) => name === undefined || p.name === name),
    );
  });
  app.get<{ Params: { id: string } }>(V3 + '/projects/:id', async (request) => {
    const v = caller(request);
    const p = store.projectById(request.params.id);
    if (!p || (!v.principal?.isAdmin && store.rolesOf(v.user.id, p).length === 0)) {
      if (!v.principal?.isAdmin) requireAdmin(v, 'identity:get_project');
      throw new KeystoneError(404, `Could not find project: ${request.params.id}.`);
    }
    return { project: projectView(p, base(request)) };
  });
  app.get<{ Params: { id: string } }>(V3 + '/users/:id', async (request) => {
    const v = caller(request);
    if (v.user.id !== request.params.id) requireAdmin(v, 'identity:get_user');
    const u = store.userById(request.params.id);
    if (!u) throw new KeystoneError(404, `Could not find user: ${request.params.id}.`);
    return { user: userView(u, base(request)) };
  });

  // --- administration (admin tokens): users, projects, role assignments, for `openstack user
  // create`, `project create`, `role add` and friends. The records are written with the gateway's
  // own identity: they are the gateway's (Secrets in kova-system, RoleBindings it manages).
  const roleView = (r: Role, request: FastifyRequest) => ({
    id: roleId(r),
    name: r,
    domain_id: null,
    description: null,
    options: {},
    links: { self: `${base(request)}${V3}/roles/${roleId(r)}` },
  });
  const roleByIdOrName = (idOrName: string): Role | undefined =>
    ROLES.find((r) => roleId(r) === idOrName || r === idOrName);
  const list = (request: FastifyRequest, key: string, items: unknown[]) => ({
    [key]: items,
    links: { self: `${base(request)}${request.url.split('?')[0]}`, previous: null, next: null },
  });
  const query = (request: FastifyRequest) => request.query as Record<string, string | undefined>;

  app.get(V3 + '/roles', async (request) => {
    caller(request);
    const name = query(request).name;
    return list(
      request,
      'roles',
      ROLES.filter((r) => name === undefined || r === name).map((r) => roleView(r, request)),
    );
  });
  app.get<{ Params: { id: string } }>(V3 + '/roles/:id', async (request) => {
    caller(request);
    const role = ROLES.find((r) => roleId(r) === request.params.id);
    if (!role) throw new KeystoneError(404, `Could not find role: ${request.params.id}.`);
    return { role: roleView(role, request) };
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
    const name = query(request).name;
    return list(
      request,
      'domains',
      name === undefined || name === DEFAULT_DOMAIN.name ? [domainView(request)] : [],
    );
  });
  app.get<{ Params: { id: string } }>(V3 + '/domains/:id', async (request) => {
    caller(request);
    if (request.params.id !== DEFAULT_DOMAIN.id) {
      throw new KeystoneError(404, `Could not find domain: ${request.params.id}.`);
    }
    return { domain: domainView(request) };
  });

  app.get(V3 + '/users', async (request) => {
    requireAdmin(caller(request), 'identity:list_users');
    const { name } = query(request);
    return list(
      request,
      'users',
      store
        .listUsers()
        .filter((u) => name === undefined || u.name === name)
        .map((u) => userView(u, base(request))),
    );
  });
  app.post(V3 + '/users', async (request, reply) => {
    requireAdmin(caller(request), 'identity:create_user');
    const invalid = validationError(USER_CREATE, request.body ?? null);
    if (invalid) throw new KeystoneError(400, invalid);
    const u = (request.body as { user: { name: string; password?: string; enabled?: boolean } }).user;
    if (store.userByName(u.name)) {
      throw new KeystoneError(
        409,
        `Conflict occurred attempting to store user - Duplicate entry found with name ${u.name} at domain ID default.`,
      );
    }
    // A user created without a password cannot log in (Keystone's behaviour too).
    const user = await store.createUser({
      name: u.name,
      password: u.password ?? randomBytes(32).toString('hex'),
      enabled: u.enabled,
    });
    return reply.code(201).send({ user: userView(user, base(request)) });
  });
  app.delete<{ Params: { id: string } }>(V3 + '/users/:id', async (request, reply) => {
    requireAdmin(caller(request), 'identity:delete_user');
    if (!store.userById(request.params.id))
      throw new KeystoneError(404, `Could not find user: ${request.params.id}.`);
    await store.deleteUser(request.params.id);
    return reply.code(204).send();
  });

  app.patch<{ Params: { id: string } }>(V3 + '/users/:id', async (request) => {
    requireAdmin(caller(request), 'identity:update_user');
    const invalid = validationError(USER_UPDATE, request.body ?? null);
    if (invalid) throw new KeystoneError(400, invalid);
    if (!store.userById(request.params.id))
      throw new KeystoneError(404, `Could not find user: ${request.params.id}.`);
    const u = (request.body as { user: { password?: string; enabled?: boolean } }).user;
    const user = await store.updateUser(request.params.id, { password: u.password, enabled: u.enabled });
    return { user: userView(user, base(request)) };
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
    await store.updateUser(user.id, { password });
    return reply.code(204).send();
  });
  app.delete<{ Params: { id: string } }>(V3 + '/projects/:id', async (request, reply) => {
    requireAdmin(caller(request), 'identity:delete_project');
    const project = store.projectById(request.params.id);
    if (!project) throw new KeystoneError(404, `Could not find project: ${request.params.id}.`);
    await store.deleteProject(project);
    ctx.authorizer.clear();
    return reply.code(204).send();
  });

  app.post(V3 + '/projects', async (request, reply) => {
    requireAdmin(caller(request), 'identity:create_project');
    const invalid = validationError(PROJECT_CREATE, request.body ?? null);
    if (invalid) throw new KeystoneError(400, invalid);
    const p = (request.body as { project: { name: string; description?: string; domain_id?: string } })
      .project;
    if (p.domain_id !== undefined && p.domain_id !== DEFAULT_DOMAIN.id) {
      throw new KeystoneError(400, `Could not find domain: ${p.domain_id}.`);
    }
    if (store.projectByName(p.name)) {
      throw new KeystoneError(
        409,
        `Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : ${p.name}.`,
      );
    }
    const project = await store.createProject({ name: p.name, description: p.description });
    return reply.code(201).send({ project: projectView(project, base(request)) });
  });

  type AssignmentParams = { Params: { project: string; user: string; role: string } };
  const assignmentPath = V3 + '/projects/:project/users/:user/roles/:role';
  const resolveAssignment = (request: FastifyRequest<AssignmentParams>, action: string) => {
    requireAdmin(caller(request), action);
    const { project: pid, user: uid, role: rid } = request.params;
    const project = store.projectById(pid);
    if (!project) throw new KeystoneError(404, `Could not find project: ${pid}.`);
    const user = store.userById(uid);
    if (!user) throw new KeystoneError(404, `Could not find user: ${uid}.`);
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
      const project = store.projectById(request.params.project);
      if (!project) throw new KeystoneError(404, `Could not find project: ${request.params.project}.`);
      const roles = store
        .assignments()
        .filter((a) => a.userId === request.params.user && a.project.id === project.id)
        .map((a) => roleView(a.role, request));
      return list(request, 'roles', roles);
    },
  );
  app.get(V3 + '/role_assignments', async (request) => {
    const v = caller(request);
    const q = query(request);
    // A user may list their own assignments; everything else is the admin's.
    if (q['user.id'] !== v.user.id) requireAdmin(v, 'identity:list_role_assignments');
    const names = q.include_names !== undefined && !['0', 'false'].includes(q.include_names.toLowerCase());
    const assignments = store
      .assignments()
      .filter((a) => q['user.id'] === undefined || a.userId === q['user.id'])
      .filter((a) => q['scope.project.id'] === undefined || a.project.id === q['scope.project.id'])
      .filter((a) => q['role.id'] === undefined || roleId(a.role) === q['role.id'])
      .map((a) => ({
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
          assignment: `${base(request)}${V3}/projects/${a.project.id}/users/${a.userId}/roles/${roleId(a.role)}`,
        },
      }));
    return list(request, 'role_assignments', assignments);
  });
}

const USER_CREATE: Schema = {
  type: 'object',
  required: ['user'],
  properties: {
    user: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 255 },
        password: { type: ['string', 'null'] },
        enabled: { type: 'boolean' },
        domain_id: { type: 'string', enum: [DEFAULT_DOMAIN.id] },
        default_project_id: { type: ['string', 'null'] },
        description: { type: ['string', 'null'] },
        email: { type: ['string', 'null'] },
      },
    },
  },
};

const USER_UPDATE: Schema = {
  type: 'object',
  required: ['user'],
  properties: {
    user: {
      type: 'object',
      properties: { password: { type: 'string', minLength: 1 }, enabled: { type: 'boolean' } },
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

/** A project is a namespace: its name must be a Kubernetes namespace name (RFC 1123 label). */
const PROJECT_CREATE: Schema = {
  type: 'object',
  required: ['project'],
  properties: {
    project: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
        description: { type: ['string', 'null'] },
        domain_id: { type: 'string' },
        enabled: { type: 'boolean' },
        is_domain: { type: 'boolean', enum: [false] },
        parent_id: { type: ['string', 'null'] },
        tags: { type: 'array' },
      },
    },
  },
};
