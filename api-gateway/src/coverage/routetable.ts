// The shape of Nova's route table (novaroutes.ts) and what each (method, path, microversion) must
// answer: 410 for the removed APIs at any version, 404 outside a route's microversion range
// (Nova's VersionNotFoundForAPIMethod), the route's family inside it.
import { APIVersionRequest } from '../microversion.ts';

/** A status family: any 2xx, any 4xx, or one exact code (404, 410, 501 ...). */
export type Family = '2xx' | '4xx' | number;

/** Nova's default policy for the route (nova/policies, enforce_new_defaults). */
export type RoutePolicy = 'admin' | 'project_member' | 'project_reader' | 'any';

export interface NovaRoute {
  /** The inventory's resource group (§1.1). */
  group: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Nova's path, with Nova's parameter names ({id}, {server_id}, ...). */
  path: string;
  /** Nova's Controller.method. */
  handler: string;
  /** First microversion that serves the route. */
  min: string;
  /** Last microversion that serves it (none: still served). */
  max?: string;
  /** Removed API: 410 at every microversion. */
  removed?: boolean;
  policy: RoutePolicy;
  /** A route or cap from Nova's master (post-Zed). */
  master?: string;
}

/** The family a valid request answers at version v. */
export function expectedFamily(route: NovaRoute, v: APIVersionRequest | string): Family {
  if (route.removed) return 410;
  const version = APIVersionRequest.from(v);
  return version.matches(route.min, route.max) ? '2xx' : 404;
}

/** Whether status belongs to the family. */
export function inFamily(status: number, family: Family): boolean {
  if (family === '2xx') return status >= 200 && status < 300;
  if (family === '4xx') return status >= 400 && status < 500;
  return status === family;
}

/** The microversions worth probing for a route up to max: 2.1, each of its boundaries (and the one just outside), max. */
export function probeVersions(route: NovaRoute, max: APIVersionRequest): APIVersionRequest[] {
  const out = new Map<string, APIVersionRequest>();
  const add = (v: APIVersionRequest) => {
    if (v.compare('2.1') >= 0 && v.compare(max) <= 0) out.set(v.toString(), v);
  };
  const step = (s: string, d: number) => {
    const v = APIVersionRequest.parse(s);
    return new APIVersionRequest(v.major, v.minor + BigInt(d));
  };
  add(APIVersionRequest.parse('2.1'));
  add(APIVersionRequest.parse(route.min));
  if (route.min !== '2.1') add(step(route.min, -1));
  if (route.max) {
    add(APIVersionRequest.parse(route.max));
    add(step(route.max, 1));
  }
  add(max);
  return [...out.values()].sort((a, b) => a.compare(b));
}

/** Nova's path as a Fastify route under /v2.1 ({x} → :x). */
export const fastifyPath = (path: string): string =>
  '/v2.1' + (path === '/' ? '/' : path.replace(/\{(\w+)\}/g, ':$1'));
