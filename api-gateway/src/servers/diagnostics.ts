// GET /servers/{id}/diagnostics (server_diagnostics.py; admin): a `diagnostics` ServerAction asks
// the server's driver (get_instance_diagnostics) and carries the answer back. From 2.48 Nova's
// standard shape (views/server_diagnostics.py); before, the driver's own flat dict, which Kova
// derives from the same numbers as Nova's libvirt driver names them (cpu0_time, memory, vda_read,
// vnet0_rx, ...). No host yet: Nova's 409 InstanceNotReady; a driver without diagnostics: 501.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { InstanceDiagnostics } from '../../../operator/src/drivers/driver.ts';
import { COMPUTE_PREFIX, type GatewayContext, enforce, principalOf } from '../context.ts';
import { APIVersionRequest } from '../microversion.ts';
import { type ServerAccess, submitAction } from './actions.ts';
import { serverId } from './view.ts';

const POLICY = 'os_compute_api:os-server-diagnostics';
type Json = Record<string, unknown>;

const CPU = ['id', 'time', 'utilisation'] as const;
const NIC = [
  'mac_address',
  'rx_octets',
  'rx_errors',
  'rx_drop',
  'rx_packets',
  'rx_rate',
  'tx_octets',
  'tx_errors',
  'tx_drop',
  'tx_packets',
  'tx_rate',
] as const;
const DISK = ['read_bytes', 'read_requests', 'write_bytes', 'write_requests', 'errors_count'] as const;

const pick = (o: Record<string, unknown> | undefined, keys: readonly string[]): Json =>
  Object.fromEntries(keys.map((k) => [k, o?.[k] ?? null]));

/** ViewBuilder.instance_diagnostics: every field, null where the driver gave none. */
export function diagnosticsView(d: Partial<InstanceDiagnostics>): Json {
  return {
    ...pick(d as Json, [
      'state',
      'driver',
      'hypervisor',
      'hypervisor_os',
      'uptime',
      'config_drive',
      'num_cpus',
      'num_nics',
      'num_disks',
    ]),
    disk_details: (d.disk_details ?? []).map((x) => pick(x as unknown as Json, DISK)),
    cpu_details: (d.cpu_details ?? []).map((x) => pick(x as unknown as Json, CPU)),
    nic_details: (d.nic_details ?? []).map((x) => pick(x as unknown as Json, NIC)),
    memory_details: pick(d.memory_details, ['maximum', 'used']),
  };
}

/** The pre-2.48 answer: the driver's flat dict, with libvirt's key names. */
export function legacyDiagnostics(d: Partial<InstanceDiagnostics>): Json {
  const out: Json = {};
  (d.cpu_details ?? []).forEach((c, i) => {
    if (c.time !== null) out[`cpu${c.id ?? i}_time`] = c.time;
  });
  if (d.memory_details?.maximum != null) out.memory = d.memory_details.maximum * 1024;
  if (d.memory_details?.used != null) out['memory-actual'] = d.memory_details.used * 1024;
  (d.disk_details ?? []).forEach((x, i) => {
    const dev = `vd${String.fromCharCode(97 + i)}`;
    out[`${dev}_read`] = x.read_bytes;
    out[`${dev}_read_req`] = x.read_requests;
    out[`${dev}_write`] = x.write_bytes;
    out[`${dev}_write_req`] = x.write_requests;
    out[`${dev}_errors`] = x.errors_count ?? -1;
  });
  (d.nic_details ?? []).forEach((n, i) => {
    const dev = `vnet${i}`;
    out[`${dev}_rx`] = n.rx_octets;
    out[`${dev}_rx_drop`] = n.rx_drop;
    out[`${dev}_rx_errors`] = n.rx_errors;
    out[`${dev}_rx_packets`] = n.rx_packets;
    out[`${dev}_tx`] = n.tx_octets;
    out[`${dev}_tx_drop`] = n.tx_drop;
    out[`${dev}_tx_errors`] = n.tx_errors;
    out[`${dev}_tx_packets`] = n.tx_packets;
  });
  return out;
}

type Req = FastifyRequest<{ Params: { id: string } }>;

export function registerDiagnostics(app: FastifyInstance, ctx: GatewayContext, access: ServerAccess): void {
  app.get(`${COMPUTE_PREFIX}/servers/:id/diagnostics`, async (request: Req) => {
    const p = principalOf(request);
    const version = request.microversion ?? APIVersionRequest.parse('2.1');
    const s = await access.findServer(p, request.params.id);
    enforce(p, POLICY, 'admin');
    const record = await submitAction(ctx, p, s, {
      action: 'diagnostics',
      policy: POLICY,
      requestId: request.id,
      untilDone: true,
      refusal: (m) =>
        /has no host/.test(m)
          ? { code: 409, message: `Instance ${serverId(s)} is not ready` }
          : /is not supported by the \S+ driver/.test(m)
            ? { code: 501, message: 'The requested functionality is not supported.' }
            : {},
    });
    const d = (record?.status?.diagnostics ?? {}) as Partial<InstanceDiagnostics>;
    return version.compare('2.48') >= 0 ? diagnosticsView(d) : legacyDiagnostics(d);
  });
}
