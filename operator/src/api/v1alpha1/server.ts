// Server: Nova's instance (nova/objects/instance.py; create fields from schemas/servers.py).
// Namespaced: the namespace is the project. Nova's server id is metadata.uid; Nova's name is
// spec.name (not unique, as in Nova); metadata.name is any DNS-safe name.
import { Type } from 'typebox';
import { POWER_STATE_NAMES, SERVER_STATUSES, TASK_STATES, VM_STATES } from '../../compute/states.ts';
import { defineKind, type ObjectOf } from '../kind.ts';
import {
  MAX_INT,
  cel,
  conditions,
  freeform,
  immutableFields,
  map,
  novaMetadata,
  novaName,
  set,
  stringEnum,
} from '../schema.ts';

/** The power states a user may ask for; the rest of Nova's server states come from actions. */
export const DESIRED_POWER_STATES = ['running', 'stopped', 'paused', 'suspended', 'shelved'] as const;

const RequestedNetwork = Type.Object({
  uuid: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Network id.' })),
  port: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Port id.' })),
  fixedIp: Type.Optional(Type.String({ maxLength: 64, description: 'A fixed IPv4 or IPv6 address.' })),
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 60, description: 'Device tag (2.42).' })),
});

export const ServerSpec = Type.Object(
  {
    name: novaName("Nova's server name (not unique)."),
    flavorRef: Type.String({
      minLength: 1,
      maxLength: 255,
      description: "The flavor to build with: a Flavor's Nova id or metadata.name (flavorRef).",
    }),
    imageRef: Type.String({
      minLength: 1,
      maxLength: 255,
      description: "The image to boot: an Image's id (metadata.uid) or metadata.name (imageRef).",
    }),
    keyName: Type.Optional(novaName("The owner's Keypair to inject (key_name).")),
    userData: Type.Optional(
      Type.String({
        maxLength: 65535,
        pattern: '^[A-Za-z0-9+/]*={0,2}$',
        description: 'Base64-encoded user data for cloud-init (user_data).',
      }),
    ),
    metadata: Type.Optional(novaMetadata('Server metadata: string key/value pairs (metadata).')),
    availabilityZone: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description: 'Requested availability zone (availability_zone).',
      }),
    ),
    host: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        pattern: '^[a-zA-Z0-9-._]+$',
        description: 'Requested compute host, checked by the scheduler (2.74 host).',
      }),
    ),
    schedulerHints: Type.Optional(
      freeform({
        description: 'Scheduler hints (os:scheduler_hints): same_host, different_host, query, cidr, ...',
      }),
    ),
    serverGroup: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description: 'The ServerGroup to join at boot: its uuid or metadata.name (hint group).',
      }),
    ),
    configDrive: Type.Boolean({ default: false, description: 'Attach a config drive (config_drive).' }),
    description: Type.Optional(Type.String({ maxLength: 255, description: 'Free-form description (2.19).' })),
    hostname: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        // Nova's parameter_types.fqdn (2.94); before 2.94 the API's own schema is stricter.
        pattern: '^[a-zA-Z0-9-._]*$',
        description: 'Guest hostname (2.90; an FQDN from 2.94); defaults to one derived from the name.',
      }),
    ),
    tags: Type.Optional(
      set(Type.String({ minLength: 1, maxLength: 60, pattern: '^[^,/]+$' }), {
        maxItems: 50,
        description: 'Server tags (2.26): at most 50, each 1-60 characters without "," or "/".',
      }),
    ),
    securityGroups: Type.Optional(
      set(Type.String({ minLength: 1, maxLength: 255 }), {
        maxItems: 64,
        description:
          'Security group names (security_groups; addSecurityGroup / removeSecurityGroup). Kova has no Neutron: names only, no rules enforced; absent means default.',
      }),
    ),
    networks: Type.Object(
      {
        allocation: stringEnum(['auto', 'none', 'requested'] as const, {
          default: 'auto',
          description: 'auto or none as Nova accepts them (2.37), or requested: the list below.',
        }),
        requested: Type.Optional(
          Type.Array(RequestedNetwork, { maxItems: 64, description: 'Requested networks.' }),
        ),
      },
      {
        default: { allocation: 'auto' },
        description: 'Networks to attach (networks).',
        ...cel({
          rule: "(self.allocation == 'requested') == (has(self.requested) && size(self.requested) > 0)",
          message: 'networks.requested must be given exactly when networks.allocation is requested',
        }),
      },
    ),
    tolerations: Type.Optional(
      Type.Array(
        Type.Object({
          key: Type.Optional(Type.String({ maxLength: 316 })),
          operator: Type.Optional(stringEnum(['Exists', 'Equal'] as const)),
          value: Type.Optional(Type.String({ maxLength: 63 })),
          effect: Type.Optional(stringEnum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const)),
        }),
        {
          maxItems: 32,
          description:
            'Node taints this server tolerates, as a pod would (the Kubernetes node check of the scheduler).',
        },
      ),
    ),
    locked: Type.Boolean({
      default: false,
      description: 'A locked server refuses actions from non-admins (lock / unlock, locked).',
    }),
    lockedReason: Type.Optional(
      Type.String({ maxLength: 255, description: 'Why it is locked (locked_reason, 2.73).' }),
    ),
    powerState: stringEnum(DESIRED_POWER_STATES, {
      default: 'running',
      description: 'The power state the user wants: running, stopped, paused, suspended or shelved.',
    }),
  },
  {
    ...cel(
      ...immutableFields(
        [
          'flavorRef',
          'imageRef',
          'keyName',
          'userData',
          'availabilityZone',
          'host',
          'schedulerHints',
          'serverGroup',
          'configDrive',
          'networks',
        ],
        ' (resize and rebuild are server actions)',
      ),
    ),
  },
);

