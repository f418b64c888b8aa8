// Keystone's records, kept in Kubernetes (one domain, "default"):
// - a user is a Secret `kova-user-<id>` in kova-system labelled identity.kova.io/kind=user
//   (data: id, name, password = an scrypt hash, enabled);
// - a project is a Namespace labelled identity.kova.io/project-id=<id>; its name is the project's
//   (a renamed project keeps its namespace, the new name in the annotation identity.kova.io/name),
//   its description and enabled flag are annotations; a namespace the gateway created itself is
//   labelled identity.kova.io/managed=true and is deleted with the project;
// - a role assignment IS the RoleBinding that grants it: `kova-<role>-<user id>` in the project's
//   namespace, binding the ClusterRole kova:<role> to the user's Kubernetes name, labelled with
//   the role and user id. So the assignment Keystone reports and the access Kubernetes enforces
//   cannot disagree;
// - an application credential is a Secret `kova-appcred-<id>` in kova-system labelled
//   identity.kova.io/kind=application-credential (its secret as an scrypt hash, its roles).
// Reads come from informers; writes use the gateway's own identity.
//
// Names are unique per domain. A project's is claimed by creating its namespace (atomic in the
// apiserver: of two concurrent creates one gets AlreadyExists); adopting an existing unlabelled
// namespace is a patch conditioned on its resourceVersion. A user's name is claimed the same way:
// the ConfigMap `kova-username-<hash of the name>` in kova-system, created before the user's Secret
// (a claim left by a crash is taken over once its user is found missing). Application-credential
// names (unique per user) are checked under a per-name lock of this gateway.
import { recheckWrite } from '../recheck.ts';
import { createHash, randomBytes } from 'node:crypto';
import type { KubeClient, KubeObject } from '../../../operator/src/kube/client.ts';
import { isAlreadyExists, isConflict, isNotFound } from '../../../operator/src/kube/client.ts';
import { KeyedLock } from '../../../operator/src/runtime/keyedlock.ts';
import {
  NAMESPACES,
  type Resource,
  collectionPath,
  objectPath,
} from '../../../operator/src/kube/resources.ts';
import { SERVERS } from '../../../operator/src/controllers/server.ts';
import { SERVER_ACTIONS } from '../../../operator/src/controllers/serveraction.ts';
import { SERVER_GROUPS } from '../../../operator/src/controllers/servergroup.ts';
import { PROJECT_QUOTAS } from '../../../operator/src/controllers/projectquota.ts';
import type { Cache, Caches } from '../cache.ts';
import { ROLES, type Role, kubeUserName } from '../context.ts';
import { hashPassword } from './password.ts';
import { TokenSigner } from './tokens.ts';

export const SYSTEM_NAMESPACE = 'kova-system';
export const SECRETS: Resource = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
export const ROLEBINDINGS: Resource = {
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural: 'rolebindings',
  namespaced: true,
};
export const KIND_LABEL = 'identity.kova.io/kind';
export const PROJECT_ID_LABEL = 'identity.kova.io/project-id';
export const ROLE_LABEL = 'identity.kova.io/role';
export const USER_ID_LABEL = 'identity.kova.io/user-id';
export const TOKEN_KEY_SECRET = 'kova-gateway-token-key';
export const CONFIGMAPS: Resource = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
/** Revoked tokens' audit ids, each with the token's expiry (ms), so entries can be dropped after it. */
export const REVOCATIONS_CONFIGMAP = 'kova-revoked-tokens';
export const DEFAULT_DOMAIN = { id: 'default', name: 'Default' } as const;
/** A renamed project's name (its namespace keeps the first one). */
export const NAME_ANNOTATION = 'identity.kova.io/name';
export const DESCRIPTION_ANNOTATION = 'identity.kova.io/description';
/** "false" for a disabled project: no token is issued or accepted for it. */
export const ENABLED_ANNOTATION = 'identity.kova.io/enabled';
/** "true" on a namespace the gateway created for a project (deleted with it; an adopted one stays). */
export const MANAGED_LABEL = 'identity.kova.io/managed';
/**
 * "true" on a project's namespace: deleting the project also deletes its servers and other Kova
 * objects (as `DELETE /v3/projects/{id}?cascade=true`). Only a cluster admin can set it.
 */
