import { expect } from 'chai';
import { KubeError, type KubeList, type KubeObject, type WatchEvent } from '../kube/client.ts';
import { NODES } from '../kube/resources.ts';
import { FakeClock } from './clock.ts';
import { Informer, type ListWatcher } from './informer.ts';

const obj = (name: string, rv: string): KubeObject => ({ metadata: { name, resourceVersion: rv } });

/** A scripted list/watch server: each list returns the current objects; each watch runs a script. */
class FakeServer implements ListWatcher {
  objects: KubeObject[] = [];
  rv = '10';
  watches: ((emit: (e: WatchEvent<KubeObject>) => void, rv: string) => Promise<void>)[] = [];
  watchedFrom: string[] = [];

  async list<T>(): Promise<KubeList<T>> {
    return { metadata: { resourceVersion: this.rv }, items: structuredClone(this.objects) as T[] };
  }

  async watch<T>(
    _path: string,
    query: Record<string, unknown> | undefined,
    onEvent: (e: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    this.watchedFrom.push(String(query?.resourceVersion));
    const script = this.watches.shift();
    if (script) return script(onEvent as never, String(query?.resourceVersion));
    // No more script: block until stopped.
    return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }
}

function record(inf: Informer<KubeObject>) {
  const log: string[] = [];
  inf.addHandler({
    add: (o) => log.push(`add ${o.metadata.name}`),
    update: (_, o) => log.push(`update ${o.metadata.name}@${o.metadata.resourceVersion}`),
    delete: (o) => log.push(`delete ${o.metadata.name}`),
  });
  return log;
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Informer (list-then-watch)', () => {
  it('lists, then watches from the list resourceVersion, delivering adds, updates and deletes', async () => {
    const server = new FakeServer();
    server.objects = [obj('a', '5')];
    server.watches.push(async (emit) => {
      emit({ type: 'ADDED', object: obj('b', '11') });
      emit({ type: 'MODIFIED', object: obj('a', '12') });
      emit({ type: 'DELETED', object: obj('b', '13') });
    });
    const inf = new Informer<KubeObject>(server, NODES);
    const log = record(inf);
    await inf.start();
    await tick();
    inf.stop();
    expect(server.watchedFrom[0]).to.equal('10');
    expect(log).to.deep.equal(['add a', 'add b', 'update a@12', 'delete b']);
    expect(inf.list().map((o) => o.metadata.name)).to.deep.equal(['a']);
  });

  it('resumes a watch that ended from the last resourceVersion seen, without re-listing', async () => {
    const server = new FakeServer();
    server.watches.push(async (emit) => emit({ type: 'ADDED', object: obj('a', '20') }));
    server.watches.push(async (emit) => emit({ type: 'BOOKMARK', object: obj('', '25') }));
    const inf = new Informer<KubeObject>(server, NODES);
    await inf.start();
    for (let i = 0; i < 5; i++) await tick();
    inf.stop();
    expect(server.watchedFrom.slice(0, 3)).to.deep.equal(['10', '20', '25']);
    expect(inf.lists).to.equal(1);
  });

  it('re-lists on 410 Gone and delivers what changed while it was not watching', async () => {
    const server = new FakeServer();
    server.objects = [obj('a', '5'), obj('b', '6')];
    server.watches.push(async () => {
      // Meanwhile: a changed, b deleted, c created; then the watch's resourceVersion expires.
      server.objects = [obj('a', '30'), obj('c', '31')];
      server.rv = '31';
      throw new KubeError(410, 'Expired', 'too old resource version', {});
    });
    const inf = new Informer<KubeObject>(server, NODES);
    const log = record(inf);
    await inf.start();
    for (let i = 0; i < 5; i++) await tick();
    inf.stop();
    expect(inf.lists).to.equal(2);
    expect(log).to.deep.equal(['add a', 'add b', 'update a@30', 'add c', 'delete b']);
    expect(server.watchedFrom.at(-1)).to.equal('31');
  });

  it('treats an ERROR event with code 410 like a 410 response', async () => {
    const server = new FakeServer();
    server.watches.push(async (emit) =>
      emit({ type: 'ERROR', object: { code: 410, reason: 'Expired', metadata: {} } as never }),
    );
    const inf = new Informer<KubeObject>(server, NODES);
    await inf.start();
    for (let i = 0; i < 5; i++) await tick();
    inf.stop();
    expect(inf.lists).to.equal(2);
  });

  it('retries other failures with exponential backoff on the injected clock', async () => {
    const server = new FakeServer();
    const fail = async () => {
      throw new Error('connection refused');
    };
    server.watches.push(fail, fail);
    const clock = new FakeClock();
    const inf = new Informer<KubeObject>(server, NODES, { clock, minBackoffMs: 100, maxBackoffMs: 1000 });
    await inf.start();
    await tick();
    expect(server.watchedFrom).to.have.length(1);
    clock.advance(99);
    await tick();
    expect(server.watchedFrom).to.have.length(1);
    clock.advance(1);
    for (let i = 0; i < 3; i++) await tick();
    expect(server.watchedFrom).to.have.length(2);
    clock.advance(199); // the second failure waits twice as long
    await tick();
    expect(server.watchedFrom).to.have.length(2);
    clock.advance(1);
    for (let i = 0; i < 3; i++) await tick();
    expect(server.watchedFrom).to.have.length(3);
    inf.stop();
  });

  it('redelivers every cached object at each resync', async () => {
    const server = new FakeServer();
    server.objects = [obj('a', '1'), obj('b', '2')];
    const clock = new FakeClock();
    const inf = new Informer<KubeObject>(server, NODES, { clock, resyncMs: 10_000 });
    const log = record(inf);
    await inf.start();
    clock.advance(11_000); // period ± 10% jitter
    inf.stop();
    expect(log).to.deep.equal(['add a', 'add b', 'update a@1', 'update b@2']);
  });

  it('stops: no watch is resumed and no timer is left', async () => {
    const server = new FakeServer();
    const clock = new FakeClock();
    const inf = new Informer<KubeObject>(server, NODES, { clock, resyncMs: 1000 });
    await inf.start();
    inf.stop();
    await tick();
    expect(clock.pending).to.equal(0);
    expect(server.watchedFrom).to.have.length(1);
  });
});