const FlavorCopy = Type.Object(
  {
    id: Type.String({ description: "The flavor's Nova id." }),
    name: Type.String({ description: "The flavor's name (original_name)." }),
    vcpus: Type.Integer({ minimum: 1, maximum: MAX_INT }),
    ram: Type.Integer({ minimum: 1, maximum: MAX_INT, description: 'MiB' }),
    disk: Type.Integer({ minimum: 0, maximum: MAX_INT, description: 'GiB' }),
    ephemeral: Type.Integer({ minimum: 0, maximum: MAX_INT, description: 'GiB' }),
    swap: Type.Integer({ minimum: 0, maximum: MAX_INT, description: 'MiB' }),
    extraSpecs: Type.Optional(map(Type.String())),
  },
  { description: 'A copy of the flavor the server was built or resized with (shown from 2.47).' },
);

const Address = Type.Object({
  network: Type.String({ description: 'Network label.' }),
  version: Type.Integer({ enum: [4, 6] }),
  addr: Type.String(),
  type: stringEnum(['fixed', 'floating'] as const, { description: 'OS-EXT-IPS:type' }),
  macAddr: Type.Optional(Type.String({ description: 'OS-EXT-IPS-MAC:mac_addr' })),
});

const Fault = Type.Object(
  {
    code: Type.Integer({ description: 'HTTP-style code: 500 for No valid host and driver errors.' }),
    message: Type.String({ maxLength: 255 }),
    details: Type.Optional(
      Type.String({ maxLength: 65535, description: 'Traceback or detail; admin only at 500.' }),
    ),
    created: Type.String({ format: 'date-time' }),
  },
  { description: 'The last fault, shown while the status is ERROR or DELETED.' },
);

