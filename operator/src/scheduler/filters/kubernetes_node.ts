// The Kubernetes node behind a host must take new work, as kube-scheduler's NodeReady,
// NodeUnschedulable and TaintToleration plugins decide: Ready, not cordoned, and every
// NoSchedule/NoExecute taint tolerated by the server (spec.tolerations).
import type { Filter, Taint, Toleration } from '../framework.ts';

export const NAME = 'KubernetesNodeFilter';
export const REASON_NOT_READY = 'node is not Ready';
export const REASON_UNSCHEDULABLE = 'node is cordoned (unschedulable)';
export const REASON_TAINT = 'node has a taint the server does not tolerate';

/** Kubernetes' toleration matching (k8s.io/api/core/v1 Toleration.ToleratesTaint). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false;
  return t.operator === 'Exists' || (t.value ?? '') === (taint.value ?? '');
}

export function create(): Filter {
  return {
    name: NAME,
    hostPasses(host, spec) {
      if (!host.node.ready) return REASON_NOT_READY;
      if (host.node.unschedulable) return REASON_UNSCHEDULABLE;
      const blocking = host.node.taints.filter((t) => t.effect !== 'PreferNoSchedule');
      if (blocking.some((taint) => !spec.tolerations.some((t) => tolerates(t, taint)))) return REASON_TAINT;
      return undefined;
    },
  };
}
