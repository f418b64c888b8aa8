// POST /os-server-external-events (server_external_events.py; admin): Neutron, Cinder and Ironic
// tell Nova about a server (network-vif-plugged, volume-extended, power-update, ...). Each event
// answers 200 (accepted: the server has a host), 404 (no such server), 422 (no host yet) or 400 (a
// tag-required event without a tag), and the whole answer is 207 when any one failed.
//
// Kova has no Neutron, Cinder or Ironic whose operations wait for these events, so an accepted
// event changes nothing; the answer is Nova's all the same.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { SERVERS } from '../../../operator/src/controllers/server.ts';
import { COMPUTE_PREFIX, type GatewayContext, enforce, principalOf } from '../context.ts';
import { type Schema, validateBody } from '../validation.ts';

const POLICY = 'os_compute_api:os-server-external-events:create';
const TAG_REQUIRED = ['volume-extended', 'power-update', 'accelerator-request-bound'];
const NAMES_V20 = ['network-changed', 'network-vif-plugged', 'network-vif-unplugged', 'network-vif-deleted'];

const schema = (names: string[]): Schema => ({
  type: 'object',
  properties: {
    events: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: {
          server_uuid: { type: 'string', format: 'uuid' },
          name: { type: 'string', enum: names },
          status: { type: 'string', enum: ['failed', 'completed', 'in-progress'] },
          tag: { type: 'string', maxLength: 255 },
        },
        required: ['server_uuid', 'name'],
        additionalProperties: false,
      },
    },
  },
  required: ['events'],
  additionalProperties: false,
});

export const EXTERNAL_EVENT_SCHEMAS = [
  { max: '2.50', schema: schema(NAMES_V20) },
  { min: '2.51', max: '2.75', schema: schema([...NAMES_V20, 'volume-extended']) },
  { min: '2.76', max: '2.81', schema: schema([...NAMES_V20, 'volume-extended', 'power-update']) },
  {
    min: '2.82',
    max: '2.92',
    schema: schema([...NAMES_V20, 'volume-extended', 'power-update', 'accelerator-request-bound']),
  },
  {
    min: '2.93',
    schema: schema([
      ...NAMES_V20,
      'volume-extended',
      'power-update',
      'accelerator-request-bound',
      'volume-reimaged',
    ]),
  },
];

export interface ExternalEvent {
  server_uuid: string;
  name: string;
  status?: string;
  tag?: string;
  code?: number;
}

/** Each event's status and code as Nova sets them, and the answer's status (200 or 207). */
export function eventResults(
  events: ExternalEvent[],
  serverOf: (uuid: string) => Server | undefined,
): { code: 200 | 207; events: ExternalEvent[] } {
  let code: 200 | 207 = 200;
  const out = events.map((e) => {
    const s = serverOf(e.server_uuid);
    let result: { status: string; code: number };
    if (!s) result = { status: 'failed', code: 404 };
    else if (TAG_REQUIRED.includes(e.name) && e.tag === undefined) result = { status: 'failed', code: 400 };
    else if (s.status?.host) result = { status: 'completed', code: 200 };
    else result = { status: 'failed', code: 422 };
    if (result.code !== 200) code = 207;
    return { ...e, ...result };
  });
  return { code, events: out };
}

export function registerExternalEvents(app: FastifyInstance, ctx: GatewayContext): void {
  app.post(
    `${COMPUTE_PREFIX}/os-server-external-events`,
    async (request: FastifyRequest, reply: FastifyReply) => {
      const body = validateBody<{ events: ExternalEvent[] }>(request, EXTERNAL_EVENT_SCHEMAS);
      const p = principalOf(request);
      enforce(p, POLICY, 'admin');
      await ctx.authorize(p, 'list', SERVERS, undefined, POLICY);
      const servers = (await ctx.caches.get<Server>(SERVERS)).list();
      const { code, events } = eventResults(body.events, (uuid) =>
        servers.find((s) => s.metadata.uid === uuid),
      );
      return reply.code(code).send({ events });
    },
  );
}
