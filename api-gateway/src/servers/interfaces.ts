// A server's network side without Neutron: os-interface (attach_interfaces.py) and the server's
// security groups (security_groups.py: GET /servers/{id}/os-security-groups, the
// addSecurityGroup / removeSecurityGroup actions).
//
// - Interfaces: one port per MAC address of the server's addresses (status.addresses), with ids
//   derived from the server and the MAC (stable, as a Neutron port id is); net_id and subnet_id
//   from the network label. No Kova driver hot-plugs NICs (ComputeDriver.attach_interface), so an
//   attach answers Nova's AttachInterfaceNotSupported (400) and a detach of a port the server has
//   Nova's 501 for a driver's NotImplementedError; a port it has not is 404.
// - Security groups: names kept on the Server (spec.securityGroups; absent: default). Kova has no
//   security group objects nor rules: any name is accepted, the groups are listed with no rules,
//   and a server without ports (networks none) has none, as Neutron's add_to_instance finds no port.
import type { VmState } from '../../../operator/src/compute/states.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { derivedUuid } from '../compute/common.ts';
import { COMPUTE_PREFIX, type GatewayContext, enforce, principalOf } from '../context.ts';
import { ApiError } from '../errors.ts';
import { APIVersionRequest } from '../microversion.ts';
import { type Schema, validateBody } from '../validation.ts';
import type { OwnAction, ServerAccess } from './actions.ts';
import { types } from './validation.ts';
import { serverId, stateOf } from './view.ts';
import { stateRefusal } from '../../../operator/src/compute/actions.ts';

type Json = Record<string, unknown>;

/** A MAC in Neutron's default base (fa:16:3e) for an address whose driver reported none. */
export function derivedMac(...parts: string[]): string {
  const h = derivedUuid('mac', ...parts).replace(/-/g, '');
  return `fa:16:3e:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}`;
}

/** The server's ports: its addresses grouped by MAC (or network, when no MAC is known). */
export function portsOf(s: Server, withTag: boolean): Json[] {
  const ports = new Map<string, Json & { fixed_ips: Json[] }>();
  for (const a of s.status?.addresses ?? []) {
    if (a.type !== 'fixed') continue;
    const key = a.macAddr ?? a.network;
    let port = ports.get(key);
    if (!port) {
      port = {
        net_id: derivedUuid('network', a.network),
        port_id: derivedUuid('port', serverId(s), key),
        mac_addr: a.macAddr ?? derivedMac(serverId(s), a.network),
        port_state: 'ACTIVE',
        fixed_ips: [],
        ...(withTag ? { tag: null } : {}),
      };
      ports.set(key, port);
    }
    port.fixed_ips.push({
      subnet_id: derivedUuid('subnet', a.network, String(a.version)),
      ip_address: a.addr,
    });
  }
  return [...ports.values()];
}

/** A security group as Nova's _format_security_group shows it (no rules: Kova enforces none). */
export function securityGroupView(name: string, projectId: string): Json {
  return {
    id: derivedUuid('security-group', projectId, name),
    name,
    description: name === 'default' ? 'Default security group' : '',
    tenant_id: projectId,
    rules: [],
  };
}

export const groupsOf = (s: Server): string[] =>
  s.spec.networks.allocation === 'none' ? [] : (s.spec.securityGroups ?? ['default']);