export const ServerStatus = Type.Object({
  vmState: Type.Optional(stringEnum(VM_STATES, { description: 'OS-EXT-STS:vm_state' })),
  taskState: Type.Optional(
    stringEnum(TASK_STATES, { description: 'OS-EXT-STS:task_state; absent when idle.' }),
  ),
  powerState: Type.Optional(
    stringEnum(POWER_STATE_NAMES, {
      description: 'OS-EXT-STS:power_state by name (the API shows its integer).',
    }),
  ),
  status: Type.Optional(
    stringEnum(SERVER_STATUSES, { description: "Nova's status, derived from vmState and taskState." }),
  ),
  host: Type.Optional(
    Type.String({ description: 'The compute host (node) it is placed on (OS-EXT-SRV-ATTR:host).' }),
  ),
  hostId: Type.Optional(Type.String({ description: 'sha224 of project and host: hostId.' })),
  flavor: Type.Optional(FlavorCopy),
  image: Type.Optional(
    Type.Object(
      { id: Type.String(), name: Type.Optional(Type.String()) },
      { description: 'The image it runs now.' },
    ),
  ),
  addresses: Type.Optional(
    Type.Array(Address, { description: 'Addresses by network; the API groups them by network label.' }),
  ),
  fault: Type.Optional(Fault),
  lockedBy: Type.Optional(
    stringEnum(['owner', 'admin'] as const, {
      description: 'Who locked it (locked_by): only an admin undoes an admin lock.',
    }),
  ),
  migration: Type.Optional(
    Type.Object(
      {
        kind: stringEnum(['resize', 'migrate', 'live-migration', 'evacuate', 'unshelve'] as const),
        sourceHost: Type.Optional(
          Type.String({ description: 'Where the server was (none when unshelving).' }),
        ),
        destHost: Type.Optional(
          Type.String({ description: 'Where the scheduler placed it; absent while scheduling.' }),
        ),
        requestedHost: Type.Optional(
          Type.String({ description: 'A destination asked for (checked by the filters).' }),
        ),
        oldFlavor: Type.Optional(FlavorCopy),
        newFlavor: FlavorCopy,
        vmStateBefore: Type.String({ description: 'The vm_state to come back to (active or stopped).' }),
        finishedAt: Type.Optional(
          Type.String({
            format: 'date-time',
            description: 'When it reached VERIFY_RESIZE (for auto-confirm).',
          }),
        ),
      },
      {
        description:
          "A move in progress (Nova's migration record): while it lasts, both hosts hold the server's resources.",
      },
    ),
  ),
  deletedAt: Type.Optional(
    Type.String({
      format: 'date-time',
      description: 'When it was soft-deleted (reclaimed after reclaim_instance_interval).',
    }),
  ),
  shelvedImageId: Type.Optional(
    Type.String({
      description:
        "The snapshot Image a shelve made (Nova's shelved_image_id): unshelve boots from it, then it is deleted, as it is with the server.",
    }),
  ),
  action: Type.Optional(
    Type.Object(
      {
        name: Type.String({ description: 'The ServerAction being carried out.' }),
        action: Type.String({ description: 'Its Nova action name, e.g. reboot.' }),
      },
      { description: 'The action the compute host is carrying out now.' },
    ),
  ),
  retry: Type.Optional(
    Type.Object(
      {
        numAttempts: Type.Integer({ minimum: 1, description: 'Build attempts so far (num_attempts).' }),
        hosts: Type.Optional(set(Type.String(), { description: 'Hosts where a build attempt failed.' })),
      },
      { description: "Nova's retry record of a rescheduled build (filter_properties['retry'])." },
    ),
  ),
  launchedAt: Type.Optional(Type.String({ format: 'date-time', description: 'OS-SRV-USG:launched_at' })),
  terminatedAt: Type.Optional(Type.String({ format: 'date-time', description: 'OS-SRV-USG:terminated_at' })),
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  conditions: Type.Optional(conditions()),
});

export const ServerKind = defineKind({
  kind: 'Server',
  plural: 'servers',
  singular: 'server',
  scope: 'Namespaced',
  shortNames: ['srv'],
  description:
    'A Nova server: a virtual machine built from a flavor and an image, placed on a compute host by the Kova scheduler. The namespace is its project; its Nova id is metadata.uid.',
  spec: ServerSpec,
  status: ServerStatus,
  printerColumns: [
    { name: 'Server', type: 'string', jsonPath: '.spec.name', priority: 1 },
    { name: 'Status', type: 'string', jsonPath: '.status.status' },
    { name: 'Task', type: 'string', jsonPath: '.status.taskState' },
    { name: 'Power', type: 'string', jsonPath: '.status.powerState' },
    { name: 'Flavor', type: 'string', jsonPath: '.status.flavor.name' },
    { name: 'Host', type: 'string', jsonPath: '.status.host' },
    { name: 'Addresses', type: 'string', jsonPath: '.status.addresses[*].addr' },
  ],
});

export type Server = ObjectOf<typeof ServerKind>;

/** Servers created by one request (Nova's multi-create, min_count/max_count) share this label... */
export const RESERVATION_LABEL = 'compute.kova.io/reservation-id';
/** ...and say how many they are; the scheduler places all of them or none. */
export const NUM_INSTANCES_ANNOTATION = 'compute.kova.io/num-instances';
