// The gateway's Fastify application: Nova's request-id, versions and microversion plumbing.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from 'fastify';
import {
  ApiError,
  FAULT_CONTENT_TYPE,
  NOT_FOUND_MESSAGE,
  faultBody,
  unexpectedErrorMessage,
} from './errors.ts';
import { negotiate, versionHeaders } from './microversion.ts';
import type { APIVersionRequest } from './microversion.ts';
import { choicesDocument, versionDocument, versionsDocument } from './versions.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The negotiated microversion; null outside /v2.1 (Nova's "null" version: no version headers). */
    microversion: APIVersionRequest | null;
  }
}

export interface BuildAppOptions {
  logger?: boolean | object;
  /** Fastify's rewriteUrl: maps a raw URL before routing (the gateway strips /v2.1/{project_id}). */
  rewriteUrl?: FastifyServerOptions['rewriteUrl'];
}

/** Mount point of the compute API v2.1. */
export const API_PREFIX = '/v2.1';

function pathOf(request: FastifyRequest): string {
  return request.url.split('?', 1)[0] ?? '/';
}

export function isVersionedPath(path: string): boolean {
  return path === API_PREFIX || path.startsWith(API_PREFIX + '/');
}

function firstHeader(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s?.split(',', 1)[0]?.trim() || undefined;
}

/**
 * The service's root URL as the client sees it (webob's host_url + SCRIPT_NAME), honouring
 * X-Forwarded-Proto/-Host/-Prefix like oslo.middleware's HTTPProxyToWSGI in front of Nova.
 */
export function baseUrl(request: FastifyRequest): string {
  const proto = firstHeader(request, 'x-forwarded-proto') ?? request.protocol;
  const host = firstHeader(request, 'x-forwarded-host') ?? request.headers.host ?? 'localhost';
  const prefix = (firstHeader(request, 'x-forwarded-prefix') ?? '').replace(/\/+$/, '');
  return `${proto}://${host}${prefix}`;
}

function sendFault(reply: FastifyReply, code: number, message: string): FastifyReply {
  return reply.code(code).type(FAULT_CONTENT_TYPE).send(faultBody(code, message));
}

export function buildApp(options: BuildAppOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: (options.logger ?? false) as FastifyServerOptions['logger'],
    // oslo's RequestId middleware always mints a fresh local id; an incoming one is never reused.
    genReqId: () => `req-${randomUUID()}`,
    ...(options.rewriteUrl ? { rewriteUrl: options.rewriteUrl } : {}),
  });
  app.decorateRequest('microversion', null);

  // Nova accepts both JSON media types; an empty body on POST/PUT is allowed and means "no body".
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    ['application/json', 'application/vnd.openstack.compute+json'],
    { parseAs: 'string' },
    (req, body, done) => (body === '' ? done(null, undefined) : json(req, body as string, done)),
  );

  app.addHook('onRequest', async (request) => {
    // Only the /v2.1 app is under microversion control; the root versions app is not.
    if (isVersionedPath(pathOf(request))) request.microversion = negotiate(request.headers);
  });

  app.addHook('onSend', async (request, reply) => {
    // x-compute-request-id is Nova's pre-oslo name, kept as a compat alias with the same value.
    reply.header('x-openstack-request-id', request.id);
    reply.header('x-compute-request-id', request.id);
    if (request.microversion) reply.headers(versionHeaders(request.microversion));
  });

  app.get('/', async (request) => versionsDocument(baseUrl(request)));
  const showVersion = async (request: FastifyRequest) => versionDocument(baseUrl(request) + API_PREFIX);
  app.get(API_PREFIX, showVersion);
  app.get(API_PREFIX + '/', showVersion);
  app.get<{ Params: { id: string } }>(API_PREFIX + '/versions/:id', async (request) => {
    const { id } = request.params;
    if (id !== 'v2.0' && id !== 'v2.1') throw new ApiError(404, NOT_FOUND_MESSAGE);
    return versionDocument(baseUrl(request) + API_PREFIX, id);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = pathOf(request);
    if (isVersionedPath(path)) return sendFault(reply, 404, NOT_FOUND_MESSAGE);
    // The identity and image services (gateway.ts) answer their own unknown paths with a plain 404.
    if (/^\/(identity|image|metrics|healthz|readyz)(\/|$)/.test(path)) {
      return reply.code(404).send({ error: { code: 404, message: NOT_FOUND_MESSAGE, title: 'Not Found' } });
    }
    // Unversioned paths belong to Nova's Versions app: "/" lists versions with any method,
    // everything else is 300 Multiple Choices pointing at the same path under each version.
    if (path === '/') return reply.code(200).send(versionsDocument(baseUrl(request)));
    return reply.code(300).send(choicesDocument(baseUrl(request), path));
  });

  app.setErrorHandler<FastifyError>(async (error, request, reply) => {
    if (error instanceof ApiError) {
      reply.headers(error.headers);
      return reply.code(error.code).type(error.contentType).send(error.body());
    }
    const status = error.statusCode;
    if (status === 415) return sendFault(reply, 415, 'Unsupported Content-Type');
    if (status === 400 && (error instanceof SyntaxError || error.code?.startsWith('FST_ERR_CTP'))) {
      return sendFault(reply, 400, 'Malformed request body');
    }
    if (status !== undefined && status >= 400 && status < 500) return sendFault(reply, status, error.message);
    request.log.error({ err: error }, 'Unexpected exception in API method');
    return sendFault(reply, 500, unexpectedErrorMessage(error));
  });

  return app;
}
