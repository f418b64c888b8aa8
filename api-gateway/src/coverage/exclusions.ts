// The routes of Nova's table the gateway does not answer as Nova (yet), each with Kova's answer and
// why: the same table as docs/api-coverage.md. The coverage walk fails on any other uncovered route.
import type { NovaRoute } from './routetable.ts';

export interface Exclusion {
  /** What Kova answers. */
  answer: string;
  why: string;
  /** Implemented on another branch: delete the entry once it is merged. */
  pending?: string;
}

export const routeKey = (r: Pick<NovaRoute, 'method' | 'path'>): string => `${r.method} ${r.path}`;

/**
 * Empty: every route of the table answers as Nova (the walk prints any that stops doing so). A
 * route may only be added here with Kova's answer and the reason, in docs/api-coverage.md too.
 */
export const EXCLUSIONS: Readonly<Record<string, Exclusion>> = {};