export const CASCADE_ANNOTATION = 'identity.kova.io/delete-servers';
export const APPCRED_PREFIX = 'kova-appcred-';
/** The ConfigMap that claims a user name: its name is a hash of the domain and user name. */
export const nameClaim = (name: string, domainId: string = DEFAULT_DOMAIN.id): string =>
  'kova-username-' + createHash('sha256').update(`${domainId}/${name}`).digest('hex').slice(0, 40);
/** How long a claim whose user does not exist is taken to be a create in progress. */
const CLAIM_GRACE_MS = 60_000;

/** A name already taken (Keystone's 409). */
export class NameConflict extends Error {}

export interface User {
  id: string;
  name: string;
  domainId: string;
  enabled: boolean;
  passwordHash: string;
  defaultProjectId?: string;
  description?: string;
  email?: string;
  /** Tokens issued before this (ms) are invalid: set by a password change or a disable. */
  tokensValidAfter: number;
}

export interface Project {
  id: string;
  name: string;
  namespace: string;
  domainId: string;
  description: string;
  enabled: boolean;
  /** The gateway created the namespace (it goes with the project). */
  managed: boolean;
  /** The namespace carries CASCADE_ANNOTATION. */
  cascade: boolean;
}

export interface UserChange {
  name?: string;
  password?: string;
  enabled?: boolean;
  defaultProjectId?: string | null;
  description?: string | null;
  email?: string | null;
}

export interface ApplicationCredential {
  id: string;
  name: string;
  userId: string;
  projectId: string;
  description: string;
  /** The roles it carries (a subset of the user's on the project when created). */
  roles: Role[];
  /** ms since the epoch, or null: never. */
  expiresAt: number | null;
  unrestricted: boolean;
  secretHash: string;
}

/** Keystone ids: 32 lower-case hex digits. */
export const newId = (): string => randomBytes(16).toString('hex');

/** A role's id: stable across gateways and restarts. */
export const roleId = (role: Role): string => createHash('md5').update(`kova-role:${role}`).digest('hex');

/** Keystone's implied-role rules (prior ⇒ implied), its defaults: admin ⇒ member ⇒ reader. */
export const ROLE_INFERENCES: readonly (readonly [Role, Role])[] = [
  ['admin', 'member'],
  ['member', 'reader'],
];

/** The roles a role implies directly. */
export const impliedBy = (prior: Role): Role[] =>
  ROLE_INFERENCES.filter(([p]) => p === prior).map(([, implied]) => implied);

/** The assigned roles and every role they imply, transitively, in ROLES order. */
export function effectiveRoles(assigned: Iterable<Role>): Role[] {
  const set = new Set(assigned);
  const queue = [...set];
  for (let r = queue.shift(); r !== undefined; r = queue.shift()) {
    for (const implied of impliedBy(r)) {
      if (!set.has(implied)) {
        set.add(implied);
        queue.push(implied);
      }
    }
  }
  return ROLES.filter((r) => set.has(r));
}

interface Secret extends KubeObject {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  type?: string;
}
interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}
interface RoleBinding extends KubeObject {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: { apiGroup?: string; kind: string; name: string; namespace?: string }[];
}

const b64 = (s: string | undefined): string => (s === undefined ? '' : Buffer.from(s, 'base64').toString());

const optional = (s: string): string | undefined => (s === '' ? undefined : s);

export function userOf(s: Secret): User {
  return {
    id: b64(s.data?.id),
    name: b64(s.data?.name),
    domainId: b64(s.data?.domain_id) || DEFAULT_DOMAIN.id,
    enabled: b64(s.data?.enabled) !== 'false',
    passwordHash: b64(s.data?.password),
    defaultProjectId: optional(b64(s.data?.default_project_id)),
    description: optional(b64(s.data?.description)),
    email: optional(b64(s.data?.email)),
    tokensValidAfter: Number(b64(s.data?.tokens_valid_after)) || 0,
  };
}

export function projectOf(ns: KubeObject): Project {
  const a = ns.metadata.annotations ?? {};
  return {
    id: ns.metadata.labels?.[PROJECT_ID_LABEL] ?? '',
    name: a[NAME_ANNOTATION] || (ns.metadata.name ?? ''),
    namespace: ns.metadata.name ?? '',
    domainId: DEFAULT_DOMAIN.id,
    description: a[DESCRIPTION_ANNOTATION] ?? '',
    enabled: a[ENABLED_ANNOTATION] !== 'false',
    managed: ns.metadata.labels?.[MANAGED_LABEL] === 'true',
    cascade: a[CASCADE_ANNOTATION] === 'true',
  };
}

