// The removed APIs of Nova's route table (agents, cells, certificates, cloudpipe, fixed IPs,
// floating-IP DNS and bulk, fping, security-group default rules, the nova-network writes of
// os-networks/os-tenant-networks, server consoles, virtual interfaces): at every microversion,
// with no policy check and whatever the body, Nova raises webob's HTTPGone, a 410 computeFault.
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { NOVA_ROUTES } from '../coverage/novaroutes.ts';
import { fastifyPath } from '../coverage/routetable.ts';

/** webob.exc.HTTPGone's explanation, which Nova's Fault sends as the message. */
export const GONE_MESSAGE = 'This resource is no longer available. No forwarding address is given.';

export const gone = (): ApiError => new ApiError(410, GONE_MESSAGE);

export function registerRemoved(app: FastifyInstance, _ctx: GatewayContext): void {
  for (const route of NOVA_ROUTES) {
    if (!route.removed) continue;
    app.route({
      method: route.method,
      url: fastifyPath(route.path),
      handler: async () => {
        throw gone();
      },
    });
  }
}
