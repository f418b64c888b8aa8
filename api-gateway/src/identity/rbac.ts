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

const RBAC = 'rbac.authorization.k8s.io';
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete'];
const PROJECT_KINDS = ['servers', 'servergroups', 'serveractions'];

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
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

function pathOf(m: Manifest): string {
  const [group, version] = m.apiVersion.split('/');
  const kind = m.kind.toLowerCase();
  const plural = kind.endsWith('y') ? kind.slice(0, -1) + 'ies' : kind + 's';
  return `/apis/${group}/${version}/${plural}/${encodeURIComponent(m.metadata.name)}`;
}

/** Applies the ClusterRoles, bindings and admission policy (server-side apply, idempotent). */
export async function ensureRbac(client: KubeClient): Promise<void> {
  for (const m of RBAC_MANIFESTS) {
    await client.patch(pathOf(m), m, 'apply', { fieldManager: 'kova-gateway', force: true });
  }
}
