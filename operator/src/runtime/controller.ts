// A controller: informers feed object keys into a work queue; workers reconcile one key at a
// time (never the same key twice at once); failures come back with per-key exponential backoff.
import type { Logger } from 'pino';
import type { KubeObject } from '../kube/client.ts';
import { keyOf } from '../kube/resources.ts';
import { type Clock, realClock } from './clock.ts';
import type { Informer } from './informer.ts';
import type { RuntimeMetrics } from './metrics.ts';
import { ExponentialBackoff, WorkQueue } from './workqueue.ts';

export interface ReconcileResult {
  /** Reconcile this key again after this long, even if nothing changes (e.g. a timeout). */
  requeueAfterMs?: number;
}

export type Reconcile = (key: string) => Promise<ReconcileResult | void>;

export interface ControllerOptions {
  name: string;
  reconcile: Reconcile;
  workers?: number;
  clock?: Clock;
  log: Logger;
  metrics?: RuntimeMetrics;
  /** Backoff of failing keys (client-go: 5 ms doubling to 1000 s; ours caps at 60 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue<string>;
  private readonly options: ControllerOptions;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.options = options;
    this.queue = new WorkQueue<string>({
      clock: options.clock ?? realClock,
      limiter: new ExponentialBackoff(options.backoffBaseMs ?? 5, options.backoffMaxMs ?? 60_000),
    });
    options.metrics?.queueDepth.set({ controller: this.name }, 0);
  }

  /**
   * Enqueues the keys map(obj) (default: the object's own key) on every change of an informer;
   * on an update, those of the old object too (e.g. a server that moved frees its old host).
   * With delayMs, the keys are reconciled that long after the first change, so a burst of
   * changes costs one reconcile (for derived, display-only state).
   */
  watch<T extends KubeObject>(
    informer: Informer<T>,
    map: (obj: T) => (string | undefined)[] = (o) => [keyOf(o)],
    options: { delayMs?: number } = {},
  ): this {
    const enqueue = (o: T) => {
      for (const key of map(o)) if (key) this.queue.addAfter(key, options.delayMs ?? 0);
    };
    informer.addHandler({
      add: enqueue,
      update: (old, o) => {
        enqueue(old);
        enqueue(o);
      },
      delete: enqueue,
    });
    return this;
  }

  /** Runs the workers until signal aborts; resolves once in-flight reconciles finished. */
  async run(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    const workers = Array.from({ length: this.options.workers ?? 1 }, () => this.worker());
    await Promise.all(workers);
  }

  private async worker(): Promise<void> {
    const { log, metrics, reconcile } = this.options;
    const controller = this.name;
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      metrics?.queueDepth.set({ controller }, this.queue.length);
      const end = metrics?.reconcileDuration.startTimer({ controller });
      try {
        const result = await reconcile(key);
        this.queue.forget(key);
        if (result?.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
        metrics?.reconciles.inc({
          controller,
          result: result?.requeueAfterMs !== undefined ? 'requeue' : 'success',
        });
      } catch (err) {
        if ((err as { code?: number }).code === 404) {
          // The object went away under us (a stale cache): nothing left to do for this key.
          log.debug({ controller, key }, 'object gone during reconcile');
          this.queue.forget(key);
          metrics?.reconciles.inc({ controller, result: 'success' });
          continue;
        }
        metrics?.reconciles.inc({ controller, result: 'error' });
        const failures = this.queue.limiter.failures(key);
        // Conflicts are routine (someone wrote first): retry quietly.
        const level = (err as { code?: number }).code === 409 ? 'debug' : failures > 3 ? 'error' : 'warn';
        log[level]({ err, controller, key, failures }, 'reconcile failed; will retry');
        this.queue.addRateLimited(key);
      } finally {
        end?.();
        this.queue.done(key);
      }
    }
  }
}
