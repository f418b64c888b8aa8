// Request bodies of POST /servers/{id}/action, per action key and microversion, after
// nova/api/openstack/compute/schemas/{servers,lock_server,rescue,shelve,migrate_server,evacuate,
// reset_server_state,console_output}.py. An action without a schema there (os-stop, pause, ...)
// takes any value under its key, as Nova does. Also Nova's action_peek (wsgi.py): the body is a
// JSON object with exactly one key, the action.
import { ApiError } from '../errors.ts';
import { type Schema, type Versioned, validationError } from '../validation.ts';
import type { APIVersionRequest } from '../microversion.ts';
import { types } from './validation.ts';

const obj = (key: string, props: Schema, extra: Schema = {}, nullable = false): Schema => ({
  type: 'object',
  properties: {
    [key]: {
      type: nullable ? ['object', 'null'] : 'object',
      properties: props,
      additionalProperties: false,
      ...extra,
    },
  },
  required: [key],
  additionalProperties: false,
});

const adminPass = { type: 'string' };
const nullableFqdn = { ...types.fqdn, type: ['string', 'null'] };

function rebuild(version: string): Schema {
  const at = (v: string) => Number(version.split('.')[1]) >= Number(v.split('.')[1]);
  const props: Schema = {
    name: types.name,
    imageRef: types.uuid,
    adminPass,
    metadata: types.metadata,
    preserve_ephemeral: types.boolean,
    'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
    accessIPv4: { type: 'string', format: 'ipv4' },
    accessIPv6: { type: 'string', format: 'ipv6' },
  };
  if (!at('2.57')) {
    props.personality = {
      type: 'array',
      items: {
        type: 'object',
        properties: { path: { type: 'string' }, contents: { type: 'string', format: 'base64' } },
        additionalProperties: false,
      },
    };
  }
  if (at('2.19')) props.description = types.description;
  if (at('2.54')) props.key_name = { ...types.name, type: ['string', 'null'] };
  if (at('2.57')) {
    props.user_data = {
      oneOf: [{ type: 'string', format: 'base64', maxLength: 65535 }, { type: 'null' }],
    };
  }
  if (at('2.63')) {
    props.trusted_image_certificates = {
      type: ['array', 'null'],
      minItems: 1,
      maxItems: 50,
      uniqueItems: true,
      items: { type: 'string', minLength: 1 },
    };
  }
  if (at('2.90')) props.hostname = at('2.94') ? types.fqdn : types.hostname;
  return obj('rebuild', props, { required: ['imageRef'] });
}

/** Ranges from the start versions of the stacked @validation.schema decorators. */
function ranges(starts: [string, Schema][]): Versioned[] {
  return starts.map(([min, schema], i) => {
    const next = starts[i + 1]?.[0];
    const max = next ? `2.${Number(next.split('.')[1]) - 1}` : undefined;
    return { min, ...(max ? { max } : {}), schema };
  });
}

const blockMigration = { ...types.boolean, enum: [...(types.boolean.enum as unknown[]), 'auto'] };
const liveProps = (v: '2.1' | '2.25' | '2.30'): Schema => ({
  block_migration: v === '2.1' ? types.boolean : blockMigration,
  ...(v === '2.1' ? { disk_over_commit: types.boolean } : {}),
  host: nullableFqdn,
  ...(v === '2.30' ? { force: types.boolean } : {}),
});
const evacuateProps = (v: '2.1' | '2.14' | '2.29'): Schema => ({
  host: types.fqdn,
  ...(v === '2.1' ? { onSharedStorage: types.boolean } : {}),
  adminPass,
  ...(v === '2.29' ? { force: types.boolean } : {}),
});

