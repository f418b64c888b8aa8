// Request schemas of the server routes per microversion, after
// nova/api/openstack/compute/schemas/servers.py and server_metadata.py. Each range is one
// @validation.schema decorator of ServersController / ServerMetadataController.
import { APIVersionRequest } from '../microversion.ts';
import { forVersion, types, validator, type Versioned } from './validation.ts';

type Schema = Record<string, unknown>;

const legacyBdm = (): Schema => ({
  type: 'object',
  properties: {
    virtual_name: { type: 'string', maxLength: 255 },
    volume_id: types.uuid,
    snapshot_id: types.uuid,
    volume_size: { type: ['integer', 'string'], pattern: '^[0-9]+$', minimum: 1, maximum: 0x7fffffff },
    device_name: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9._\\-r/]*$' },
    delete_on_termination: types.boolean,
    no_device: {},
    connection_info: { type: 'string', maxLength: 16777215 },
  },
  additionalProperties: false,
});

function bdmV2(version: APIVersionRequest): Schema {
  const s = legacyBdm();
  const props = s.properties as Schema;
  Object.assign(props, {
    source_type: { type: 'string', enum: ['volume', 'image', 'snapshot', 'blank'] },
    uuid: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[a-zA-Z0-9._-]*$' },
    image_id: types.uuid,
    destination_type: { type: 'string', enum: ['local', 'volume'] },
    guest_format: { type: 'string', maxLength: 255 },
    device_type: { type: 'string', maxLength: 255 },
    disk_bus: { type: 'string', maxLength: 255 },
    boot_index: { type: ['integer', 'string', 'null'], pattern: '^-?[0-9]+$' },
  });
  if (version.compare('2.32') === 0 || version.compare('2.42') >= 0) props.tag = types.tag;
  if (version.compare('2.67') >= 0)
    props.volume_type = { type: ['string', 'null'], minLength: 0, maxLength: 255 };
  return s;
}

const hints: Schema = {
  type: 'object',
  properties: {
    group: { type: 'string', format: 'uuid' },
    different_host: { oneOf: [types.uuid, { type: 'array', items: types.uuid }] },
    same_host: { type: ['string', 'array'], items: types.uuid },
    query: { type: ['string', 'object'] },
    target_cell: types.name,
    different_cell: { type: ['string', 'array'], items: { type: 'string' } },
    build_near_host_ip: types.ipAddress,
    cidr: { type: 'string', pattern: '^/[0-9a-f.:]+$' },
  },
  additionalProperties: true,
};

function networksSchema(version: APIVersionRequest): Schema {
  const item: Schema = {
    type: 'object',
    properties: {
      fixed_ip: types.ipAddress,
      port: { oneOf: [types.uuid, { type: 'null' }] },
      uuid: version.compare('2.37') >= 0 ? types.uuid : { type: 'string' },
    },
    additionalProperties: false,
  };
  if (version.compare('2.32') >= 0) (item.properties as Schema).tag = types.tag;
  const list = { type: 'array', items: item };
  if (version.compare('2.37') < 0) return list;
  return { oneOf: [list, { type: 'string', enum: ['none', 'auto'] }] };
}

