// Keystone's records, kept in Kubernetes (one domain, "default"):
// - a user is a Secret `kova-user-<id>` in kova-system labelled identity.kova.io/kind=user
//   (data: id, name, password = an scrypt hash, enabled);
// - a project is a Namespace labelled identity.kova.io/project-id=<id>; its name is the project's;
// - a role assignment IS the RoleBinding that grants it: `kova-<role>-<user id>` in the project's
//   namespace, binding the ClusterRole kova:<role> to the user's Kubernetes name, labelled with
//   the role and user id. So the assignment Keystone reports and the access Kubernetes enforces
//   cannot disagree.
// Reads come from informers; writes use the gateway's own identity.
import { createHash, randomBytes } from 'node:crypto';
import type { KubeClient, KubeObject } from '../../../operator/src/kube/client.ts';
import { isAlreadyExists, isNotFound } from '../../../operator/src/kube/client.ts';
import {
  NAMESPACES,
  type Resource,
  collectionPath,
  objectPath,
} from '../../../operator/src/kube/resources.ts';
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

export interface User {
  id: string;
  name: string;
  domainId: string;
  enabled: boolean;
  passwordHash: string;
}

export interface Project {
  id: string;
  name: string;
  namespace: string;
  domainId: string;
  description: string;
  enabled: boolean;
}

/** Keystone ids: 32 lower-case hex digits. */
export const newId = (): string => randomBytes(16).toString('hex');

/** A role's id: stable across gateways and restarts. */
export const roleId = (role: Role): string => createHash('md5').update(`kova-role:${role}`).digest('hex');