/** Each action key's schemas; absent: Nova validates nothing under the key. */
export const ACTION_SCHEMAS: Record<string, Versioned[]> = {
  reboot: [
    {
      schema: obj(
        'reboot',
        { type: { type: 'string', enum: ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft'] } },
        { required: ['type'] },
      ),
    },
  ],
  resize: [
    {
      schema: obj(
        'resize',
        {
          flavorRef: { type: ['string', 'integer'], minLength: 1 },
          'OS-DCF:diskConfig': { type: 'string', enum: ['AUTO', 'MANUAL'] },
        },
        { required: ['flavorRef'] },
      ),
    },
  ],
  rebuild: ranges(['2.1', '2.19', '2.54', '2.57', '2.63', '2.90', '2.94'].map((v) => [v, rebuild(v)])),
  createImage: [
    {
      schema: obj('createImage', { name: types.name, metadata: types.metadata }, { required: ['name'] }),
    },
  ],
  trigger_crash_dump: [
    {
      schema: {
        type: 'object',
        properties: { trigger_crash_dump: { type: 'null' } },
        required: ['trigger_crash_dump'],
        additionalProperties: false,
      },
    },
  ],
  lock: [
    { max: '2.72', schema: {} },
    {
      min: '2.73',
      schema: obj('lock', { locked_reason: { type: 'string', minLength: 1, maxLength: 255 } }, {}, true),
    },
  ],
  rescue: [
    {
      schema: obj('rescue', { adminPass, rescue_image_ref: types.uuid }, {}, true),
    },
  ],
  unshelve: [
    { max: '2.76', schema: {} },
    {
      min: '2.77',
      max: '2.90',
      schema: obj('unshelve', { availability_zone: types.name }, { required: ['availability_zone'] }, true),
    },
    {
      min: '2.91',
      schema: {
        type: 'object',
        properties: {
          unshelve: {
            oneOf: [
              {
                type: ['object'],
                properties: {
                  availability_zone: { oneOf: [{ type: ['null'] }, { type: 'string' }] },
                  host: { type: 'string' },
                },
                additionalProperties: false,
              },
              { type: ['null'] },
            ],
          },
        },
        required: ['unshelve'],
        additionalProperties: false,
      },
    },
  ],
  migrate: [
    { max: '2.55', schema: {} },
    { min: '2.56', schema: obj('migrate', { host: nullableFqdn }, {}, true) },
  ],
  'os-migrateLive': ranges([
    [
      '2.1',
      obj('os-migrateLive', liveProps('2.1'), { required: ['block_migration', 'disk_over_commit', 'host'] }),
    ],
    ['2.25', obj('os-migrateLive', liveProps('2.25'), { required: ['block_migration', 'host'] })],
    ['2.30', obj('os-migrateLive', liveProps('2.30'), { required: ['block_migration', 'host'] })],
    ['2.68', obj('os-migrateLive', liveProps('2.25'), { required: ['block_migration', 'host'] })],
  ]),
  evacuate: ranges([
    ['2.1', obj('evacuate', evacuateProps('2.1'), { required: ['onSharedStorage'] })],
    ['2.14', obj('evacuate', evacuateProps('2.14'))],
    ['2.29', obj('evacuate', evacuateProps('2.29'))],
    ['2.68', obj('evacuate', evacuateProps('2.14'))],
  ]),
  'os-resetState': [
    {
      schema: obj(
        'os-resetState',
        { state: { type: 'string', enum: ['active', 'error'] } },
        {
          required: ['state'],
        },
      ),
    },
  ],
  'os-getConsoleOutput': [
    {
      schema: obj('os-getConsoleOutput', {
        length: { type: ['integer', 'string', 'null'], pattern: '^-?[0-9]+$', minimum: -1 },
      }),
    },
  ],
};

/** wsgi.action_peek: the one key of the body; Nova's 400 otherwise. */
export function actionKey(body: unknown): string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'Malformed request body');
  }
  const keys = Object.keys(body);
  if (keys.length !== 1) throw new ApiError(400, 'Malformed request body');
  return keys[0]!;
}

/** Validates an action body against its key's schema at this microversion (Nova's 400). */
export function validateAction(version: APIVersionRequest, key: string, body: unknown): void {
  const schema = ACTION_SCHEMAS[key]?.find((s) => version.matches(s.min, s.max))?.schema;
  if (!schema) return;
  const error = validationError(schema, body, 'body');
  if (error) throw new ApiError(400, error);
}
