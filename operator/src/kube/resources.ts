// REST paths of the resources Kova reads and writes.
import { GROUP, VERSION, type KindDefinition } from '../api/kind.ts';

export interface Resource {
  group: string; // '' for the core group
  version: string;
  plural: string;
  namespaced: boolean;
}

export const kovaResource = (def: Pick<KindDefinition, 'plural' | 'scope'>): Resource => ({
  group: GROUP,
  version: VERSION,
  plural: def.plural,
  namespaced: def.scope === 'Namespaced',
});

export const NODES: Resource = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
export const PODS: Resource = { group: '', version: 'v1', plural: 'pods', namespaced: true };
export const NAMESPACES: Resource = { group: '', version: 'v1', plural: 'namespaces', namespaced: false };
export const EVENTS: Resource = { group: 'events.k8s.io', version: 'v1', plural: 'events', namespaced: true };
export const LEASES: Resource = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespaced: true,
};

/** The collection path: all namespaces when namespace is undefined (or cluster-scoped). */
export function collectionPath(r: Resource, namespace?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return r.namespaced && namespace ? `${base}/namespaces/${namespace}/${r.plural}` : `${base}/${r.plural}`;
}

export function objectPath(r: Resource, name: string, namespace?: string, subresource?: string): string {
  if (r.namespaced && !namespace) throw new Error(`${r.plural}/${name}: a namespace is required`);
  return `${collectionPath(r, namespace)}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
}

/** The work-queue key of an object: namespace/name, or name when cluster-scoped. */
export function keyOf(o: { metadata: { name?: string; namespace?: string } }): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata.name ?? '');
}