/** Keystone's implied roles: admin ⇒ member ⇒ reader. */
export function effectiveRoles(assigned: Iterable<Role>): Role[] {
  const set = new Set(assigned);
  if (set.has('admin')) set.add('member');
  if (set.has('member')) set.add('reader');
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

function userOf(s: Secret): User {
  return {
    id: b64(s.data?.id),
    name: b64(s.data?.name),
    domainId: b64(s.data?.domain_id) || DEFAULT_DOMAIN.id,
    enabled: b64(s.data?.enabled) !== 'false',
    passwordHash: b64(s.data?.password),
  };
}

function projectOf(ns: KubeObject): Project {
  return {
    id: ns.metadata.labels?.[PROJECT_ID_LABEL] ?? '',
    name: ns.metadata.name ?? '',
    namespace: ns.metadata.name ?? '',
    domainId: DEFAULT_DOMAIN.id,
    description: ns.metadata.annotations?.['identity.kova.io/description'] ?? '',
    enabled: true,
  };
}

export class IdentityStore {
  private readonly client: KubeClient;
  private users!: Cache<Secret>;
  private projects!: Cache<KubeObject>;
  private bindings!: Cache<RoleBinding>;
  private revocations!: Cache<ConfigMap>;
  signer!: TokenSigner;

  constructor(client: KubeClient) {
    this.client = client;
  }

  async start(caches: Caches): Promise<void> {
    await this.ensureNamespace(SYSTEM_NAMESPACE, {});
    [this.users, this.projects, this.bindings, this.revocations] = await Promise.all([
      caches.get<Secret>(SECRETS, { namespace: SYSTEM_NAMESPACE, labelSelector: `${KIND_LABEL}=user` }),
      caches.get<KubeObject>(NAMESPACES, { labelSelector: PROJECT_ID_LABEL }),
      caches.get<RoleBinding>(ROLEBINDINGS, { labelSelector: ROLE_LABEL }),
      caches.get<ConfigMap>(CONFIGMAPS, {
        namespace: SYSTEM_NAMESPACE,
        labelSelector: `${KIND_LABEL}=revocations`,
      }),
    ]);
    this.signer = new TokenSigner(await this.tokenKey());
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
    return this.listProjects().find((p) => p.id === id);
  }

  projectByName(name: string): Project | undefined {
    const ns = this.projects.get(name);
    return ns ? projectOf(ns) : undefined;
  }

  listProjects(): Project[] {
    return this.projects.list().map(projectOf);
  }

  /** The user's effective roles on the project (none: no access). */
  rolesOf(userId: string, project: Project): Role[] {
    const assigned = this.bindings
      .list()
      .filter(
        (b) => b.metadata.namespace === project.namespace && b.metadata.labels?.[USER_ID_LABEL] === userId,
      )
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

  async createUser(input: { name: string; password: string; id?: string; enabled?: boolean }): Promise<User> {
    const id = input.id ?? newId();
    const created = await this.client.create<Secret>(collectionPath(SECRETS, SYSTEM_NAMESPACE), {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: `kova-user-${id}`,
        namespace: SYSTEM_NAMESPACE,
        labels: { [KIND_LABEL]: 'user', [USER_ID_LABEL]: id },
      },
      stringData: {
        id,
        name: input.name,
        domain_id: DEFAULT_DOMAIN.id,
        enabled: String(input.enabled ?? true),
        password: await hashPassword(input.password),
      },
    });
    await this.users.observe(created);
    return this.userById(id)!;
  }

  /** A project: a namespace (created, or an existing one adopted) labelled with its id. */
  async createProject(input: { name: string; id?: string; description?: string }): Promise<Project> {
    const id = input.id ?? newId();
    let ns = await this.ensureNamespace(input.name, { [PROJECT_ID_LABEL]: id });
    if (!ns.metadata.labels?.[PROJECT_ID_LABEL]) {
      ns = await this.client.patch<KubeObject>(objectPath(NAMESPACES, input.name), {
        metadata: { labels: { [PROJECT_ID_LABEL]: id } },
      });
    }
    if (input.description) {
      ns = await this.client.patch<KubeObject>(objectPath(NAMESPACES, input.name), {
        metadata: { annotations: { 'identity.kova.io/description': input.description } },
      });
    }
    await this.projects.observe(ns);
    return this.projectByName(input.name)!;
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

  /** Revokes role on project from the user (deletes the RoleBinding); false if it was not assigned. */
  async revokeRole(userId: string, project: Project, role: Role): Promise<boolean> {
    const name = `kova-${role}-${userId}`;
    const rb = this.bindings.get(`${project.namespace}/${name}`);
    if (!rb) return false;
    try {
      await this.client.delete(objectPath(ROLEBINDINGS, name, project.namespace));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    await this.bindings.observeDeleted(`${project.namespace}/${name}`, rb.metadata.uid);
    return true;
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

  /** Deletes the user and their role assignments. */
  async deleteUser(userId: string): Promise<void> {
    for (const a of this.assignments().filter((x) => x.userId === userId)) {
      await this.revokeRole(userId, a.project, a.role);
    }
    const key = `${SYSTEM_NAMESPACE}/kova-user-${userId}`;
    const secret = this.users.get(key);
    try {
      await this.client.delete(objectPath(SECRETS, `kova-user-${userId}`, SYSTEM_NAMESPACE));
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    await this.users.observeDeleted(key, secret?.metadata.uid);
  }

  /** Changes a user's password or enabled flag (a merge patch of the Secret). */
  async updateUser(userId: string, change: { password?: string; enabled?: boolean }): Promise<User> {
    const stringData: Record<string, string> = {};
    if (change.password !== undefined) stringData.password = await hashPassword(change.password);
    if (change.enabled !== undefined) stringData.enabled = String(change.enabled);
    const updated = await this.client.patch<Secret>(
      objectPath(SECRETS, `kova-user-${userId}`, SYSTEM_NAMESPACE),
      {
        stringData,
      },
    );
    await this.users.observe(updated);
    return this.userById(userId)!;
  }

  /**
   * Deletes a project from Keystone's view: its role assignments and its project-id label. The
   * namespace and the servers in it stay (as in Keystone, deleting a project does not delete its
   * Nova servers); an admin removes the namespace when it is empty.
   */
  async deleteProject(project: Project): Promise<void> {
    for (const a of this.assignments().filter((x) => x.project.id === project.id)) {
      await this.revokeRole(a.userId, project, a.role);
    }
    await this.client.patch(objectPath(NAMESPACES, project.namespace), {
      metadata: { labels: { [PROJECT_ID_LABEL]: null } },
    });
    await this.projects.observeDeleted(project.namespace); // it leaves the informer's label selection
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