export function appCredOf(s: Secret): ApplicationCredential {
  const expires = b64(s.data?.expires_at);
  let roles: Role[] = [];
  try {
    roles = (JSON.parse(b64(s.data?.roles) || '[]') as string[]).filter((r): r is Role =>
      ROLES.includes(r as Role),
    );
  } catch {
    // a hand-edited Secret with bad JSON: no roles, so no token
  }
  return {
    id: b64(s.data?.id),
    name: b64(s.data?.name),
    userId: b64(s.data?.user_id),
    projectId: b64(s.data?.project_id),
    description: b64(s.data?.description),
    roles,
    expiresAt: expires ? Date.parse(expires) : null,
    unrestricted: b64(s.data?.unrestricted) === 'true',
    secretHash: b64(s.data?.secret),
  };
}

/** Keystone's string to boolean for query filters (`?enabled=false`). */
export function queryBool(v: string): boolean {
  return !['0', 'false', 'f', 'n', 'no', 'off'].includes(v.toLowerCase());
}

export class IdentityStore {
  private readonly client: KubeClient;
  private users!: Cache<Secret>;
  private projects!: Cache<KubeObject>;
  private bindings!: Cache<RoleBinding>;
  private revocations!: Cache<ConfigMap>;
  private appCreds!: Cache<Secret>;
  /** Projects and RoleBindings indexed for token validation; dropped on any change of the caches. */
  private projectIndex?: { list: Project[]; byId: Map<string, Project> };
  private bindingIndex?: Map<string, RoleBinding[]>;
  /** Serialises the check-then-create of user and application-credential names. */
  private readonly names = new KeyedLock();
  signer!: TokenSigner;

  constructor(client: KubeClient) {
    this.client = client;
  }

  async start(caches: Caches): Promise<void> {
    await this.ensureNamespace(SYSTEM_NAMESPACE, {});
    [this.users, this.projects, this.bindings, this.revocations, this.appCreds] = await Promise.all([
      caches.get<Secret>(SECRETS, { namespace: SYSTEM_NAMESPACE, labelSelector: `${KIND_LABEL}=user` }),
      caches.get<KubeObject>(NAMESPACES, { labelSelector: PROJECT_ID_LABEL }),
      caches.get<RoleBinding>(ROLEBINDINGS, { labelSelector: ROLE_LABEL }),
      caches.get<ConfigMap>(CONFIGMAPS, {
        namespace: SYSTEM_NAMESPACE,
        labelSelector: `${KIND_LABEL}=revocations`,
      }),
      caches.get<Secret>(SECRETS, {
        namespace: SYSTEM_NAMESPACE,
        labelSelector: `${KIND_LABEL}=application-credential`,
      }),
    ]);
    const dropProjects = () => (this.projectIndex = undefined);
    const dropBindings = () => (this.bindingIndex = undefined);
    this.projects.informer.addHandler({ add: dropProjects, update: dropProjects, delete: dropProjects });
    this.bindings.informer.addHandler({ add: dropBindings, update: dropBindings, delete: dropBindings });
    this.signer = new TokenSigner(await this.tokenKey());
  }

  private projectsIndexed(): { list: Project[]; byId: Map<string, Project> } {
    if (!this.projectIndex) {
      const list = this.projects
        .list()
        .filter((ns) => !ns.metadata.deletionTimestamp)
        .map(projectOf);
      this.projectIndex = { list, byId: new Map(list.map((p) => [p.id, p])) };
    }
    return this.projectIndex;
  }

  /** The role RoleBindings of a namespace. */
  private bindingsIn(namespace: string): RoleBinding[] {
    if (!this.bindingIndex) {
      const index = new Map<string, RoleBinding[]>();
      for (const b of this.bindings.list()) {
        const ns = b.metadata.namespace ?? '';
        index.set(ns, [...(index.get(ns) ?? []), b]);
      }
      this.bindingIndex = index;
    }
    return this.bindingIndex.get(namespace) ?? [];
  }

