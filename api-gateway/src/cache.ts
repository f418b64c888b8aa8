// Informer caches the gateway reads from, with read-your-writes.
//
// Every kind the gateway serves is read from one shared Informer (list-then-watch, as the
// operator does), created on first use and started once. A route that wrote an object through the
// apiserver calls observe(resource, written) before answering: it waits until the cache holds the
// write (its resourceVersion or newer) — or the object's absence after a delete — so the client's
// next read, served from the cache, sees its own write. resourceVersions are compared as integers
// (etcd revisions), which is what the watch cache itself does.
import type { Logger } from 'pino';
import type { KubeClient, KubeObject } from '../../operator/src/kube/client.ts';
import { type Resource, keyOf } from '../../operator/src/kube/resources.ts';
import { Informer } from '../../operator/src/runtime/informer.ts';

interface Waiter {
  done: () => boolean;
  resolve: () => void;
}

/** One informer and the routes waiting for it to catch up with their writes. */
export class Cache<T extends KubeObject> {
  readonly informer: Informer<T>;
  private readonly waiters = new Set<Waiter>();

  constructor(informer: Informer<T>) {
    this.informer = informer;
    const check = () => {
      for (const w of this.waiters) {
        if (w.done()) {
          this.waiters.delete(w);
          w.resolve();
        }
      }
    };
    informer.addHandler({ add: check, update: check, delete: check });
  }

  get(key: string): T | undefined {
    return this.informer.get(key);
  }

  list(): T[] {
    return this.informer.list();
  }

  /** Resolves when done() holds (checked now and after every cache change), or after timeoutMs. */
  waitUntil(done: () => boolean, timeoutMs = 5000): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        resolve(false);
      }, timeoutMs);
      const w: Waiter = {
        done,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.waiters.add(w);
    });
  }

  /** Waits until the cache has obj at its resourceVersion or newer (read-your-writes after a create/update). */
  observe(obj: KubeObject, timeoutMs?: number): Promise<boolean> {
    const key = keyOf(obj);
    const rv = BigInt(obj.metadata.resourceVersion ?? '0');
    return this.waitUntil(() => {
      const cached = this.get(key);
      return cached !== undefined && BigInt(cached.metadata.resourceVersion ?? '0') >= rv;
    }, timeoutMs);
  }

  /** Waits until the object is gone from the cache (read-your-writes after a delete). */
  observeDeleted(key: string, uid?: string, timeoutMs?: number): Promise<boolean> {
    return this.waitUntil(() => {
      const cached = this.get(key);
      return cached === undefined || (uid !== undefined && cached.metadata.uid !== uid);
    }, timeoutMs);
  }
}

/** The gateway's caches, one per resource (and label selector), shared by every route. */
export class Caches {
  private readonly client: KubeClient;
  private readonly log?: Logger;
  private readonly caches = new Map<string, Cache<KubeObject>>();

  constructor(client: KubeClient, log?: Logger) {
    this.client = client;
    this.log = log;
  }

  /** The cache of a resource (optionally narrowed by namespace/label selector), synced. */
  async get<T extends KubeObject>(
    resource: Resource,
    options: { namespace?: string; labelSelector?: string } = {},
  ): Promise<Cache<T>> {
    const id = `${resource.group}/${resource.plural}|${options.namespace ?? ''}|${options.labelSelector ?? ''}`;
    let cache = this.caches.get(id) as Cache<T> | undefined;
    if (!cache) {
      const informer = new Informer<T>(this.client, resource, { ...options, log: this.log });
      cache = new Cache(informer);
      this.caches.set(id, cache as unknown as Cache<KubeObject>);
      void informer.start();
    }
    await cache.informer.synced;
    return cache;
  }

  /** Whether every cache created so far has been filled once (readiness). */
  get synced(): boolean {
    return [...this.caches.values()].every((c) => c.informer.lists > 0);
  }

  stop(): void {
    for (const c of this.caches.values()) c.informer.stop();
  }
}
