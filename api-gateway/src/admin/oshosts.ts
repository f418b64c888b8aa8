// os-hosts (nova/api/openstack/compute/hosts.py, schemas/hosts.py), deprecated from 2.43 (404
// after): the compute hosts (ComputeHost objects) with their zone, a host's resources (total, used
// now, used by its servers' flavors, per project), and its enabled status, which is the
// ComputeHost's spec.disabled as os-services sets it. Maintenance mode and host power actions go
// to the virt driver in Nova; no driver of Kova's has them: Nova's 501 for such a driver.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeHost, Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { COMPUTE_HOSTS } from '../../../operator/src/controllers/computehost.ts';
import { SERVERS } from '../../../operator/src/controllers/server.ts';
import { objectPath } from '../../../operator/src/kube/resources.ts';
import { COMPUTE_PREFIX, type GatewayContext, enforce, kubeError, principalOf } from '../context.ts';
import { ApiError } from '../errors.ts';
import { type Schema, querySchema, validateBody, validateQuery } from '../validation.ts';
import { adminRead, hostsAndZones, onlyIn } from './hosts.ts';
import { nodeFigures } from './hypervisors.ts';

const POLICY = 'os_compute_api:os-hosts';
const ENABLE: Schema = {
  type: 'string',
  enum: ['enable', 'disable', 'Enable', 'Disable', 'ENABLE', 'DISABLE'],
};
// Nova's schema has its anyOf inside `properties`, where it constrains nothing: an empty body passes.
export const UPDATE: Schema = {
  type: 'object',
  properties: { status: ENABLE, maintenance_mode: ENABLE },
  additionalProperties: false,
};
const INDEX_QUERY = querySchema({ zone: { type: 'string' } });
const NOT_SUPPORTED = 'The requested functionality is not supported.';

type Resource = { host: string; project: string; cpu: number; memory_mb: number; disk_gb: number };

export function registerOsHosts(app: FastifyInstance, ctx: GatewayContext): void {
  const P = `${COMPUTE_PREFIX}/os-hosts`;
  const deprecated = (request: FastifyRequest) => onlyIn(!(request.microversion?.matches('2.43') ?? false));

  async function hostNamed(name: string, message: string): Promise<ComputeHost> {
    const ch = (await ctx.caches.get<ComputeHost>(COMPUTE_HOSTS)).get(name);
    if (!ch) throw new ApiError(404, message);
    return ch;
  }

  app.get(P, async (request) => {
    deprecated(request);
    await adminRead(ctx, request, `${POLICY}:list`, COMPUTE_HOSTS);
    const q = validateQuery(request, INDEX_QUERY);
    const { hosts, zoneOf } = await hostsAndZones(ctx);
    // service_get_all(filters={'disabled': False, 'availability_zone': zone}).
    const listed = hosts
      .filter((h) => !h.spec.disabled)
      .map((h) => ({ host_name: h.metadata.name!, service: 'compute', zone: zoneOf(h.metadata.name!) }))
      .filter((h) => !q.zone || h.zone === q.zone);
    return { hosts: listed };
  });

  app.get<{ Params: { id: string } }>(`${P}/:id`, async (request) => {
    deprecated(request);
    await adminRead(ctx, request, `${POLICY}:show`, COMPUTE_HOSTS);
    const name = request.params.id;
    const ch = await hostNamed(name, `Compute host ${name} could not be found.`);
    const servers = (await ctx.caches.get<Server>(SERVERS)).list().filter((s) => s.status?.host === name);
    const f = nodeFigures(ch, servers);
    const row = (project: string, cpu: number, memory_mb: number, disk_gb: number): Resource => ({
      host: name,
      project,
      cpu,
      memory_mb,
      disk_gb,
    });
    const byProject = new Map<string, Resource>();
    const max = row('(used_max)', 0, 0, 0);
    for (const s of servers) {
      const fl = s.status?.flavor;
      if (!fl) continue;
      const project = ctx.identity.projectByName(s.metadata.namespace!)?.id ?? s.metadata.namespace!;
      const r = byProject.get(project) ?? row(project, 0, 0, 0);
      for (const t of [r, max]) {
        t.cpu += fl.vcpus;
        t.memory_mb += fl.ram;
        t.disk_gb += fl.disk + (fl.ephemeral ?? 0);
      }
      byProject.set(project, r);
    }
    const resources = [
      row('(total)', f.vcpus, f.memory_mb, f.local_gb),
      row('(used_now)', f.vcpus_used, f.memory_mb_used, f.local_gb_used),
      max,
      ...byProject.values(),
    ];
    return { host: resources.map((resource) => ({ resource })) };
  });

  app.put<{ Params: { id: string } }>(`${P}/:id`, async (request) => {
    deprecated(request);
    const body = validateBody<{ status?: string; maintenance_mode?: string }>(request, UPDATE);
    const p = principalOf(request);
    enforce(p, `${POLICY}:update`, 'admin');
    const name = request.params.id;
    const result: Record<string, string> = { host: name };
    if (body.status !== undefined) {
      const ch = await hostNamed(name, `Host ${name} could not be found.`);
      const enabled = body.status.trim().toLowerCase() === 'enable';
      try {
        const written = await ctx.clientFor(p).patch<ComputeHost>(objectPath(COMPUTE_HOSTS, name), {
          spec: { disabled: !enabled, ...(enabled ? { disabledReason: null } : {}) },
        });
        await (await ctx.caches.get<ComputeHost>(COMPUTE_HOSTS)).observe(written);
      } catch (e) {
        kubeError(e, `${POLICY}:update`, `Host ${ch.metadata.name} could not be found.`);
      }
      result.status = enabled ? 'enabled' : 'disabled';
    }
    if (body.maintenance_mode !== undefined) {
      await hostNamed(name, `Host ${name} could not be found.`);
      throw new ApiError(501, NOT_SUPPORTED);
    }
    return result;
  });

  for (const [action, rule] of [
    ['startup', 'start'],
    ['shutdown', 'shutdown'],
    ['reboot', 'reboot'],
  ] as const) {
    app.get<{ Params: { id: string } }>(`${P}/:id/${action}`, async (request) => {
      deprecated(request);
      enforce(principalOf(request), `${POLICY}:${rule}`, 'admin');
      await hostNamed(request.params.id, `Host ${request.params.id} could not be found.`);
      throw new ApiError(501, NOT_SUPPORTED);
    });
  }
}
