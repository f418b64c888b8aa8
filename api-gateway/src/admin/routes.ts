// The admin part of the compute API: os-aggregates, os-availability-zone, os-hypervisors and
// os-services, on Aggregate and ComputeHost objects (and the servers on the hosts).
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.ts';
import { registerAggregates } from './aggregates.ts';

export function registerAdmin(app: FastifyInstance, ctx: GatewayContext): void {
  registerAggregates(app, ctx);
}
