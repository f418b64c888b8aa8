// os-availability-zone (nova/api/openstack/compute/availability_zone.py, nova/availability_zones.py):
// a zone is available when an enabled nova-compute service is in it; the detail (admins) lists
// each available zone's enabled hosts and their services.
import type { FastifyInstance } from 'fastify';
import { COMPUTE_PREFIX, type GatewayContext, enforce, principalOf } from '../context.ts';
import { novaTime } from '../compute/common.ts';
import { COMPUTE_HOSTS } from '../../../operator/src/controllers/computehost.ts';
import { COMPUTE_BINARY, adminRead, hostsAndZones, serviceIsUp } from './hosts.ts';

const POLICY = 'os_compute_api:os-availability-zone';

export function registerZones(app: FastifyInstance, ctx: GatewayContext): void {
  const P = `${COMPUTE_PREFIX}/os-availability-zone`;

  /** get_availability_zones: zones with an enabled service, then zones with only disabled ones. */
  async function zones() {
    const { hosts, zoneOf } = await hostsAndZones(ctx);
    const enabled = hosts.filter((h) => !h.spec.disabled);
    const available = [...new Set(enabled.map((h) => zoneOf(h.metadata.name!)))].sort();
    const unavailable = [...new Set(hosts.map((h) => zoneOf(h.metadata.name!)))]
      .filter((z) => !available.includes(z))
      .sort();
    return { enabled, zoneOf, available, unavailable };
  }

  app.get(P, async (request) => {
    enforce(principalOf(request), `${POLICY}:list`, 'any');
    const { available, unavailable } = await zones();
    return {
      availabilityZoneInfo: [
        ...available.map((zoneName) => ({ zoneName, zoneState: { available: true }, hosts: null })),
        ...unavailable.map((zoneName) => ({ zoneName, zoneState: { available: false }, hosts: null })),
      ],
    };
  });

  app.get(`${P}/detail`, async (request) => {
    await adminRead(ctx, request, `${POLICY}:detail`, COMPUTE_HOSTS);
    const { enabled, zoneOf, available, unavailable } = await zones();
    return {
      availabilityZoneInfo: [
        ...available.map((zoneName) => ({
          zoneName,
          zoneState: { available: true },
          hosts: Object.fromEntries(
            enabled
              .filter((h) => zoneOf(h.metadata.name!) === zoneName)
              .map((h) => [
                h.metadata.name!,
                {
                  [COMPUTE_BINARY]: {
                    available: serviceIsUp(h),
                    active: true,
                    updated_at: novaTime(h.status?.lastHeartbeatTime),
                  },
                },
              ]),
          ),
        })),
        ...unavailable.map((zoneName) => ({ zoneName, zoneState: { available: false }, hosts: null })),
      ],
    };
  });
}
