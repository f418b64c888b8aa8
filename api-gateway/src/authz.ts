// Kubernetes RBAC for reads served from the gateway's caches: before a route hands a user data
// from an informer, it asks the apiserver (SubjectAccessReview) whether that user may `verb` the
// resource in that namespace. Answers are cached briefly (default 10 s), so a burst of reads costs
// one review; a RoleBinding change is honoured within that time.
import type { KubeClient } from '../../operator/src/kube/client.ts';
import type { Resource } from '../../operator/src/kube/resources.ts';
import type { Clock } from '../../operator/src/runtime/clock.ts';
import { realClock } from '../../operator/src/runtime/clock.ts';

export interface KubeIdentity {
  /** The Kubernetes user name the gateway impersonates. */
  user: string;
  groups: string[];
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

const SAR_PATH = '/apis/authorization.k8s.io/v1/subjectaccessreviews';

export class Authorizer {
  private readonly client: KubeClient;
  private readonly ttlMs: number;
  private readonly clock: Clock;
  private readonly answers = new Map<string, { allowed: boolean; until: number }>();
  /** SubjectAccessReviews sent (tests and metrics). */
  reviews = 0;

  constructor(client: KubeClient, options: { ttlMs?: number; clock?: Clock } = {}) {
    this.client = client;
    this.ttlMs = options.ttlMs ?? 10_000;
    this.clock = options.clock ?? realClock;
  }

  /** Whether the identity may `verb` the resource (in namespace, for namespaced ones). */
  async allowed(who: KubeIdentity, verb: Verb, resource: Resource, namespace?: string): Promise<boolean> {
    const ns = resource.namespaced ? (namespace ?? '') : '';
    const key = [who.user, who.groups.join(','), verb, resource.group, resource.plural, ns].join('|');
    const now = this.clock.now();
    const cached = this.answers.get(key);
    if (cached && cached.until > now) return cached.allowed;
    this.reviews++;
    const review = await this.client.create<{ status?: { allowed?: boolean } }>(SAR_PATH, {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user: who.user,
        groups: who.groups,
        resourceAttributes: {
          verb,
          group: resource.group,
          version: resource.version,
          resource: resource.plural,
          ...(ns ? { namespace: ns } : {}),
        },
      },
    } as never);
    const allowed = review.status?.allowed === true;
    if (this.answers.size > 10_000) this.answers.clear(); // bounded; entries are cheap to re-ask
    this.answers.set(key, { allowed, until: now + this.ttlMs });
    return allowed;
  }

  /** Forgets every cached answer (after the gateway changed role assignments). */
  clear(): void {
    this.answers.clear();
  }
}
