// ProjectQuota: Nova's quota set for one project (nova/quota.py, os-quota-sets). One per project
// namespace, named `default`. An unset limit falls back to the operator's defaults ([quota]
// options, os-quota-class-sets `default`); -1 means unlimited.
import { Type } from 'typebox';
import { defineKind, type ObjectOf } from '../kind.ts';
import { MAX_INT, conditions } from '../schema.ts';

/** Nova's quota resources that Kova enforces, with their Nova names and defaults ([quota]). */
export const QUOTA_RESOURCES = {
  instances: { nova: 'instances', default: 10 },
  cores: { nova: 'cores', default: 20 },
  ram: { nova: 'ram', default: 51200 },
  metadataItems: { nova: 'metadata_items', default: 128 },
  keyPairs: { nova: 'key_pairs', default: 100 },
  serverGroups: { nova: 'server_groups', default: 10 },
  serverGroupMembers: { nova: 'server_group_members', default: 10 },
} as const;

const limit = (what: string) =>
  Type.Optional(Type.Integer({ minimum: -1, maximum: MAX_INT, description: `${what}; -1 is unlimited.` }));

export const ProjectQuotaSpec = Type.Object({
  instances: limit('Servers (instances)'),
  cores: limit('vCPUs of all servers (cores)'),
  ram: limit('MiB of RAM of all servers (ram)'),
  metadataItems: limit('Metadata items per server (metadata_items)'),
  keyPairs: limit('Keypairs per user (key_pairs)'),
  serverGroups: limit('Server groups (server_groups)'),
  serverGroupMembers: limit('Members per server group (server_group_members)'),
});

export const ProjectQuotaStatus = Type.Object({
  used: Type.Optional(
    Type.Object(
      {
        instances: Type.Integer({ minimum: 0 }),
        cores: Type.Integer({ minimum: 0 }),
        ram: Type.Integer({ minimum: 0 }),
        serverGroups: Type.Integer({ minimum: 0 }),
      },
      { description: 'What the project uses now (in_use).' },
    ),
  ),
  conditions: Type.Optional(conditions()),
});

export const ProjectQuotaKind = defineKind({
  kind: 'ProjectQuota',
  plural: 'projectquotas',
  singular: 'projectquota',
  scope: 'Namespaced',
  shortNames: ['pq'],
  description: "A project's Nova quota set (os-quota-sets). One per project namespace, named default.",
  spec: ProjectQuotaSpec,
  status: ProjectQuotaStatus,
  rules: [
    { rule: "self.metadata.name == 'default'", message: 'a project has one ProjectQuota, named default' },
  ],
  printerColumns: [
    { name: 'Instances', type: 'integer', jsonPath: '.spec.instances' },
    { name: 'Cores', type: 'integer', jsonPath: '.spec.cores' },
    { name: 'RAM', type: 'integer', jsonPath: '.spec.ram' },
    { name: 'Used-Instances', type: 'integer', jsonPath: '.status.used.instances' },
    { name: 'Used-Cores', type: 'integer', jsonPath: '.status.used.cores' },
  ],
});

export type ProjectQuota = ObjectOf<typeof ProjectQuotaKind>;
