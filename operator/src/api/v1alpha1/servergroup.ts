// ServerGroup: Nova's server group (nova/objects/instance_group.py, schemas/server_groups.py).
// Namespaced (a project's). Membership is fixed at boot, as in Nova: a server joins through its
// spec.serverGroup and leaves when it is deleted.
import { Type } from 'typebox';
import { defineKind, type ObjectOf } from '../kind.ts';
import { MAX_INT, cel, conditions, immutable, novaName, set, stringEnum } from '../schema.ts';

export const SERVER_GROUP_POLICIES = [
  'affinity',
  'anti-affinity',
  'soft-affinity',
  'soft-anti-affinity',
] as const;

export const ServerGroupSpec = Type.Object(
  {
    name: novaName("Nova's server group name."),
    policy: stringEnum(SERVER_GROUP_POLICIES, {
      description:
        'affinity / anti-affinity (hard: scheduler filters) or soft-affinity / soft-anti-affinity (weighers only).',
    }),
    rules: Type.Optional(
      Type.Object(
        {
          maxServerPerHost: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: MAX_INT,
              description: 'At most this many members per host (max_server_per_host, 2.64).',
            }),
          ),
        },
        { description: 'Policy rules; only anti-affinity has one.' },
      ),
    ),
  },
  {
    ...cel(immutable('a server group'), {
      rule: "self.policy == 'anti-affinity' || !has(self.rules) || !has(self.rules.maxServerPerHost)",
      message: 'rules are only allowed with the anti-affinity policy',
      fieldPath: '.rules',
    }),
  },
);

export const ServerGroupStatus = Type.Object({
  members: Type.Optional(
    set(Type.String(), { description: 'Nova ids (metadata.uid) of the member servers.' }),
  ),
  conditions: Type.Optional(conditions()),
});

export const ServerGroupKind = defineKind({
  kind: 'ServerGroup',
  plural: 'servergroups',
  singular: 'servergroup',
  scope: 'Namespaced',
  shortNames: ['sg'],
  description:
    'A Nova server group: servers placed together (affinity) or apart (anti-affinity), hard or soft. Its Nova id is metadata.uid.',
  spec: ServerGroupSpec,
  status: ServerGroupStatus,
  printerColumns: [
    { name: 'Group', type: 'string', jsonPath: '.spec.name' },
    { name: 'Policy', type: 'string', jsonPath: '.spec.policy' },
    { name: 'Members', type: 'string', jsonPath: '.status.members', priority: 1 },
  ],
});

export type ServerGroup = ObjectOf<typeof ServerGroupKind>;