const ATTACH = (withTag: boolean): Schema => ({
  type: 'object',
  properties: {
    interfaceAttachment: {
      type: 'object',
      properties: {
        net_id: { type: 'string', format: 'uuid' },
        port_id: { type: 'string', format: 'uuid' },
        fixed_ips: {
          type: 'array',
          minItems: 1,
          maxItems: 1,
          items: {
            type: 'object',
            properties: { ip_address: types.ipAddress },
            required: ['ip_address'],
            additionalProperties: false,
          },
        },
        ...(withTag ? { tag: types.tag } : {}),
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
});
export const ATTACH_SCHEMAS = [
  { max: '2.48', schema: ATTACH(false) },
  { min: '2.49', schema: ATTACH(true) },
];

/** compute.API.attach_interface / detach_interface's vm_states (task_state None). */
const INTERFACE_STATES: readonly string[] = ['active', 'paused', 'stopped'] satisfies VmState[];

type Req = FastifyRequest<{ Params: { id: string; port: string }; Body: unknown }>;

export function registerInterfaces(
  app: FastifyInstance,
  ctx: GatewayContext,
  access: ServerAccess,
): Record<string, OwnAction> {
  const P = `${COMPUTE_PREFIX}/servers/:id/os-interface`;
  const AI = (rule: string) => `os_compute_api:os-attach-interfaces:${rule}`;
  const SG = (rule: string) => `os_compute_api:os-security-groups:${rule}`;
  const versionOf = (r: FastifyRequest) => r.microversion ?? APIVersionRequest.parse('2.1');
  const projectIdOf = (s: Server) =>
    ctx.identity.projectByName(s.metadata.namespace!)?.id ?? s.metadata.namespace!;

  app.get(P, async (request: Req) => {
    const p = principalOf(request);
    const s = await access.findServer(p, request.params.id);
    enforce(p, AI('list'), 'project_reader');
    return { interfaceAttachments: portsOf(s, versionOf(request).compare('2.70') >= 0) };
  });

  app.get(`${P}/:port`, async (request: Req) => {
    const p = principalOf(request);
    const s = await access.findServer(p, request.params.id);
    enforce(p, AI('show'), 'project_reader');
    const port = portsOf(s, versionOf(request).compare('2.70') >= 0).find(
      (x) => x.port_id === request.params.port,
    );
    if (!port) throw new ApiError(404, `Port id ${request.params.port} could not be found.`);
    return { interfaceAttachment: port };
  });

  /** compute.API.attach_interface / detach_interface: lock, then vm_state active, paused or stopped. */
  function checkAttachable(p: { isAdmin: boolean }, s: Server, method: string): void {
    if (s.spec.locked && !p.isAdmin) throw new ApiError(409, `Instance ${serverId(s)} is locked`);
    const refused = stateRefusal(method, stateOf(s), INTERFACE_STATES);
    if (refused) throw new ApiError(409, refused);
  }

  app.post(P, async (request: Req) => {
    const body = validateBody<{ interfaceAttachment?: Json }>(request, ATTACH_SCHEMAS);
    const p = principalOf(request);
    const s = await access.findServer(p, request.params.id);
    enforce(p, AI('create'), 'project_member');
    const a = body?.interfaceAttachment ?? {};
    if (a.net_id && a.port_id) throw new ApiError(400, 'Must not input both network_id and port_id');
    if (Array.isArray(a.fixed_ips) && a.fixed_ips.length && !a.net_id) {
      throw new ApiError(400, 'Must input network_id when request IP address');
    }
    checkAttachable(p, s, 'attach_interface');
    throw new ApiError(400, `Attaching interfaces is not supported for instance ${serverId(s)}.`);
  });

  app.delete(`${P}/:port`, async (request: Req) => {
    const p = principalOf(request);
    const s = await access.findServer(p, request.params.id);
    enforce(p, AI('delete'), 'project_member');
    checkAttachable(p, s, 'detach_interface');
    if (!portsOf(s, false).some((x) => x.port_id === request.params.port)) {
      throw new ApiError(404, `Port ${request.params.port} is not attached`);
    }
    throw new ApiError(501, 'The requested functionality is not supported.');
  });

  app.get(`${COMPUTE_PREFIX}/servers/:id/os-security-groups`, async (request: Req) => {
    const p = principalOf(request);
    const s = await access.findServer(p, request.params.id);
    enforce(p, SG('list'), 'project_reader');
    const project = projectIdOf(s);
    return {
      security_groups: groupsOf(s)
        .map((name) => securityGroupView(name, project))
        .sort((a, b) => String(a.name).localeCompare(String(b.name))),
    };
  });

  /** SecurityGroupActionController._parse. */
  function groupName(body: unknown, key: string): string {
    const v = (body as Record<string, unknown>)[key];
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new ApiError(400, 'Missing parameter dict');
    const name = (v as Record<string, unknown>).name;
    if (name === undefined) throw new ApiError(400, 'Security group not specified');
    if (!name || String(name).trim() === '') throw new ApiError(400, 'Security group name cannot be empty');
    return String(name);
  }

  const change =
    (key: 'addSecurityGroup' | 'removeSecurityGroup'): OwnAction =>
    async (request, reply) => {
      const p = principalOf(request);
      const s = await access.findServer(p, request.params.id);
      const add = key === 'addSecurityGroup';
      enforce(p, SG(add ? 'add' : 'remove'), 'project_member');
      const name = groupName(request.body, key);
      if (s.spec.networks.allocation === 'none') {
        throw new ApiError(404, `instance_id ${serverId(s)} could not be found as device id on any ports`);
      }
      const groups = groupsOf(s);
      if (add && groups.includes(name)) {
        throw new ApiError(
          400,
          `Security group ${name} is already associated with the instance ${serverId(s)}`,
        );
      }
      if (!add && !groups.includes(name)) {
        throw new ApiError(400, `Security group ${name} not associated with the instance ${serverId(s)}`);
      }
      const next = add ? [...groups, name] : groups.filter((g) => g !== name);
      await access.patchServer(p, s, { spec: { securityGroups: next } }, SG(add ? 'add' : 'remove'));
      return reply.code(202).send();
    };
  return { addSecurityGroup: change('addSecurityGroup'), removeSecurityGroup: change('removeSecurityGroup') };
}