  /** The shared token key: created by the first gateway, read by every other. */
  private async tokenKey(): Promise<Buffer> {
    const path = objectPath(SECRETS, TOKEN_KEY_SECRET, SYSTEM_NAMESPACE);
    try {
      await this.client.create(collectionPath(SECRETS, SYSTEM_NAMESPACE), {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: TOKEN_KEY_SECRET, namespace: SYSTEM_NAMESPACE },
        data: { key: randomBytes(32).toString('base64') },
      } as Secret);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    const secret = await this.client.get<Secret>(path);
    return Buffer.from(secret.data?.key ?? '', 'base64');
  }

  private async ensureNamespace(name: string, labels: Record<string, string>): Promise<KubeObject> {
    try {
      return await this.client.create<KubeObject>(collectionPath(NAMESPACES), {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels },
      } as KubeObject);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      return this.client.get<KubeObject>(objectPath(NAMESPACES, name));
    }
  }

  userById(id: string): User | undefined {
    const s = this.users.get(`${SYSTEM_NAMESPACE}/kova-user-${id}`);
    return s ? userOf(s) : undefined;
  }

  userByName(name: string, domainId: string = DEFAULT_DOMAIN.id): User | undefined {
    return this.listUsers().find((u) => u.name === name && u.domainId === domainId);
  }

  listUsers(): User[] {
    return this.users.list().map(userOf);
  }

  projectById(id: string): Project | undefined {
    return this.projectsIndexed().byId.get(id);
  }

  /**
   * The project called name, or whose namespace is name (they differ only for a renamed project;
   * no two projects share either, see createProject and renames in updateProject).
   */
  projectByName(name: string): Project | undefined {
    const ns = this.projects.get(name); // the usual case, without a scan: named as its namespace
    if (ns && !ns.metadata.deletionTimestamp && !ns.metadata.annotations?.[NAME_ANNOTATION]) {
      return projectOf(ns);
    }
    const projects = this.listProjects();
    return projects.find((p) => p.name === name) ?? projects.find((p) => p.namespace === name);
  }

  /** Projects, without namespaces being deleted. */
  listProjects(): Project[] {
    return [...this.projectsIndexed().list];
  }

  /** The user's effective roles on the project (none: no access). */
  rolesOf(userId: string, project: Project): Role[] {
    const assigned = this.bindingsIn(project.namespace)
      .filter((b) => b.metadata.labels?.[USER_ID_LABEL] === userId)
      .map((b) => b.metadata.labels?.[ROLE_LABEL] as Role)
      .filter((r) => ROLES.includes(r));
    return effectiveRoles(assigned);
  }

  /** Projects where the user holds a role. */
  projectsOf(userId: string): Project[] {
    const namespaces = new Set(
      this.bindings
        .list()
        .filter((b) => b.metadata.labels?.[USER_ID_LABEL] === userId)
        .map((b) => b.metadata.namespace),
    );
    return this.listProjects().filter((p) => namespaces.has(p.namespace));
  }

  async createUser(input: {
    name: string;
    password: string;
    id?: string;
    enabled?: boolean;
    defaultProjectId?: string;
    description?: string;
    email?: string;
  }): Promise<User> {
    return this.names.run(`user:${input.name}`, async () => {
      if (this.userByName(input.name)) throw new NameConflict(input.name);
      const id = input.id ?? newId();
      await this.claimUserName(input.name, id);
      const stringData: Record<string, string> = {
        id,
        name: input.name,
        domain_id: DEFAULT_DOMAIN.id,
        enabled: String(input.enabled ?? true),
        password: await hashPassword(input.password),
      };
      if (input.defaultProjectId) stringData.default_project_id = input.defaultProjectId;
      if (input.description) stringData.description = input.description;
      if (input.email) stringData.email = input.email;
      let created: Secret;
      try {
        created = await this.client.create<Secret>(collectionPath(SECRETS, SYSTEM_NAMESPACE), {
          apiVersion: 'v1',
          kind: 'Secret',
          type: 'Opaque',
          metadata: {
            name: `kova-user-${id}`,
            namespace: SYSTEM_NAMESPACE,
            labels: { [KIND_LABEL]: 'user', [USER_ID_LABEL]: id },
          },
          stringData,
        });
      } catch (e) {
        await this.releaseUserName(input.name, id);
        throw e;
      }
      await this.users.observe(created);
      return this.userById(id)!;
    });
  }

  /**
   * Claims a user name for userId: creates its ConfigMap, which the apiserver lets only one
   * create do. NameConflict when another user holds it, or another create is under way (a young
   * claim). A claim whose user is gone, or renamed, and no longer young is stale: taken over.
   */
  private async claimUserName(name: string, userId: string): Promise<void> {
    const claim = nameClaim(name);
    const path = objectPath(CONFIGMAPS, claim, SYSTEM_NAMESPACE);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.client.create<ConfigMap>(collectionPath(CONFIGMAPS, SYSTEM_NAMESPACE), {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: claim, namespace: SYSTEM_NAMESPACE, labels: { [KIND_LABEL]: 'user-name' } },
          data: { name, user_id: userId },
        });
        return;
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
      }
      let held: ConfigMap;
      try {
        held = await this.client.get<ConfigMap>(path);
      } catch (e) {
        if (isNotFound(e)) continue; // released meanwhile
        throw e;
      }
      const owner = held.data?.user_id ?? '';
      const age = Date.now() - Date.parse(held.metadata.creationTimestamp ?? '');
      if (age < CLAIM_GRACE_MS || (await this.holdsName(owner, name))) throw new NameConflict(name);
      try {
        await this.client.delete(path, { preconditions: { uid: held.metadata.uid } });
      } catch (e) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
    }
    throw new NameConflict(name);
  }

  /** Whether the user (read from the apiserver) exists and is called name. */
  private async holdsName(userId: string, name: string): Promise<boolean> {
    try {
      const s = await this.client.get<Secret>(objectPath(SECRETS, `kova-user-${userId}`, SYSTEM_NAMESPACE));
      return userOf(s).name === name;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  /** Releases the user's claim on name (if it is theirs). */
  private async releaseUserName(name: string, userId: string): Promise<void> {
    const path = objectPath(CONFIGMAPS, nameClaim(name), SYSTEM_NAMESPACE);
    try {
      const held = await this.client.get<ConfigMap>(path);
      if (held.data?.user_id !== userId) return;
      await this.client.delete(path, { preconditions: { uid: held.metadata.uid } });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  /**
   * A project: a namespace created for it (labelled managed), or an existing unlabelled one adopted.
   * Throws NameConflict when another project has the name, or holds that namespace (also when it
   * wins a concurrent create of the same name).
   */
  async createProject(input: {
    name: string;
    id?: string;
    description?: string;
    enabled?: boolean;
  }): Promise<Project> {
    if (this.projectByName(input.name)) throw new NameConflict(input.name);
    const id = input.id ?? newId();
    const annotations: Record<string, string> = {};
    if (input.description) annotations[DESCRIPTION_ANNOTATION] = input.description;
    if (input.enabled === false) annotations[ENABLED_ANNOTATION] = 'false';
    let ns: KubeObject;
    try {
      ns = await this.client.create<KubeObject>(collectionPath(NAMESPACES), {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: input.name,
          labels: { [PROJECT_ID_LABEL]: id, [MANAGED_LABEL]: 'true' },
          annotations,
        },
      } as KubeObject);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const existing = await this.client.get<KubeObject>(objectPath(NAMESPACES, input.name));
      if (existing.metadata.labels?.[PROJECT_ID_LABEL] || existing.metadata.deletionTimestamp) {
        throw new NameConflict(input.name);
      }
      try {
        // Conditioned on the resourceVersion read: of two adopters, one gets 409.
        ns = await this.client.patch<KubeObject>(objectPath(NAMESPACES, input.name), {
          metadata: {
            resourceVersion: existing.metadata.resourceVersion,
            labels: { [PROJECT_ID_LABEL]: id },
            annotations,
          },
        });
      } catch (err) {
        if (isConflict(err)) throw new NameConflict(input.name);
        throw err;
      }
    }
    await this.projects.observe(ns);
    return this.projectById(id)!;
  }

  /** Renames, describes, enables or disables a project (annotations of its namespace). */
  async updateProject(
    project: Project,
    change: { name?: string; description?: string | null; enabled?: boolean },
  ): Promise<Project> {
    const annotations: Record<string, string | null> = {};
    if (change.name !== undefined) {
      const other = this.projectByName(change.name);
      if (other && other.id !== project.id) throw new NameConflict(change.name);
      annotations[NAME_ANNOTATION] = change.name === project.namespace ? null : change.name;
    }
    if (change.description !== undefined) annotations[DESCRIPTION_ANNOTATION] = change.description || null;
    if (change.enabled !== undefined) annotations[ENABLED_ANNOTATION] = change.enabled ? null : 'false';
    const ns = await this.client.patch<KubeObject>(objectPath(NAMESPACES, project.namespace), {
      metadata: { annotations },
    });
    await this.projects.observe(ns);
    return this.projectById(project.id)!;
  }

  /** The project's servers that are not being deleted (read from the apiserver, not a cache). */
  async serversOf(project: Project): Promise<KubeObject[]> {
    const list = await this.client.list<KubeObject>(collectionPath(SERVERS, project.namespace));
    return list.items.filter((s) => !s.metadata.deletionTimestamp);
  }

  /** Grants role on project to the user: the RoleBinding to ClusterRole kova:<role>. */
  async assignRole(userId: string, project: Project, role: Role): Promise<void> {
    const user = this.userById(userId);
    let rb: RoleBinding;
    try {
      rb = await this.client.create<RoleBinding>(collectionPath(ROLEBINDINGS, project.namespace), {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: {
          name: `kova-${role}-${userId}`,
          namespace: project.namespace,
          labels: { [ROLE_LABEL]: role, [USER_ID_LABEL]: userId },
          annotations: { 'identity.kova.io/user-name': user?.name ?? '' },
        },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `kova:${role}` },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: kubeUserName(userId) }],
      });
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      return;
    }
    await this.bindings.observe(rb);
  }

  /**
   * Revokes role on project from the user (deletes the RoleBinding); false if it was not assigned.
   * As Keystone, the user's application credentials for the project go with it.
   */
  async revokeRole(userId: string, project: Project, role: Role): Promise<boolean> {
    const name = `kova-${role}-${userId}`;
    const rb = this.bindings.get(`${project.namespace}/${name}`);
    if (!rb) return false;
    await this.deleteObject(this.bindings, ROLEBINDINGS, project.namespace, name);
    for (const c of this.listAppCreds().filter((x) => x.userId === userId && x.projectId === project.id)) {
      await this.deleteAppCred(c.id);
    }
    return true;
  }

  /** Deletes an object (already gone is fine) and waits until the cache has seen it go. */
  private async deleteObject(
    cache: Cache<KubeObject> | Cache<Secret> | Cache<RoleBinding>,
    resource: Resource,
    namespace: string,
    name: string,
  ): Promise<void> {
    const key = `${namespace}/${name}`;
    const uid = cache.get(key)?.metadata.uid;
    try {
      await this.client.delete(objectPath(resource, name, namespace));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    await cache.observeDeleted(key, uid);
  }

  /** Whether the user holds exactly this role (not an implied one) on the project. */
  hasAssignment(userId: string, project: Project, role: Role): boolean {
    return this.bindings.get(`${project.namespace}/kova-${role}-${userId}`) !== undefined;
  }

  /** Role assignments as (user, project, role), for Keystone's role_assignments. */
  assignments(): { userId: string; project: Project; role: Role }[] {
    const byNamespace = new Map(this.listProjects().map((p) => [p.namespace, p]));
    return this.bindings.list().flatMap((b) => {
      const project = byNamespace.get(b.metadata.namespace ?? '');
      const userId = b.metadata.labels?.[USER_ID_LABEL];
      const role = b.metadata.labels?.[ROLE_LABEL] as Role;
      return project && userId && ROLES.includes(role) ? [{ userId, project, role }] : [];
    });
  }

  /** Deletes the user, their role assignments and application credentials. */
  async deleteUser(userId: string): Promise<void> {
    for (const a of this.assignments().filter((x) => x.userId === userId)) {
      await this.revokeRole(userId, a.project, a.role);
    }
    for (const c of this.listAppCreds().filter((x) => x.userId === userId)) await this.deleteAppCred(c.id);
    const name = this.userById(userId)?.name;
    await this.deleteObject(this.users, SECRETS, SYSTEM_NAMESPACE, `kova-user-${userId}`);
    if (name !== undefined) await this.releaseUserName(name, userId);
  }

  /**
   * Changes a user (a merge patch of the Secret). A new password or a disable invalidates every
   * token issued so far (Keystone's revocation event for the user): tokens_valid_after = now.
   */
  async updateUser(userId: string, change: UserChange, now: number): Promise<User> {
    const run = async (): Promise<User> => {
      const stringData: Record<string, string> = {};
      const data: Record<string, null> = {};
      const oldName = this.userById(userId)?.name;
      const renamed = change.name !== undefined && change.name !== oldName;
      if (change.name !== undefined && renamed) {
        const other = this.userByName(change.name);
        if (other && other.id !== userId) throw new NameConflict(change.name);
        await this.claimUserName(change.name, userId);
        stringData.name = change.name;
      }
      if (change.password !== undefined) stringData.password = await hashPassword(change.password);
      if (change.enabled !== undefined) stringData.enabled = String(change.enabled);
      if (change.password !== undefined || change.enabled === false) {
        stringData.tokens_valid_after = String(now);
      }
      const optionals = [
        ['default_project_id', change.defaultProjectId],
        ['description', change.description],
        ['email', change.email],
      ] as const;
      for (const [key, value] of optionals) {
        if (value === null || value === '') data[key] = null;
        else if (value !== undefined) stringData[key] = value;
      }
      let updated: Secret;
      try {
        updated = await this.client.patch<Secret>(
          objectPath(SECRETS, `kova-user-${userId}`, SYSTEM_NAMESPACE),
          { data, stringData },
        );
      } catch (e) {
        if (renamed) await this.releaseUserName(change.name!, userId);
        throw e;
      }
      await this.users.observe(updated);
      if (renamed && oldName !== undefined) await this.releaseUserName(oldName, userId);
      // Keystone deletes a disabled user's application credentials, as a deleted one's.
      if (change.enabled === false) {
        for (const c of this.listAppCreds().filter((x) => x.userId === userId))
          await this.deleteAppCred(c.id);
      }
      return this.userById(userId)!;
    };
    return change.name === undefined ? run() : this.names.run(`user:${change.name}`, run);
  }

  /**
   * Deletes a project. Its application credentials and role assignments go first, then the
   * namespace: deleted if the gateway created it (Kubernetes then deletes what it holds), else
   * only its project label and annotations are removed. With cascade (an admin's choice), its
   * Kova objects are deleted first through `client` (the admin's own, impersonated): servers
   * (the operator destroys their guests), server groups, actions and the quota. The namespace
   * goes last, so a crash midway leaves the project listed and the delete can be retried.
   */
  async deleteProject(project: Project, cascade?: KubeClient): Promise<void> {
    if (cascade) {
      for (const resource of [SERVERS, SERVER_GROUPS, SERVER_ACTIONS, PROJECT_QUOTAS]) {
        await cascade.delete(collectionPath(resource, project.namespace));
      }
    }
    for (const c of this.listAppCreds().filter((x) => x.projectId === project.id)) {
      await this.deleteAppCred(c.id);
    }
    for (const a of this.assignments().filter((x) => x.project.id === project.id)) {
      await this.revokeRole(a.userId, project, a.role);
    }
    // Keystone's callback: users whose default project this was no longer have one.
    for (const u of this.listUsers().filter((x) => x.defaultProjectId === project.id)) {
      await this.updateUser(u.id, { defaultProjectId: null }, Date.now());
    }
    if (project.managed) {
      try {
        await this.client.delete(objectPath(NAMESPACES, project.namespace));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      // The informer sees the deletionTimestamp (then the removal): listProjects skips it.
      await this.projects.waitUntil(() => this.projectById(project.id) === undefined);
      return;
    }
    await this.client.patch(objectPath(NAMESPACES, project.namespace), {
      metadata: {
        labels: { [PROJECT_ID_LABEL]: null },
        annotations: {
          [NAME_ANNOTATION]: null,
          [DESCRIPTION_ANNOTATION]: null,
          [ENABLED_ANNOTATION]: null,
          [CASCADE_ANNOTATION]: null,
        },
      },
    });
    await this.projects.observeDeleted(project.namespace); // it leaves the informer's label selection
  }

  appCredById(id: string): ApplicationCredential | undefined {
    const s = this.appCreds.get(`${SYSTEM_NAMESPACE}/${APPCRED_PREFIX}${id}`);
    return s ? appCredOf(s) : undefined;
  }

  listAppCreds(): ApplicationCredential[] {
    return this.appCreds.list().map(appCredOf);
  }

  /**
   * Stores an application credential (its secret hashed); NameConflict if the user has the name.
   * The in-process lock answers this replica's races; the recheck as of the create's revision
   * (recheck.ts) answers those between replicas: of two creates of one name, the later is undone.
   */
  async createAppCred(input: Omit<ApplicationCredential, 'id' | 'secretHash'> & { secret: string }) {
    return this.names.run(`appcred:${input.userId}:${input.name}`, async () => {
      if (this.listAppCreds().some((c) => c.userId === input.userId && c.name === input.name)) {
        throw new NameConflict(input.name);
      }
      const id = newId();
      const created = await this.client.create<Secret>(collectionPath(SECRETS, SYSTEM_NAMESPACE), {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: {
          name: `${APPCRED_PREFIX}${id}`,
          namespace: SYSTEM_NAMESPACE,
          labels: {
            [KIND_LABEL]: 'application-credential',
            [USER_ID_LABEL]: input.userId,
            [PROJECT_ID_LABEL]: input.projectId,
          },
        },
        stringData: {
          id,
          name: input.name,
          user_id: input.userId,
          project_id: input.projectId,
          description: input.description,
          roles: JSON.stringify(input.roles),
          expires_at: input.expiresAt === null ? '' : new Date(input.expiresAt).toISOString(),
          unrestricted: String(input.unrestricted),
          secret: await hashPassword(input.secret),
        },
      });
      await recheckWrite<Secret>({
        kube: this.client,
        collection: collectionPath(SECRETS, SYSTEM_NAMESPACE),
        labelSelector: `${KIND_LABEL}=application-credential,${USER_ID_LABEL}=${input.userId}`,
        written: [created],
        refuse: (asCreated) =>
          asCreated.some((o) => o.metadata.uid !== created.metadata.uid && appCredOf(o).name === input.name)
            ? new NameConflict(input.name)
            : undefined,
        undo: () => this.deleteAppCred(id),
      });
      await this.appCreds.observe(created);
      return this.appCredById(id)!;
    });
  }

  async deleteAppCred(id: string): Promise<void> {
    await this.deleteObject(this.appCreds, SECRETS, SYSTEM_NAMESPACE, `${APPCRED_PREFIX}${id}`);
  }

  /** Whether a token with this audit id was revoked. */
  isRevoked(auditId: string): boolean {
    return (
      this.revocations.get(`${SYSTEM_NAMESPACE}/${REVOCATIONS_CONFIGMAP}`)?.data?.[auditId] !== undefined
    );
  }

  /**
   * Revokes a token by its audit id (Keystone's revocation event), recorded in the ConfigMap
   * kova-revoked-tokens until the token would have expired anyway; expired entries are dropped.
   */
  async revoke(auditId: string, expiresAt: number, now: number): Promise<void> {
    const path = objectPath(CONFIGMAPS, REVOCATIONS_CONFIGMAP, SYSTEM_NAMESPACE);
    const current = this.revocations.get(`${SYSTEM_NAMESPACE}/${REVOCATIONS_CONFIGMAP}`);
    const expired = Object.entries(current?.data ?? {})
      .filter(([, exp]) => Number(exp) <= now)
      .map(([id]) => [id, null]);
    const data = { ...Object.fromEntries(expired), [auditId]: String(expiresAt) };
    let written: ConfigMap;
    try {
      written = await this.client.patch<ConfigMap>(path, { data });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      try {
        written = await this.client.create<ConfigMap>(collectionPath(CONFIGMAPS, SYSTEM_NAMESPACE), {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: REVOCATIONS_CONFIGMAP,
            namespace: SYSTEM_NAMESPACE,
            labels: { [KIND_LABEL]: 'revocations' },
          },
          data: { [auditId]: String(expiresAt) },
        });
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        written = await this.client.patch<ConfigMap>(path, { data }); // another gateway created it meanwhile
      }
    }
    await this.revocations.observe(written);
  }
}
