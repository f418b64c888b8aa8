// Keystone's projects (namespaces, store.ts) and its one domain, Default. Writes are the admin's.
// A project holding servers is not deleted unless cascaded (see the route).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GROUP, VERSION } from '../../../operator/src/api/kind.ts';
import { PROJECT_QUOTAS, QUOTA_NAME } from '../../../operator/src/controllers/projectquota.ts';
import { type KubeClient, type KubeObject, isAlreadyExists } from '../../../operator/src/kube/client.ts';
import { collectionPath } from '../../../operator/src/kube/resources.ts';
import { baseUrl } from '../app.ts';
import type { GatewayContext } from '../context.ts';
import { type Schema, validationError } from '../validation.ts';
import type { ValidatedToken } from './auth.ts';
import {
  KeystoneError,
  V3,
  callerOf,
  domainRef,
  listBody,
  projectList,
  projectOr404,
  projectView,
  queryOf,
  requireAdmin,
} from './common.ts';
import {
  CASCADE_ANNOTATION,
  DEFAULT_DOMAIN,
  NameConflict,
  type Project,
  SYSTEM_NAMESPACE,
  queryBool,
} from './store.ts';

export function registerProjects(app: FastifyInstance, ctx: GatewayContext): void {
  const store = ctx.identity;
  const base = (request: FastifyRequest) => baseUrl(request);
  const caller = (request: FastifyRequest): ValidatedToken => callerOf(ctx, request);

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
    return projectList(request, base(request), projects);
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
    // The quota object is a convenience (the operator applies its defaults without one): a
    // failure to write it does not undo the project.
    await createDefaultQuota(ctx.clientFor(v.principal!), project.namespace).catch((e: unknown) =>
      ctx.log.warn({ err: e, namespace: project.namespace }, 'could not create the default ProjectQuota'),
    );
    return reply.code(201).send({ project: projectView(project, base(request)) });
  });

  app.patch<{ Params: { id: string } }>(V3 + '/projects/:id', async (request) => {
    requireAdmin(caller(request), 'identity:update_project');
    const invalid = validationError(PROJECT_UPDATE, request.body ?? null);
    if (invalid) throw new KeystoneError(400, invalid);
    const project = projectOr404(store, request.params.id);
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
    const project = projectOr404(store, request.params.id);
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
