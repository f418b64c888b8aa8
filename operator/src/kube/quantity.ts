// Kubernetes resource quantities ("4", "3500m", "16Gi", "1e3") as numbers, and pod requests
// summed the way the scheduler and kubelet count them.

const BINARY: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

/** The value of a quantity in base units (cores, bytes). */
export function parseQuantity(q: string | number | undefined): number {
  if (q === undefined) return 0;
  if (typeof q === 'number') return q;
  const m = /^([+-]?[0-9.]+)([eE][+-]?[0-9]+)?([a-zA-Z]*)$/.exec(q.trim());
  if (!m) throw new Error(`invalid quantity: ${q}`);
  const [, num, exp, suffix = ''] = m;
  const base = Number(num) * (exp ? 10 ** Number(exp.slice(1)) : 1);
  const scale = BINARY[suffix] ?? DECIMAL[suffix];
  if (scale === undefined) throw new Error(`invalid quantity suffix: ${q}`);
  return base * scale;
}

type ResourceList = Record<string, string | undefined> | undefined;
interface PodSpecLike {
  containers?: { resources?: { requests?: ResourceList } }[];
  initContainers?: { resources?: { requests?: ResourceList }; restartPolicy?: string }[];
  overhead?: ResourceList;
}

/**
 * What a pod requests of resource `name`: the larger of its containers' sum and its largest init
 * container, plus the pod overhead (the formula of the Kubernetes scheduler's resource fit).
 */
export function podRequest(spec: PodSpecLike, name: string): number {
  const sum = (spec.containers ?? []).reduce((t, c) => t + parseQuantity(c.resources?.requests?.[name]), 0);
  const init = Math.max(
    0,
    ...(spec.initContainers ?? []).map((c) => parseQuantity(c.resources?.requests?.[name])),
  );
  return Math.max(sum, init) + parseQuantity(spec.overhead?.[name]);
}
