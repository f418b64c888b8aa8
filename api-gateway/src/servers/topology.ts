// GET /servers/{id}/topology (server_topology.py, 2.78+): the instance's NUMA topology, which Nova
// derives from the flavor (hardware.numa_get_constraints): hw:numa_nodes (cells split evenly, or
// hw:numa_cpus.N / hw:numa_mem.N), hw:cpu_policy=dedicated or hw:mem_page_size (one cell). No such
// extra spec: no topology ({nodes: [], pagesize_kb: null}). Admins (host:index) also see
// host_node and cpu_pinning; Kova pins no host CPUs, so cpu_pinning is always {}.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { COMPUTE_PREFIX, allows, enforce, principalOf } from '../context.ts';
import { ApiError, NOT_FOUND_MESSAGE } from '../errors.ts';
import { APIVersionRequest } from '../microversion.ts';
import type { ServerAccess } from './actions.ts';

type FlavorCopy = NonNullable<NonNullable<Server['status']>['flavor']>;

/** hw:numa_cpus.N's syntax: "0-3,^2,5". */
export function parseCpuSet(spec: string): number[] {
  const set = new Set<number>();
  const excluded = new Set<number>();
  for (const part of spec.split(',').map((p) => p.trim())) {
    if (!part) continue;
    const target = part.startsWith('^') ? excluded : set;
    const [a, b] = part.replace('^', '').split('-').map(Number) as [number, number | undefined];
    for (let i = a; i <= (b ?? a); i++) target.add(i);
  }
  return [...set].filter((c) => !excluded.has(c)).sort((x, y) => x - y);
}

/** hw:mem_page_size in KiB: small 4, large/any 2048 (x86's huge page), or a size with a unit. */
export function pageSizeKb(spec: string | undefined): number | null {
  if (!spec) return null;
  const s = spec.trim().toLowerCase();
  if (s === 'small') return 4;
  if (s === 'large' || s === 'any') return 2048;
  const m = /^(\d+)\s*(k|kb|kib|m|mb|mib|g|gb|gib)?$/.exec(s);
  if (!m) return null;
  const unit = (m[2] ?? 'k')[0]!;
  return Number(m[1]) * (unit === 'g' ? 1024 * 1024 : unit === 'm' ? 1024 : 1);
}

export interface TopologyCell {
  vcpu_set: number[];
  siblings: number[][];
  memory_mb: number;
  host_node?: number;
  cpu_pinning?: Record<string, number>;
}

/** The topology view for a flavor; withHost: host_node and cpu_pinning (admins). */
export function topologyView(
  flavor: FlavorCopy | undefined,
  withHost: boolean,
): { nodes: TopologyCell[]; pagesize_kb: number | null } {
  const specs = flavor?.extraSpecs ?? {};
  const nodes = Number(specs['hw:numa_nodes'] ?? 0);
  const dedicated = specs['hw:cpu_policy'] === 'dedicated';
  const pagesize = pageSizeKb(specs['hw:mem_page_size']);
  if (!flavor || (!(nodes > 0) && !dedicated && pagesize === null)) return { nodes: [], pagesize_kb: null };
  const count = nodes > 0 ? nodes : 1;
  const threads = dedicated ? Number(specs['hw:cpu_threads'] ?? 1) : 1;
  const cells: TopologyCell[] = [];
  for (let id = 0; id < count; id++) {
    const per = Math.floor(flavor.vcpus / count);
    const cpus = specs[`hw:numa_cpus.${id}`]
      ? parseCpuSet(specs[`hw:numa_cpus.${id}`]!)
      : Array.from({ length: per }, (_, i) => id * per + i);
    const memory = specs[`hw:numa_mem.${id}`]
      ? Number(specs[`hw:numa_mem.${id}`])
      : Math.floor(flavor.ram / count);
    const siblings: number[][] = [];
    if (threads > 1)
      for (let i = 0; i + threads <= cpus.length; i += threads) siblings.push(cpus.slice(i, i + threads));
    cells.push({
      vcpu_set: cpus,
      siblings,
      memory_mb: memory,
      ...(withHost ? { host_node: id, cpu_pinning: {} } : {}),
    });
  }
  return { nodes: cells, pagesize_kb: pagesize };
}

type Req = FastifyRequest<{ Params: { id: string } }>;

export function registerServerTopology(app: FastifyInstance, access: ServerAccess): void {
  app.get(`${COMPUTE_PREFIX}/servers/:id/topology`, async (request: Req) => {
    const version = request.microversion ?? APIVersionRequest.parse('2.1');
    if (version.compare('2.78') < 0) throw new ApiError(404, NOT_FOUND_MESSAGE);
    const p = principalOf(request);
    const s = await access.findServer(p, request.params.id);
    enforce(p, 'os_compute_api:server-topology:index', 'project_reader');
    return topologyView(s.status?.flavor, allows(p, 'admin'));
  });
}
