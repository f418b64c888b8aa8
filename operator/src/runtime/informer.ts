// An informer: list, then watch from the list's resourceVersion, keeping a local cache and
// calling handlers on every change (as kubernetes-fluent-client and client-go do).
// - A watch that ends cleanly, or goes quiet, is resumed from the last resourceVersion seen.
// - 410 Gone (the resourceVersion was compacted away) re-lists, and the diff against the cache
//   is delivered as adds, updates and deletes, so no change is lost.
// - Other errors retry with capped exponential backoff; the informer never gives up.
// - Every resyncMs (with ±10% jitter) handlers get an update for every cached object.
// - stop() aborts the watch; no timer or request outlives it.
// client-node's own informer stops for good on the first error, so it is not used here.
import type { Logger } from 'pino';
import { type KubeClient, type KubeObject, type WatchEvent, isGone, KubeError } from '../kube/client.ts';
import { type Resource, collectionPath, keyOf } from '../kube/resources.ts';
import { type Clock, realClock } from './clock.ts';

export interface InformerHandler<T> {
  add?(obj: T): void;
  update?(old: T, obj: T): void;
  delete?(obj: T): void;
}

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Redeliver every cached object this often (0: never). */
  resyncMs?: number;
  clock?: Clock;
  log?: Logger;
  /** Backoff after a failed list or watch. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Resume a watch that has delivered nothing (not even a bookmark) for this long. */
  idleMs?: number;
}

/** What an informer needs of a client (a fake one in unit tests). */
export type ListWatcher = Pick<KubeClient, 'list' | 'watch'>;

export class Informer<T extends KubeObject> {
  private readonly store = new Map<string, T>();
  private readonly handlers: InformerHandler<T>[] = [];
  private readonly client: ListWatcher;
  private readonly resource: Resource;
  private readonly options: InformerOptions;
  private readonly clock: Clock;
  private readonly abort = new AbortController();
  private resourceVersion = '';
  private running = false;
  private cancelResync?: () => void;
  private syncedResolve!: () => void;
  /** Resolves once the first list has been delivered. */
  readonly synced: Promise<void>;
  /** Lists done so far (the first, plus one per 410 Gone). */
  lists = 0;

  constructor(client: ListWatcher, resource: Resource, options: InformerOptions = {}) {
    this.client = client;
    this.resource = resource;
    this.options = options;
    this.clock = options.clock ?? realClock;
    this.synced = new Promise((resolve) => (this.syncedResolve = resolve));
  }

  /**
   * Adds a handler. Like client-go's AddEventHandler, it is first told of every object already
   * cached (as adds), so a handler added after the first list misses nothing.
   */
  addHandler(h: InformerHandler<T>): void {
    this.handlers.push(h);
    for (const obj of this.store.values()) {
      try {
        h.add?.(obj);
      } catch (err) {
        this.options.log?.error({ err, resource: this.resource.plural }, 'informer handler failed');
      }
    }
  }

  get(key: string): T | undefined {
    return this.store.get(key);
  }

  list(): T[] {
    return [...this.store.values()];
  }

  get size(): number {
    return this.store.size;
  }

  /** Starts listing and watching in the background; resolves when the cache is first filled. */
  start(): Promise<void> {
    if (!this.running) {
      this.running = true;
      void this.run();
      this.scheduleResync();
    }
    return this.synced;
  }

  stop(): void {
    this.running = false;
    this.abort.abort();
    this.cancelResync?.();
  }

  private get path(): string {
    return collectionPath(this.resource, this.options.namespace);
  }

  private get selectors() {
    return { labelSelector: this.options.labelSelector, fieldSelector: this.options.fieldSelector };
  }

  private async run(): Promise<void> {
    const min = this.options.minBackoffMs ?? 200;
    const max = this.options.maxBackoffMs ?? 30_000;
    let backoff = min;
    while (this.running) {
      try {
        if (!this.resourceVersion) await this.relist();
        await this.client.watch<T>(
          this.path,
          {
            ...this.selectors,
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            // The server ends each watch after 5-10 min, like client-go, spreading reconnects.
            timeoutSeconds: 300 + Math.floor(Math.random() * 300),
          },
          (e) => this.onEvent(e),
          this.abort.signal,
          this.options.idleMs,
        );
        backoff = min;
      } catch (err) {
        if (!this.running) return;
        if (isGone(err)) {
          this.options.log?.debug({ resource: this.resource.plural }, 'watch expired (410 Gone): re-listing');
          this.resourceVersion = '';
          continue;
        }
        this.options.log?.warn(
          { err, resource: this.resource.plural, backoffMs: backoff },
          'list/watch failed',
        );
        await this.sleep(backoff);
        backoff = Math.min(max, backoff * 2);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.clock.after(ms, resolve);
      this.abort.signal.addEventListener(
        'abort',
        () => {
          cancel();
          resolve();
        },
        { once: true },
      );
    });
  }

  /** Lists, replaces the cache, and delivers the difference to the handlers. */
  private async relist(): Promise<void> {
    const list = await this.client.list<T>(this.path, this.selectors);
    this.lists++;
    const seen = new Set<string>();
    for (const obj of list.items) {
      const key = keyOf(obj);
      seen.add(key);
      this.upsert(key, obj);
    }
    for (const [key, old] of this.store) {
      if (!seen.has(key)) {
        this.store.delete(key);
        this.emit((h) => h.delete?.(old));
      }
    }
    this.resourceVersion = list.metadata.resourceVersion ?? '';
    this.syncedResolve();
  }

  private upsert(key: string, obj: T): void {
    const old = this.store.get(key);
    this.store.set(key, obj);
    if (!old) this.emit((h) => h.add?.(obj));
    else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion)
      this.emit((h) => h.update?.(old, obj));
  }

  private onEvent(e: WatchEvent<T>): void {
    if (e.type === 'ERROR') {
      const status = e.object as unknown as { code?: number; reason?: string; message?: string };
      throw new KubeError(
        status.code ?? 500,
        status.reason ?? 'Unknown',
        status.message ?? 'watch error',
        status,
      );
    }
    this.resourceVersion = e.object.metadata.resourceVersion ?? this.resourceVersion;
    if (e.type === 'BOOKMARK') return;
    const key = keyOf(e.object);
    if (e.type === 'DELETED') {
      const old = this.store.get(key) ?? e.object;
      this.store.delete(key);
      this.emit((h) => h.delete?.(old));
    } else {
      this.upsert(key, e.object);
    }
  }

  private emit(call: (h: InformerHandler<T>) => void): void {
    for (const h of this.handlers) {
      try {
        call(h);
      } catch (err) {
        this.options.log?.error({ err, resource: this.resource.plural }, 'informer handler failed');
      }
    }
  }

  private scheduleResync(): void {
    const period = this.options.resyncMs ?? 0;
    if (!period || !this.running) return;
    const jittered = period * (0.9 + Math.random() * 0.2);
    this.cancelResync = this.clock.after(jittered, () => {
      for (const obj of this.store.values()) this.emit((h) => h.update?.(obj, obj));
      this.scheduleResync();
    });
  }
}
