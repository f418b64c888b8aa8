// Kova's Kubernetes RBAC, which is the last word on tenancy: the gateway impersonates each user as
// `kova:<user id>` in group kova:users (or kova:admins when the token carries the admin role), and
// - kova:reader / kova:member / kova:admin are ClusterRoles bound per project namespace by the
//   role assignments (RoleBindings, see store.ts): read, or also write, the project's servers,
//   server groups, actions and quota;
// - kova:user (bound to both groups) reads flavors and images, and manages keypairs; the
//   ValidatingAdmissionPolicy kova-keypair-owner lets a non-admin write only their own keypairs
//   (a keypair is cluster-scoped and owned by spec.user, which RBAC alone cannot express);
// - kova:cloud-admin (bound to kova:admins) manages every compute.kova.io object.
// The gateway applies these at start (server-side apply); a chart may ship the same objects.
import type { KubeClient } from '../../../operator/src/kube/client.ts';
import { GROUP } from '../../../operator/src/api/kind.ts';
import { USERS_GROUP, ADMINS_GROUP } from '../context.ts';
import { SYSTEM_NAMESPACE } from './store.ts';

const RBAC = 'rbac.authorization.k8s.io';
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete'];
const PROJECT_KINDS = ['servers', 'servergroups', 'serveractions'];

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
}

const LABELS = { 'app.kubernetes.io/part-of': 'kova', 'app.kubernetes.io/component': 'gateway' };

function clusterRole(name: string, rules: object[]): Manifest {
  return { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name, labels: LABELS }, rules };
}

function groupBinding(role: string, group: string): Manifest {
  return {
    apiVersion: `${RBAC}/v1`,
    kind: 'ClusterRoleBinding',
    metadata: { name: `${role}:${group.replace(/^kova:/, '')}`, labels: LABELS },
    roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
    subjects: [{ apiGroup: RBAC, kind: 'Group', name: group }],
  };
}

export const RBAC_MANIFESTS: Manifest[] = [
  clusterRole('kova:reader', [
    { apiGroups: [GROUP], resources: [...PROJECT_KINDS, 'projectquotas'], verbs: READ },
  ]),
  clusterRole('kova:member', [
    { apiGroups: [GROUP], resources: [...PROJECT_KINDS, 'projectquotas'], verbs: READ },
    { apiGroups: [GROUP], resources: PROJECT_KINDS, verbs: WRITE },
  ]),
  clusterRole('kova:admin', [{ apiGroups: [GROUP], resources: ['*'], verbs: ['*'] }]),
  clusterRole('kova:user', [
    { apiGroups: [GROUP], resources: ['flavors', 'images'], verbs: READ },
    { apiGroups: [GROUP], resources: ['keypairs'], verbs: [...READ, 'create', 'delete'] },
  ]),
  clusterRole('kova:cloud-admin', [
    { apiGroups: [GROUP], resources: ['*'], verbs: ['*'] },
    { apiGroups: [''], resources: ['namespaces'], verbs: READ },
  ]),
  groupBinding('kova:user', USERS_GROUP),
  groupBinding('kova:user', ADMINS_GROUP),
  groupBinding('kova:cloud-admin', ADMINS_GROUP),
  {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: 'kova-keypair-owner', labels: LABELS },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [GROUP],
            apiVersions: ['*'],
            operations: ['CREATE', 'UPDATE', 'DELETE'],
            resources: ['keypairs'],
          },
        ],
      },
      matchConditions: [{ name: 'kova-user', expression: `'${USERS_GROUP}' in request.userInfo.groups` }],
      validations: [
        {
          expression:
            "(request.operation == 'DELETE' ? oldObject : object).spec.user == request.userInfo.username.substring(5)",
          message: 'a keypair can only be written by the user who owns it',
          reason: 'Forbidden',
        },
      ],
    },
  },
  {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: 'kova-keypair-owner', labels: LABELS },
    spec: { policyName: 'kova-keypair-owner', validationActions: ['Deny'] },
  },
];

