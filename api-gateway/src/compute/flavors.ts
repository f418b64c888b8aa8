// (being written)
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.ts';

export function registerFlavors(_app: FastifyInstance, _ctx: GatewayContext): void {}
