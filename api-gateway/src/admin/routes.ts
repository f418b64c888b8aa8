// The admin part of the compute API: os-aggregates, os-availability-zone, os-hypervisors and
// os-services (and the deprecated os-hosts), on Aggregate and ComputeHost objects (and the servers on the hosts).
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.ts';
import { registerAggregates } from './aggregates.ts';
import { registerHypervisors } from './hypervisors.ts';
import { registerOsHosts } from './oshosts.ts';
import { registerServices } from './services.ts';
import { registerZones } from './zones.ts';

export function registerAdmin(app: FastifyInstance, ctx: GatewayContext): void {
  registerAggregates(app, ctx);
  registerZones(app, ctx);
  registerHypervisors(app, ctx);
  registerServices(app, ctx);
  registerOsHosts(app, ctx);
}
