// Status conditions (metav1.Condition), computed on a copy: setCondition returns a new list.

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/**
 * The conditions with `c` set. lastTransitionTime changes only when the status does, as the
 * Kubernetes API conventions ask.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  c: Omit<Condition, 'lastTransitionTime'>,
  nowIso: string,
): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((x) => x.type === c.type);
  const old = i >= 0 ? list[i] : undefined;
  const next: Condition = {
    ...c,
    lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : nowIso,
  };
  if (i >= 0) list[i] = next;
  else list.push(next);
  return list;
}
