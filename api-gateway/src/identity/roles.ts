// Keystone's roles (admin, member, reader), their implications (admin ⇒ member ⇒ reader), and
// role assignments: the RoleBindings of store.ts.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { baseUrl } from '../app.ts';
import { type GatewayContext, ROLES, type Role } from '../context.ts';
import type { ValidatedToken } from './auth.ts';
import {
  KeystoneError,
  V3,
  callerOf,
  domainRef,
  listBody,
  projectOr404,
  queryOf,
  requireAdmin,
  roleByIdOrName,
  roleRef,
  userOr404,
} from './common.ts';
import { effectiveRoles, impliedBy, queryBool, roleId } from './store.ts';

export function registerRoles(app: FastifyInstance, ctx: GatewayContext): void {
  const store = ctx.identity;
  const base = (request: FastifyRequest) => baseUrl(request);
  const caller = (request: FastifyRequest): ValidatedToken => callerOf(ctx, request);
  // --- roles: admin, member, reader, and Keystone's implied roles.
  const roleView = (r: Role, request: FastifyRequest) => ({
    ...roleRef(r, request),
    description: null,
    options: {},
  });
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

  // --- role assignments: RoleBindings (store.ts). Granting or revoking forgets the gateway's
  // cached access reviews, so the next call is decided on the new RoleBindings.
  type AssignmentParams = { Params: { project: string; user: string; role: string } };
  const assignmentPath = V3 + '/projects/:project/users/:user/roles/:role';
  const resolveAssignment = (request: FastifyRequest<AssignmentParams>, action: string) => {
    requireAdmin(caller(request), action);
    const { project: pid, user: uid, role: rid } = request.params;
    const project = projectOr404(store, pid);
    const user = userOr404(store, uid);
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
      const project = projectOr404(store, request.params.project);
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
