// A work queue with client-go's semantics: a key is queued at most once however often it is
// added; a key being processed is not handed to a second worker, and if it is added meanwhile
// it is processed again after done(). Failed keys come back after a per-key exponential backoff.
import { type Clock, realClock } from './clock.ts';

export interface RateLimiter<K> {
  /** Delay before retrying key after one more failure. */
  when(key: K): number;
  forget(key: K): void;
  failures(key: K): number;
}

/** client-go's ItemExponentialFailureRateLimiter: base * 2^failures, capped. */
export class ExponentialBackoff<K> implements RateLimiter<K> {
  private readonly counts = new Map<K, number>();
  private readonly baseMs: number;
  private readonly maxMs: number;

  constructor(baseMs = 5, maxMs = 60_000) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  when(key: K): number {
    const n = this.counts.get(key) ?? 0;
    this.counts.set(key, n + 1);
    return Math.min(this.maxMs, this.baseMs * 2 ** n);
  }

  forget(key: K): void {
    this.counts.delete(key);
  }

  failures(key: K): number {
    return this.counts.get(key) ?? 0;
  }
}

export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly delayed = new Map<K, { at: number; cancel: () => void }>();
  private waiters: ((key: K | undefined) => void)[] = [];
  private shuttingDown = false;
  private readonly clock: Clock;
  readonly limiter: RateLimiter<K>;

  constructor(options: { clock?: Clock; limiter?: RateLimiter<K> } = {}) {
    this.clock = options.clock ?? realClock;
    this.limiter = options.limiter ?? new ExponentialBackoff<K>();
  }

  /** Keys waiting to be processed (not counting delayed or in-flight ones). */
  get length(): number {
    return this.queue.length;
  }

  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // re-queued by done()
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
  }

  /** Adds key after ms; an earlier pending delay for the same key wins. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.cancel();
    const cancel = this.clock.after(ms, () => {
      this.delayed.delete(key);
      this.add(key);
    });
    this.delayed.set(key, { at, cancel });
  }

  /** Re-adds a key after its backoff (one more failure). */
  addRateLimited(key: K): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Clears a key's failure count (after a success). */
  forget(key: K): void {
    this.limiter.forget(key);
  }

  /** The next key to process; undefined once the queue is shut down. */
  get(): Promise<K | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks key processed; if it was added meanwhile, it is queued again. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const d of this.delayed.values()) d.cancel();
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