/** The POST /servers schema of one microversion (create, create_v219 ... create_v290). */
export function createSchema(version: APIVersionRequest): Schema {
  const at = (v: string) => version.compare(v) >= 0;
  const server: Schema = {
    name: types.name,
    imageRef: { oneOf: [types.uuid, { type: 'string', maxLength: 0 }] },
    flavorRef: { type: ['string', 'integer'], minLength: 1 },
    adminPass: { type: 'string' },
    metadata: types.metadata,
    networks: networksSchema(version),
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    accessIPv4: { type: 'string', format: 'ipv4' },
    accessIPv6: { type: 'string', format: 'ipv6' },
    availability_zone: types.name,
    block_device_mapping: { type: 'array', items: legacyBdm() },
    block_device_mapping_v2: { type: 'array', items: bdmV2(version) },
    config_drive: types.boolean,
    key_name: types.name,
    min_count: types.positiveInteger,
    max_count: types.positiveInteger,
    return_reservation_id: types.boolean,
    security_groups: {
      type: 'array',
      items: { type: 'object', properties: { name: types.name }, additionalProperties: false },
    },
    user_data: { type: 'string', format: 'base64', maxLength: 65535 },
  };
  if (!at('2.57')) {
    server.personality = {
      type: 'array',
      items: {
        type: 'object',
        properties: { path: { type: 'string' }, contents: { type: 'string', format: 'base64' } },
        additionalProperties: false,
      },
    };
  }
  if (at('2.19')) server.description = types.description;
  if (at('2.52')) server.tags = { type: 'array', items: types.tag, maxItems: 50 };
  if (at('2.63')) {
    server.trusted_image_certificates = {
      type: ['array', 'null'],
      minItems: 1,
      maxItems: 50,
      uniqueItems: true,
      items: { type: 'string', minLength: 1 },
    };
  }
  if (at('2.74')) {
    server.host = types.fqdn;
    server.hypervisor_hostname = types.fqdn;
  }
  // 2.94: the hostname may be an FQDN.
  if (at('2.90')) server.hostname = at('2.94') ? types.fqdn : types.hostname;
  return {
    type: 'object',
    properties: {
      server: {
        type: 'object',
        properties: server,
        required: at('2.37') ? ['name', 'flavorRef', 'networks'] : ['name', 'flavorRef'],
        additionalProperties: false,
      },
      'os:scheduler_hints': hints,
      'OS-SCH-HNT:scheduler_hints': hints,
    },
    required: ['server'],
    additionalProperties: false,
  };
}

/** The PUT /servers/{id} schema (update, update_v219, update_v290, update_v294). */
export function updateSchema(version: APIVersionRequest): Schema {
  const server: Schema = {
    name: types.name,
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    accessIPv4: { type: 'string', format: 'ipv4' },
    accessIPv6: { type: 'string', format: 'ipv6' },
  };
  if (version.compare('2.19') >= 0) server.description = types.description;
  if (version.compare('2.90') >= 0)
    server.hostname = version.compare('2.94') >= 0 ? types.fqdn : types.hostname;
  return {
    type: 'object',
    properties: { server: { type: 'object', properties: server, additionalProperties: false } },
    required: ['server'],
    additionalProperties: false,
  };
}

/** Where the schemas change: the ranges of the @validation.schema decorators. */
const CREATE_RANGES = [
  '2.1',
  '2.19',
  '2.32',
  '2.33',
  '2.37',
  '2.42',
  '2.52',
  '2.57',
  '2.63',
  '2.67',
  '2.74',
  '2.90',
  '2.94',
];
const UPDATE_RANGES = ['2.1', '2.19', '2.90', '2.94'];

type Check = (data: unknown) => void;

function ranged(starts: string[], build: (v: APIVersionRequest) => Schema): Versioned<Check>[] {
  return starts.map((min, i) => {
    const next = starts[i + 1] ? APIVersionRequest.parse(starts[i + 1]!) : undefined;
    const max = next ? `${next.major}.${next.minor - 1n}` : undefined;
    return { min, ...(max ? { max } : {}), value: validator(build(APIVersionRequest.parse(min))) };
  });
}

const createChecks = ranged(CREATE_RANGES, createSchema);
const updateChecks = ranged(UPDATE_RANGES, updateSchema);

export function validateCreate(version: APIVersionRequest, body: unknown): void {
  forVersion(createChecks, version)!(body);
}

export function validateUpdate(version: APIVersionRequest, body: unknown): void {
  forVersion(updateChecks, version)!(body);
}

// server_metadata.py
const metadataCreate = validator({
  type: 'object',
  properties: { metadata: types.metadata },
  required: ['metadata'],
  additionalProperties: false,
});
const metadataUpdateOne = validator({
  type: 'object',
  properties: { meta: { ...types.metadata, minProperties: 1, maxProperties: 1 } },
  required: ['meta'],
  additionalProperties: false,
});

/** POST and PUT /servers/{id}/metadata: {"metadata": {...}}. */
export const validateMetadata = metadataCreate;
/** PUT /servers/{id}/metadata/{key}: {"meta": {key: value}}. */
export const validateMetadataItem = metadataUpdateOne;
