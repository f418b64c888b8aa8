// The gateway's own rights on Images: a project member's Glance writes (create, update, delete,
// the status transitions of upload and import) are made with the gateway's identity once Glance's
// owner policy allows them (writes.ts: an Image is cluster-scoped and its owner is a field RBAC
// cannot check). Rendered into the chart (hack/chart-rbac.ts) next to gateway-rbac.yaml.
import { GROUP } from '../../../operator/src/api/kind.ts';
import type { GatewaySubject, Manifest } from '../identity/rbac.ts';

const RBAC = 'rbac.authorization.k8s.io';
const NAME = 'kova:gateway-images';
const LABELS = { 'app.kubernetes.io/part-of': 'kova', 'app.kubernetes.io/component': 'gateway' };

export function imageWriterRbac(subject: GatewaySubject): Manifest[] {
  return [
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'ClusterRole',
      metadata: { name: NAME, labels: LABELS },
      rules: [
        { apiGroups: [GROUP], resources: ['images'], verbs: ['create', 'update', 'patch', 'delete'] },
        { apiGroups: [GROUP], resources: ['images/status'], verbs: ['get', 'update', 'patch'] },
      ],
    },
    {
      apiVersion: `${RBAC}/v1`,
      kind: 'ClusterRoleBinding',
      metadata: { name: NAME, labels: LABELS },
      roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: NAME },
      subjects: [
        subject.kind === 'ServiceAccount'
          ? { kind: 'ServiceAccount', name: subject.name, namespace: subject.namespace }
          : { apiGroup: RBAC, kind: 'User', name: subject.name },
      ],
    },
  ];
}
