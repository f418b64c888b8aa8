// Aggregate: Nova's host aggregate, and with it the availability zone (nova/objects/aggregate.py,
// schemas/aggregates.py). Cluster-scoped; hosts are Kubernetes node names.
import { Type } from 'typebox';
import { defineKind, type ObjectOf } from '../kind.ts';
import { MAX_INT, conditions, novaMetadata, novaName, set } from '../schema.ts';

export const AggregateSpec = Type.Object({
  name: novaName("Nova's aggregate name (unique among aggregates)."),
  availabilityZone: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[^:]+$',
      description:
        'The availability zone its hosts are in (a name without ":"). A host is in at most one zone. Nova keeps it in the metadata key availability_zone.',
    }),
  ),
  hosts: Type.Optional(
    set(Type.String({ minLength: 1, maxLength: 255 }), {
      maxItems: 10000,
      description: 'Names of the compute hosts (Kubernetes nodes) in the aggregate.',
    }),
  ),
  metadata: Type.Optional(
    novaMetadata(
      'Aggregate metadata, read by the Aggregate* scheduler filters (e.g. filter_tenant_id, pinned=true).',
    ),
  ),
});

export const AggregateStatus = Type.Object({
  id: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: MAX_INT,
      description:
        "The integer id Nova's API shows, assigned once by the operator. The uuid is metadata.uid.",
    }),
  ),
  conditions: Type.Optional(conditions()),
});

export const AggregateKind = defineKind({
  kind: 'Aggregate',
  plural: 'aggregates',
  singular: 'aggregate',
  scope: 'Cluster',
  shortNames: ['agg'],
  description:
    'A Nova host aggregate: a set of hosts with metadata for the scheduler, optionally exposed as an availability zone.',
  spec: AggregateSpec,
  status: AggregateStatus,
  printerColumns: [
    { name: 'ID', type: 'integer', jsonPath: '.status.id' },
    { name: 'Aggregate', type: 'string', jsonPath: '.spec.name' },
    { name: 'Zone', type: 'string', jsonPath: '.spec.availabilityZone' },
    { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts', priority: 1 },
  ],
});

export type Aggregate = ObjectOf<typeof AggregateKind>;
