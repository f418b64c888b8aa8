import { expect } from 'chai';
import type { KubeList, KubeObject, WatchEvent } from '../../operator/src/kube/client.ts';
import { NODES } from '../../operator/src/kube/resources.ts';
import { Informer, type ListWatcher } from '../../operator/src/runtime/informer.ts';
import { Cache } from './cache.ts';

const obj = (name: string, rv: string, uid = name): KubeObject => ({
  metadata: { name, uid, resourceVersion: rv },
});

/** Lists `objects`, then hands the test a function that emits watch events. */
function source(objects: KubeObject[]): { lw: ListWatcher; emit: (e: WatchEvent<KubeObject>) => void } {
  let emitter: (e: WatchEvent<KubeObject>) => void = () => {};
  const lw: ListWatcher = {
    list: async <T>() => ({ metadata: { resourceVersion: '10' }, items: objects as T[] }) as KubeList<T>,
    watch: <T>(_p: string, _q: unknown, onEvent: (e: WatchEvent<T>) => void, signal: AbortSignal) => {
      emitter = onEvent as never;
      return new Promise<void>((resolve) =>
        signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    },
  };
  return { lw, emit: (e) => emitter(e) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Cache: read-your-writes over an informer', () => {
  it('observe() resolves once the cache holds the write, or a newer version', async () => {
    const { lw, emit } = source([obj('a', '5')]);
    const inf = new Informer<KubeObject>(lw, NODES);
    const cache = new Cache(inf);
    await inf.start();
    await tick();
    expect(await cache.observe(obj('a', '5'), 10)).to.equal(true); // already there
    let seen = false;
    const waiting = cache.observe(obj('a', '12')).then((ok) => (seen = ok));
    emit({ type: 'MODIFIED', object: obj('a', '11') });
    await tick();
    expect(seen, 'an older version does not satisfy the wait').to.equal(false);
    emit({ type: 'MODIFIED', object: obj('a', '13') });
    await waiting;
    expect(seen).to.equal(true);
    inf.stop();
  });

  it('observeDeleted() resolves when the object is gone or replaced by a new one with the same name', async () => {
    const { lw, emit } = source([obj('a', '5', 'uid-1'), obj('b', '6', 'uid-2')]);
    const inf = new Informer<KubeObject>(lw, NODES);
    const cache = new Cache(inf);
    await inf.start();
    await tick();
    const gone = cache.observeDeleted('a', 'uid-1');
    emit({ type: 'DELETED', object: obj('a', '14', 'uid-1') });
    expect(await gone).to.equal(true);
    const replaced = cache.observeDeleted('b', 'uid-2');
    emit({ type: 'DELETED', object: obj('b', '15', 'uid-2') });
    emit({ type: 'ADDED', object: obj('b', '16', 'uid-3') });
    expect(await replaced).to.equal(true);
    inf.stop();
  });

  it('gives up after the timeout with false, leaving no waiter behind', async () => {
    const { lw } = source([]);
    const inf = new Informer<KubeObject>(lw, NODES);
    const cache = new Cache(inf);
    await inf.start();
    expect(await cache.observe(obj('never', '99'), 20)).to.equal(false);
    expect((cache as unknown as { waiters: Set<unknown> }).waiters.size).to.equal(0);
    inf.stop();
  });
});
