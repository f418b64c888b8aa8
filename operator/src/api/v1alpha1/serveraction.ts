// ServerAction: a one-shot operation on a server, and Nova's instance-action record of it
// (nova/compute/instance_actions.py, os-instance-actions). Created by kubectl or by the gateway
// (POST /servers/{id}/action); reconciled once; kept as the server's action log.
import { Type } from 'typebox';
import { defineKind, type ObjectOf } from '../kind.ts';
import { cel, conditions, freeform, immutable, novaMetadata, novaName, stringEnum } from '../schema.ts';

/** Nova's instance action names (instance_actions.py) that Kova records. */
export const SERVER_ACTIONS = [
  'create',
  'delete',
  'stop',
  'start',
  'reboot',
  'pause',
  'unpause',
  'suspend',
  'resume',
  'lock',
  'unlock',
  'rescue',
  'unrescue',
  'rebuild',
  'resize',
  'confirmResize',
  'revertResize',
  'migrate',
  'live-migration',
  'evacuate',
  'shelve',
  'shelveOffload',
  'unshelve',
  'createImage',
  'restore',
  'forceDelete',
  'resetState',
  'trigger_crash_dump',
  'consoleOutput',
  'diagnostics',
] as const;
export type ServerActionName = (typeof SERVER_ACTIONS)[number];

const Parameters = Type.Object(
  {
    type: Type.Optional(stringEnum(['SOFT', 'HARD'] as const, { description: 'reboot: SOFT or HARD.' })),
    flavorRef: Type.Optional(
      Type.String({ minLength: 1, maxLength: 255, description: 'resize: the new flavor.' }),
    ),
    imageRef: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description: 'rebuild: the new image; rescue: the rescue image.',
      }),
    ),
    name: Type.Optional(novaName('createImage: the image name; rebuild: a new server name.')),
    metadata: Type.Optional(novaMetadata('createImage: image metadata; rebuild: new server metadata.')),
    host: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description: 'migrate, live-migration, evacuate: the target host (checked by the scheduler).',
      }),
    ),
    blockMigration: Type.Optional(Type.Boolean({ description: 'live-migration: block_migration.' })),
    targetState: Type.Optional(
      stringEnum(['stopped'] as const, {
        description:
          'evacuate (2.95): the server ends stopped at the destination, whatever its state before.',
      }),
    ),
    state: Type.Optional(
      stringEnum(['active', 'error'] as const, { description: 'resetState: the new vm_state.' }),
    ),
    reason: Type.Optional(Type.String({ maxLength: 255, description: 'lock: locked_reason (2.73).' })),
    length: Type.Optional(
      Type.Integer({ minimum: -1, description: 'consoleOutput: the last lines to return; -1 for all.' }),
    ),
  },
  { description: "The action's parameters, as in the body of Nova's POST /servers/{id}/action." },
);

export const ServerActionSpec = Type.Object(
  {
    server: Type.String({
      minLength: 1,
      maxLength: 253,
      description: "The Server's metadata.name, in this namespace.",
    }),
    action: stringEnum(SERVER_ACTIONS, { description: "Nova's action name." }),
    parameters: Type.Optional(Parameters),
    requestId: Type.Optional(
      Type.String({ pattern: '^req-[0-9a-f-]{36}$', description: 'request_id; generated when absent.' }),
    ),
    user: Type.Optional(
      Type.String({ maxLength: 255, description: 'user_id of who asked; set by the gateway.' }),
    ),
    admin: Type.Boolean({
      default: false,
      description:
        "Whether the caller has Nova's admin role (admin-only actions, lock override); set by the gateway.",
    }),
  },
  {
    ...cel(
      immutable('a server action'),
      {
        rule: "self.action != 'reboot' || (has(self.parameters) && has(self.parameters.type))",
        message: 'reboot needs parameters.type: SOFT or HARD',
      },
      {
        rule: "self.action != 'resize' || (has(self.parameters) && has(self.parameters.flavorRef))",
        message: 'resize needs parameters.flavorRef',
      },
      {
        rule: "self.action != 'rebuild' || (has(self.parameters) && has(self.parameters.imageRef))",
        message: 'rebuild needs parameters.imageRef',
      },
      {
        rule: "self.action != 'createImage' || (has(self.parameters) && has(self.parameters.name))",
        message: 'createImage needs parameters.name',
      },
      {
        rule: "self.action != 'resetState' || (has(self.parameters) && has(self.parameters.state))",
        message: 'resetState needs parameters.state: active or error',
      },
    ),
  },
);

const ActionEvent = Type.Object({
  event: Type.String({ description: "The step, e.g. compute_reboot_instance (Nova's event name)." }),
  startTime: Type.String({ format: 'date-time' }),
  finishTime: Type.Optional(Type.String({ format: 'date-time' })),
  result: Type.Optional(stringEnum(['Success', 'Error'] as const)),
  host: Type.Optional(Type.String()),
  details: Type.Optional(Type.String({ maxLength: 65535, description: 'What went wrong (details, 2.84).' })),
  traceback: Type.Optional(Type.String({ maxLength: 65535, description: 'Admin only.' })),
});

export const ServerActionStatus = Type.Object({
  phase: Type.Optional(
    stringEnum(['Pending', 'Running', 'Succeeded', 'Failed'] as const, {
      description: 'Where the action is.',
    }),
  ),
  startTime: Type.Optional(Type.String({ format: 'date-time', description: 'start_time' })),
  finishTime: Type.Optional(Type.String({ format: 'date-time' })),
  message: Type.Optional(
    Type.String({ maxLength: 32768, description: 'Why it failed or was refused (message).' }),
  ),
  events: Type.Optional(Type.Array(ActionEvent, { maxItems: 64, description: 'Per-step events (events).' })),
  output: Type.Optional(
    Type.String({
      maxLength: 65536,
      description: 'consoleOutput: the console log (os-getConsoleOutput output).',
    }),
  ),
  diagnostics: Type.Optional(
    freeform({ description: "diagnostics: Nova's server diagnostics (2.48 shape)." }),
  ),
  conditions: Type.Optional(conditions()),
});

export const ServerActionKind = defineKind({
  kind: 'ServerAction',
  plural: 'serveractions',
  singular: 'serveraction',
  scope: 'Namespaced',
  shortNames: ['act'],
  description:
    "A one-shot operation on a Server (reboot, resize, migrate, ...) and its record in Nova's instance-action log.",
  spec: ServerActionSpec,
  status: ServerActionStatus,
  printerColumns: [
    // Read like `openstack server event list`: request id, server, action, start time.
    { name: 'Request ID', type: 'string', jsonPath: '.spec.requestId', priority: 1 },
    { name: 'Server', type: 'string', jsonPath: '.spec.server' },
    { name: 'Action', type: 'string', jsonPath: '.spec.action' },
    { name: 'Start Time', type: 'string', jsonPath: '.status.startTime' },
    { name: 'Phase', type: 'string', jsonPath: '.status.phase' },
    { name: 'Message', type: 'string', jsonPath: '.status.message', priority: 1 },
  ],
});

export type ServerAction = ObjectOf<typeof ServerActionKind>;
