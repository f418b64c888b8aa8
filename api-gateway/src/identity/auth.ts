// From a token to a Principal: the signature and expiry (tokens.ts), then the user (still there,
// enabled), the project and the user's roles on it as they are now (store.ts).
import { ADMINS_GROUP, type Principal, USERS_GROUP, kubeUserName } from '../context.ts';
import { DEFAULT_DOMAIN, type IdentityStore, type Project, type User } from './store.ts';
import type { TokenPayload } from './tokens.ts';

export interface ValidatedToken {
  payload: TokenPayload;
  user: User;
  /** Present for a project-scoped token. */
  project?: Project;
  principal?: Principal;
}

/** Validates a token; undefined when invalid, expired, or its user or project role is gone. */
export function validateToken(store: IdentityStore, token: string, now: number): ValidatedToken | undefined {
  const payload = store.signer.verify(token, now);
  if (!payload || store.isRevoked(payload.a[0]!)) return undefined;
  const user = store.userById(payload.u);
  if (!user || !user.enabled) return undefined;
  if (!payload.p) return { payload, user };
  const project = store.projectById(payload.p);
  if (!project) return undefined;
  const roles = store.rolesOf(user.id, project);
  if (roles.length === 0) return undefined;
  const isAdmin = roles.includes('admin');
  const principal: Principal = {
    userId: user.id,
    userName: user.name,
    domainId: user.domainId || DEFAULT_DOMAIN.id,
    projectId: project.id,
    projectName: project.name,
    namespace: project.namespace,
    roles,
    isAdmin,
    kube: { user: kubeUserName(user.id), groups: [isAdmin ? ADMINS_GROUP : USERS_GROUP] },
    token,
    issuedAt: new Date(payload.iat),
    expiresAt: new Date(payload.exp),
    methods: payload.m,
    auditIds: payload.a,
  };
  return { payload, user, project, principal };
}
