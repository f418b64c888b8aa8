// One operation at a time per key (a driver's per-instance lock, as Nova's
// @utils.synchronized(instance.uuid)): calls for one key run in arrival order, other keys freely.
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs fn after every earlier call for key has finished. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