/** Who the gateway runs as: its ServiceAccount in a cluster, a user in tests. */
export type GatewaySubject =
  { kind: 'ServiceAccount'; name: string; namespace: string } | { kind: 'User'; name: string };

/**
 * The gateway's own rights, and no more: impersonating Kova users (any user, only Kova's two
 * groups), SubjectAccessReviews, reading every Kova kind (its informers), the identity records
 * (user Secrets and the revocation ConfigMap in kova-system, project namespaces, role RoleBindings it may bind to the kova:*
 * project roles). Its writes for users go through impersonation, so it needs no write access to
 * compute.kova.io. Applying RBAC_MANIFESTS itself (without --no-rbac) needs more: cluster-admin,
 * or escalate/bind on ClusterRoles and write access to admission policies.
 */
export function gatewayRbac(subject: GatewaySubject): Manifest[] {
  const subjects = [
    subject.kind === 'ServiceAccount'
      ? { kind: 'ServiceAccount', name: subject.name, namespace: subject.namespace }
      : { apiGroup: RBAC, kind: 'User', name: subject.name },
  ];
  const roleRef = (kind: string, name: string) => ({ apiGroup: RBAC, kind, name });
  return [
    clusterRole('kova:gateway', [
      { apiGroups: [''], resources: ['users'], verbs: ['impersonate'] },
      {
        apiGroups: [''],
        resources: ['groups'],
        verbs: ['impersonate'],
        resourceNames: [USERS_GROUP, ADMINS_GROUP],
      },
      { apiGroups: ['authorization.k8s.io'], resources: ['subjectaccessreviews'], verbs: ['create'] },
      { apiGroups: [GROUP], resources: ['*'], verbs: READ },
      { apiGroups: [''], resources: ['namespaces'], verbs: [...READ, 'create', 'patch', 'delete'] },
      { apiGroups: [RBAC], resources: ['rolebindings'], verbs: [...READ, 'create', 'delete'] },
      {
        apiGroups: [RBAC],
        resources: ['clusterroles'],
        verbs: ['bind'],
        resourceNames: ['kova:admin', 'kova:member', 'kova:reader'],
      },
    ]),
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'kova:gateway', labels: LABELS },
      roleRef: roleRef('ClusterRole', 'kova:gateway'),
      subjects,
    },
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'Role',
      metadata: { name: 'kova:gateway', namespace: SYSTEM_NAMESPACE, labels: LABELS },
      rules: [
        {
          apiGroups: [''],
          resources: ['secrets', 'configmaps'],
          verbs: [...READ, 'create', 'patch', 'delete'],
        },
        // The operator's leader Lease: os-services' nova-scheduler and nova-conductor.
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get'] },
      ],
    },
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'RoleBinding',
      metadata: { name: 'kova:gateway', namespace: SYSTEM_NAMESPACE, labels: LABELS },
      roleRef: roleRef('Role', 'kova:gateway'),
      subjects,
    },
  ];
}

function pathOf(m: Manifest): string {
  const [group, version] = m.apiVersion.split('/');
  const ns = m.metadata.namespace;
  const kind = m.kind.toLowerCase();
  const plural = kind.endsWith('y') ? kind.slice(0, -1) + 'ies' : kind + 's';
  return `/apis/${group}/${version}${ns ? `/namespaces/${ns}` : ''}/${plural}/${encodeURIComponent(m.metadata.name)}`;
}

/** Applies the ClusterRoles, bindings and admission policy (server-side apply, idempotent). */
export async function ensureRbac(client: KubeClient, manifests: Manifest[] = RBAC_MANIFESTS): Promise<void> {
  for (const m of manifests) {
    await client.patch(pathOf(m), m, 'apply', { fieldManager: 'kova-gateway', force: true });
  }
}
