// A Kova kind is defined once: its TypeBox spec/status schemas give both the TypeScript types
// used by the controllers and gateway, and the CustomResourceDefinition generated into crds/.
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { KubeObject } from '../kube/client.ts';
import type { Static, TSchema } from 'typebox';
import type { CelRule } from './schema.ts';

export const GROUP = 'compute.kova.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
/** `kubectl get kova` lists every Kova kind. */
export const CATEGORY = 'kova';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  /** 0 shows in `kubectl get`; higher only with `-o wide`. */
  priority?: number;
}

export interface KindDefinition<Spec extends TSchema = TSchema, Status extends TSchema = TSchema> {
  kind: string;
  plural: string;
  singular: string;
  scope: 'Cluster' | 'Namespaced';
  shortNames: string[];
  /** What the kind is, and its Nova equivalent. */
  description: string;
  spec: Spec;
  status?: Status;
  printerColumns: PrinterColumn[];
  /** CEL rules on the whole object (e.g. spec against metadata). */
  rules?: CelRule[];
}

/** A stored Kova object of a kind whose spec and status have the given types. */
export interface KovaObject<Spec, Status = never> {
  apiVersion: typeof API_VERSION;
  kind: string;
  /** Object metadata as JSON carries it (timestamps are RFC 3339 strings). */
  metadata: KubeObject['metadata'];
  spec: Spec;
  status?: Status;
}

export type ObjectOf<K extends KindDefinition> = KovaObject<
  Static<K['spec']>,
  NonNullable<K['status']> extends TSchema ? Static<NonNullable<K['status']>> : never
>;

export function defineKind<Spec extends TSchema, Status extends TSchema>(
  def: KindDefinition<Spec, Status>,
): KindDefinition<Spec, Status> {
  return def;
}

/**
 * Plain JSON of a TypeBox schema (drops TypeBox's symbol-keyed bookkeeping). A property with a
 * default is not listed as required: the apiserver checks `required` before it fills defaults in,
 * yet every stored object has the field, which is what the TypeScript type says.
 */
function plain(schema: TSchema): Record<string, unknown> {
  return JSON.parse(JSON.stringify(schema), (_key, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const node = value as { required?: string[]; properties?: Record<string, { default?: unknown }> };
      if (node.required && node.properties) {
        const required = node.required.filter((p) => node.properties![p]?.default === undefined);
        if (required.length) node.required = required;
        else delete node.required;
      }
    }
    return value;
  }) as Record<string, unknown>;
}

export function crdName(def: Pick<KindDefinition, 'plural'>): string {
  return `${def.plural}.${GROUP}`;
}

export function toCRD(def: KindDefinition): V1CustomResourceDefinition {
  const properties: Record<string, unknown> = {
    apiVersion: { type: 'string', description: 'APIVersion of this representation of the object.' },
    kind: { type: 'string', description: 'Kind of the object.' },
    metadata: { type: 'object' },
    spec: plain(def.spec),
  };
  if (def.status) properties.status = plain(def.status);
  const root: Record<string, unknown> = {
    type: 'object',
    description: def.description,
    required: ['spec'],
    properties,
  };
  if (def.rules?.length) root['x-kubernetes-validations'] = def.rules;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: crdName(def) },
    spec: {
      group: GROUP,
      scope: def.scope,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: [CATEGORY],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          // The client-node type for the schema is narrower than what Kubernetes accepts
          // (x-kubernetes-* extensions), so it is passed through as plain JSON.
          schema: { openAPIV3Schema: root as never },
          subresources: def.status ? { status: {} } : undefined,
          additionalPrinterColumns: [
            ...def.printerColumns,
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
      ],
    },
  };
}
