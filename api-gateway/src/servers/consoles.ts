// Remote consoles (remote_consoles.py): POST /servers/{id}/remote-consoles (2.6+; mks 2.8) and the
// 2.1–2.5 actions os-getVNCConsole, os-getSPICEConsole, os-getRDPConsole, os-getSerialConsole.
//
// A console URL needs a console proxy (nova-novncproxy, nova-serialproxy) in front of the
// hypervisor's console; Kova runs none and its drivers expose no console endpoint (the text
// console is os-getConsoleOutput). Nova's compute manager answers that case, [vnc]/[serial_console]
// enabled = False, with ConsoleTypeUnavailable: the API's 400 "Unavailable console type <type>.",
// after the instance (404), policy (403) and host (409 InstanceNotReady) checks.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { COMPUTE_PREFIX, enforce, principalOf } from '../context.ts';
import { ApiError, NOT_FOUND_MESSAGE } from '../errors.ts';
import { APIVersionRequest } from '../microversion.ts';
import { type Schema, validateBody } from '../validation.ts';
import type { OwnAction, ServerAccess } from './actions.ts';
import { serverId } from './view.ts';

const POLICY = 'os_compute_api:os-remote-consoles';

const legacy = (key: string, types: string[]): Schema => ({
  type: 'object',
  properties: {
    [key]: {
      type: 'object',
      properties: { type: { type: 'string', enum: types } },
      required: ['type'],
      additionalProperties: false,
    },
  },
  required: [key],
  additionalProperties: false,
});

/** The 2.1–2.5 actions and the console types each accepts. */
export const CONSOLE_ACTIONS: Record<string, Schema> = {
  'os-getVNCConsole': legacy('os-getVNCConsole', ['novnc', 'xvpvnc']),
  'os-getSPICEConsole': legacy('os-getSPICEConsole', ['spice-html5']),
  'os-getRDPConsole': legacy('os-getRDPConsole', ['rdp-html5']),
  'os-getSerialConsole': legacy('os-getSerialConsole', ['serial']),
};

const create = (protocols: string[], types: string[]): Schema => ({
  type: 'object',
  properties: {
    remote_console: {
      type: 'object',
      properties: {
        protocol: { type: 'string', enum: protocols },
        type: { type: 'string', enum: types },
      },
      required: ['protocol', 'type'],
      additionalProperties: false,
    },
  },
  required: ['remote_console'],
  additionalProperties: false,
});

export const REMOTE_CONSOLE_SCHEMAS = [
  {
    min: '2.6',
    max: '2.7',
    schema: create(
      ['vnc', 'spice', 'rdp', 'serial'],
      ['novnc', 'xvpvnc', 'rdp-html5', 'spice-html5', 'serial'],
    ),
  },
  {
    min: '2.8',
    max: '2.98',
    schema: create(
      ['vnc', 'spice', 'rdp', 'serial', 'mks'],
      ['novnc', 'xvpvnc', 'rdp-html5', 'spice-html5', 'serial', 'webmks'],
    ),
  },
  {
    // 2.99 (master): the spice-direct type (a direct SPICE connection, its TLS port in the token).
    min: '2.99',
    schema: create(
      ['vnc', 'spice', 'rdp', 'serial', 'mks'],
      ['novnc', 'xvpvnc', 'rdp-html5', 'spice-html5', 'serial', 'webmks', 'spice-direct'],
    ),
  },
];

/** What compute.API.get_*_console and the manager answer for a server: Kova has no console proxy. */
export function consoleRefusal(s: Server, type: string): ApiError {
  if (!s.status?.host) return new ApiError(409, `Instance ${serverId(s)} is not ready`);
  const task = s.status.taskState;
  if (task === 'deleting' || task === 'migrating') {
    return new ApiError(
      409,
      `Cannot 'get_vnc_console' instance ${serverId(s)} while it is in task_state ${task}`,
    );
  }
  return new ApiError(400, `Unavailable console type ${type}.`);
}

type Req = FastifyRequest<{ Params: { id: string }; Body: unknown }>;

export function registerConsoles(app: FastifyInstance, access: ServerAccess): Record<string, OwnAction> {
  app.post(`${COMPUTE_PREFIX}/servers/:id/remote-consoles`, async (request: Req) => {
    const version = request.microversion ?? APIVersionRequest.parse('2.1');
    if (version.compare('2.6') < 0) throw new ApiError(404, NOT_FOUND_MESSAGE);
    const body = validateBody<{ remote_console: { protocol: string; type: string } }>(
      request,
      REMOTE_CONSOLE_SCHEMAS,
    );
    const p = principalOf(request);
    const s = await access.findServer(p, request.params.id);
    enforce(p, POLICY, 'project_member');
    throw consoleRefusal(s, body.remote_console.type);
  });

  const action =
    (key: string): OwnAction =>
    async (request, _reply, version) => {
      if (version.compare('2.5') > 0) throw new ApiError(404, NOT_FOUND_MESSAGE);
      const body = validateBody<Record<string, { type: string }>>(request, CONSOLE_ACTIONS[key]!);
      const p = principalOf(request);
      enforce(p, POLICY, 'project_member');
      const s = await access.findServer(p, request.params.id);
      throw consoleRefusal(s, body[key]!.type);
    };
  return Object.fromEntries(Object.keys(CONSOLE_ACTIONS).map((k) => [k, action(k)]));
}
