// A small JSON client for the Kubernetes API, on @kubernetes/client-node's KubeConfig.
//
// Why not client-node's generated API classes: they build a new TLS connection pool for every
// request (KubeConfig.createDispatcher makes a fresh undici Agent per call), which costs a TLS
// handshake per write, and their model serializer drops fields it has no model for (CRD
// `default`, `x-kubernetes-*`). Kova talks JSON to arbitrary paths (its CRs and a few core
// kinds), so it keeps one connection pool per client and passes objects through unchanged.
// Authentication (tokens, client certificates, exec plugins, impersonation) stays client-node's.
import type { KubeConfig } from '@kubernetes/client-node';
import type { RequestOptions } from 'node:https';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { Agent, fetch } from 'undici';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    ownerReferences?: unknown[];
    [k: string]: unknown;
  };
}

export interface KubeList<T> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** A Kubernetes API error (a Status object), with its HTTP code and reason. */
export class KubeError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly body: unknown;
  constructor(code: number, reason: string, message: string, body: unknown) {
    super(message);
    this.name = 'KubeError';
    this.code = code;
    this.reason = reason;
    this.body = body;
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof KubeError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof KubeError && e.code === 409;
export const isAlreadyExists = (e: unknown): boolean =>
  e instanceof KubeError && e.code === 409 && e.reason === 'AlreadyExists';
export const isGone = (e: unknown): boolean => e instanceof KubeError && e.code === 410;

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';
const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

export interface RequestInit {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export type WatchEvent<T> = { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'; object: T };

export interface KubeClientOptions {
  /** Called once per request, e.g. to count writes. */
  onRequest?: (method: string, path: string) => void;
  /** Impersonate this user (and groups) on every request. */
  impersonate?: { user: string; groups?: string[] };
  userAgent?: string;
}

export class KubeClient {
  readonly server: string;
  private readonly kc: KubeConfig;
  private readonly agent: Agent;
  private readonly options: KubeClientOptions;

  private constructor(kc: KubeConfig, server: string, agent: Agent, options: KubeClientOptions) {
    this.kc = kc;
    this.server = server;
    this.agent = agent;
    this.options = options;
  }

  static async create(kc: KubeConfig, options: KubeClientOptions = {}): Promise<KubeClient> {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    const tls: RequestOptions = {};
    await kc.applyToHTTPSOptions(tls);
    const agent = new Agent({
      connections: 32,
      keepAliveTimeout: 60_000,
      connect: {
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        rejectUnauthorized: cluster.skipTLSVerify ? false : undefined,
        servername: cluster.tlsServerName,
      },
    });
    return new KubeClient(kc, cluster.server.replace(/\/$/, ''), agent, options);
  }

  /** The same connection pool, acting as another user (Kubernetes impersonation). */
  impersonating(user: string, groups: string[] = []): KubeClient {
    return new KubeClient(this.kc, this.server, this.agent, {
      ...this.options,
      impersonate: { user, groups },
    });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async headers(contentType?: string): Promise<Record<string, string>> {
    const opts: RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts); // current token (may rotate), impersonation from kubeconfig
    const headers: Record<string, string> = { Accept: 'application/json' };
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k] = String(v);
    if (contentType) headers['Content-Type'] = contentType;
    if (this.options.userAgent) headers['User-Agent'] = this.options.userAgent;
    if (this.options.impersonate) {
      headers['Impersonate-User'] = this.options.impersonate.user;
      // undici joins repeated headers; Kubernetes reads a comma-joined Impersonate-Group as one
      // group, so only a single group can be passed this way.
      const [group] = this.options.impersonate.groups ?? [];
      if (group) headers['Impersonate-Group'] = group;
    }
    return headers;
  }

  private url(path: string, query?: RequestInit['query']): string {
    const u = new URL(this.server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  async request<T>(method: string, path: string, init: RequestInit = {}): Promise<T> {
    this.options.onRequest?.(method, path);
    const body =
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body);
    const res = await fetch(this.url(path, init.query), {
      method,
      headers: await this.headers(body === undefined ? undefined : (init.contentType ?? 'application/json')),
      body,
      dispatcher: this.agent,
      signal: init.signal,
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('json') ?? false;
    const parsed: unknown = text && json ? JSON.parse(text) : text || undefined; // e.g. /metrics is text
    if (!res.ok) {
      const status = (parsed ?? {}) as { reason?: string; message?: string };
      throw new KubeError(
        res.status,
        status.reason ?? 'Unknown',
        status.message ?? `${method} ${path}: ${res.status}`,
        parsed,
      );
    }
    return parsed as T;
  }

  get<T>(path: string, init?: RequestInit): Promise<T> {
    return this.request<T>('GET', path, init);
  }

  /** Lists every item, following `continue` tokens. */
  async list<T>(path: string, query: RequestInit['query'] = {}, pageSize = 500): Promise<KubeList<T>> {
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion: string | undefined;
    do {
      // A continue token carries the list's revision: the apiserver refuses it with another one.
      const pageQuery = cont
        ? { ...query, resourceVersion: undefined, resourceVersionMatch: undefined }
        : query;
      const page = await this.get<KubeList<T>>(path, {
        query: { ...pageQuery, limit: pageSize, continue: cont },
      });
      items.push(...page.items);
      cont = page.metadata.continue || undefined;
      resourceVersion = page.metadata.resourceVersion;
    } while (cont);
    return { metadata: { resourceVersion }, items };
  }

  create<T>(path: string, body: T): Promise<T> {
    return this.request<T>('POST', path, { body });
  }

  /** PUT: optimistic concurrency when body.metadata.resourceVersion is set (409 on conflict). */
  replace<T>(path: string, body: T): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }

  patch<T>(
    path: string,
    patch: unknown,
    type: PatchType = 'merge',
    query?: RequestInit['query'],
  ): Promise<T> {
    return this.request<T>('PATCH', path, { body: patch, contentType: PATCH_CONTENT_TYPES[type], query });
  }

  delete<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('DELETE', path, { body });
  }

  /**
   * Streams watch events until the server closes the watch, the signal aborts, or no event
   * (bookmarks included) arrives within idleMs. Resolves on a clean end; rejects on errors.
   */
  async watch<T>(
    path: string,
    query: RequestInit['query'],
    onEvent: (e: WatchEvent<T>) => void,
    signal: AbortSignal,
    idleMs = 90_000,
  ): Promise<void> {
    this.options.onRequest?.('WATCH', path);
    const idle = new AbortController();
    const both = AbortSignal.any([signal, idle.signal]);
    let timer = setTimeout(() => idle.abort(), idleMs);
    const resetIdle = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), idleMs);
    };
    try {
      const res = await fetch(this.url(path, { ...query, watch: true }), {
        headers: await this.headers(),
        dispatcher: this.agent,
        signal: both,
      });
      if (!res.ok || !res.body) {
        const text = await res.text();
        const status = (text ? JSON.parse(text) : {}) as { reason?: string; message?: string };
        throw new KubeError(
          res.status,
          status.reason ?? 'Unknown',
          status.message ?? `watch ${path}: ${res.status}`,
          status,
        );
      }
      const lines = createInterface({ input: Readable.fromWeb(res.body as never), crlfDelay: Infinity });
      for await (const line of lines) {
        if (!line) continue;
        resetIdle();
        onEvent(JSON.parse(line) as WatchEvent<T>);
      }
    } catch (e) {
      if (signal.aborted) return; // shutdown
      if (idle.signal.aborted) return; // idle: the caller re-watches from its last resourceVersion
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }
}
