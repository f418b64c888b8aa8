import { expect } from 'chai';
import { FakeClock } from './clock.ts';
import { ExponentialBackoff, WorkQueue } from './workqueue.ts';

describe('WorkQueue (client-go semantics)', () => {
  it('queues a key once however often it is added', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).to.equal(2);
    expect(await q.get()).to.equal('a');
    expect(await q.get()).to.equal('b');
  });

  it('never hands a key to two workers; a key added while in flight comes back after done()', async () => {
    const q = new WorkQueue();
    q.add('a');
    const first = await q.get();
    q.add('a'); // changed while being processed
    expect(q.length).to.equal(0);
    q.done(first!);
    expect(q.length).to.equal(1);
    expect(await q.get()).to.equal('a');
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.add('x');
    expect(await waiting).to.equal('x');
  });

  it('backs off exponentially per key and forgets on success', () => {
    const b = new ExponentialBackoff<string>(5, 100);
    expect([b.when('k'), b.when('k'), b.when('k'), b.when('k'), b.when('k'), b.when('k')]).to.deep.equal([
      5, 10, 20, 40, 80, 100,
    ]);
    expect(b.when('other')).to.equal(5);
    b.forget('k');
    expect(b.when('k')).to.equal(5);
  });

  it('re-adds a failed key after its backoff, on the injected clock', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, limiter: new ExponentialBackoff(1000, 60_000) });
    q.addRateLimited('k');
    expect(q.length).to.equal(0);
    clock.advance(999);
    expect(q.length).to.equal(0);
    clock.advance(1);
    expect(q.length).to.equal(1);
  });

  it('keeps the earliest of two delayed adds', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('k', 5000);
    q.addAfter('k', 100);
    q.addAfter('k', 9000);
    clock.advance(100);
    expect(q.length).to.equal(1);
    expect(clock.pending).to.equal(0);
  });

  it('releases waiting workers and refuses new keys on shutdown', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).to.equal(undefined);
    q.add('late');
    expect(q.length).to.equal(0);
  });
});
