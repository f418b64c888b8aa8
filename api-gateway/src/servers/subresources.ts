// The server sub-resources beyond metadata, addresses and actions, one module per concept:
// tags, topology, password, diagnostics, remote consoles, migrations (and os-migrations),
// external events, createBackup, os-interface and security groups, os-volume_attachments. Returns the action keys these modules answer themselves (OwnAction).
import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.ts';
import type { OwnAction, ServerAccess } from './actions.ts';
import { registerBackup } from './backup.ts';
import { registerConsoles } from './consoles.ts';
import { registerDiagnostics } from './diagnostics.ts';
import { registerExternalEvents } from './events.ts';
import { registerInterfaces } from './interfaces.ts';
import { registerMigrations } from './migrations.ts';
import { registerServerPassword } from './password.ts';
import { registerServerTags } from './tags.ts';
import { registerServerTopology } from './topology.ts';
import { registerVolumeAttachments } from './volumes.ts';

export function registerSubresources(
  app: FastifyInstance,
  ctx: GatewayContext,
  access: ServerAccess,
): Record<string, OwnAction> {
  registerServerTags(app, ctx, access);
  registerServerTopology(app, access);
  registerDiagnostics(app, ctx, access);
  registerMigrations(app, ctx, access);
  registerExternalEvents(app, ctx);
  registerVolumeAttachments(app, access);
  return {
    ...registerServerPassword(app, access),
    ...registerConsoles(app, access),
    ...registerBackup(ctx, access),
    ...registerInterfaces(app, ctx, access),
  };
}
