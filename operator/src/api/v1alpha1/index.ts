// compute.kova.io/v1alpha1: every Kova kind, in the order crds/ and docs/api.md list them.
import type { KindDefinition } from '../kind.ts';
import { AggregateKind } from './aggregate.ts';
import { ComputeHostKind } from './computehost.ts';
import { FlavorKind } from './flavor.ts';
import { ImageKind } from './image.ts';
import { KeypairKind } from './keypair.ts';
import { ProjectQuotaKind } from './projectquota.ts';
import { ServerKind } from './server.ts';
import { ServerActionKind } from './serveraction.ts';
import { ServerGroupKind } from './servergroup.ts';

export * from './aggregate.ts';
export * from './computehost.ts';
export * from './flavor.ts';
export * from './image.ts';
export * from './keypair.ts';
export * from './projectquota.ts';
export * from './server.ts';
export * from './serveraction.ts';
export * from './servergroup.ts';

export const kinds: readonly KindDefinition[] = [
  ServerKind,
  FlavorKind,
  ImageKind,
  KeypairKind,
  ServerGroupKind,
  ServerActionKind,
  AggregateKind,
  ComputeHostKind,
  ProjectQuotaKind,
];
