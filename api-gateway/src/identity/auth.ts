// From a token to a Principal: the signature and expiry (tokens.ts), then the user (still there,
// enabled, the token issued after their last password change or disable), the project (still
// there, enabled) and the user's roles on it as they are now (store.ts); for a token issued to an
// application credential, the credential (still there, unexpired) and only its roles.
import { ADMINS_GROUP, type Principal, type Role, USERS_GROUP, kubeUserName } from '../context.ts';
import {
  type ApplicationCredential,
  DEFAULT_DOMAIN,
  type IdentityStore,
  type Project,
  type User,
} from './store.ts';
import type { TokenPayload } from './tokens.ts';

export interface ValidatedToken {
  payload: TokenPayload;
  user: User;
  /** Present for a project-scoped token. */
  project?: Project;
  /** Present for a token issued to an application credential. */
  appCred?: ApplicationCredential;
  /** The token's effective roles on its project. */
  roles: Role[];
  principal?: Principal;
}

/** Validates a token; undefined when invalid, expired, or its user or project role is gone. */
export function validateToken(store: IdentityStore, token: string, now: number): ValidatedToken | undefined {
  const payload = store.signer.verify(token, now);
  if (!payload || store.isRevoked(payload.a[0]!)) return undefined;
  const user = store.userById(payload.u);
  if (!user || !user.enabled || payload.iat < user.tokensValidAfter) return undefined;
  let appCred: ApplicationCredential | undefined;
  if (payload.c !== undefined) {
    appCred = store.appCredById(payload.c);
    if (!appCred || appCred.userId !== user.id || appCred.projectId !== payload.p) return undefined;
    if (appCred.expiresAt !== null && appCred.expiresAt <= now) return undefined;
  }
  if (!payload.p) return { payload, user, roles: [] };
  const project = store.projectById(payload.p);
  if (!project || !project.enabled) return undefined;
  let roles = store.rolesOf(user.id, project);
  if (appCred) roles = roles.filter((r) => appCred.roles.includes(r));
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
  return { payload, user, project, appCred, roles, principal };
}
