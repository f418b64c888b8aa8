import { expect } from 'chai';
import { KubeError } from '../kube/client.ts';
import { LEASES, objectPath } from '../kube/resources.ts';
import { FakeClock } from './clock.ts';
import { type Lease, type LeaseSpec, microTime } from '../kube/lease.ts';
import { type LeaderElectionOptions, type LeaseClient, LeaderElector } from './leaderelection.ts';

const NAMESPACE = 'kova-system';
const NAME = 'kova-operator';
const PATH = objectPath(LEASES, NAME, NAMESPACE);

/** An in-memory Lease store with the apiserver's optimistic concurrency (404, 409). */
class FakeLeases implements LeaseClient {
  private readonly leases = new Map<string, Lease>();
  private rv = 0;
  private hung?: PromiseWithResolvers<void>;
  /** Every request, in order: 'get', 'create' or 'replace'. */
  readonly calls: string[] = [];
  /** Called with a replace's body just before it is applied (to race it, or to see it). */
  beforeReplace?: (body: Lease) => void;

  /** From now on requests wait until heal(). */
  hang(): void {
    this.hung = Promise.withResolvers();
  }

  heal(): void {
    this.hung?.resolve();
    this.hung = undefined;
  }

  /** The stored Lease's spec. */
  get spec(): LeaseSpec | undefined {
    return this.leases.get(PATH)?.spec;
  }

  /** Writes the Lease directly, as a candidate outside the test would. */
  put(spec: LeaseSpec): void {
    const metadata = this.leases.get(PATH)?.metadata ?? { name: NAME, namespace: NAMESPACE };
    this.store(PATH, { metadata: { ...metadata }, spec });
  }

  async get<T>(path: string): Promise<T> {
    await this.call('get');
    const lease = this.leases.get(path);
    if (!lease) throw new KubeError(404, 'NotFound', `${path} not found`, {});
    return structuredClone(lease) as T;
  }

  async create<T>(collection: string, body: T): Promise<T> {
    await this.call('create');
    const lease = structuredClone(body) as Lease;
    const path = `${collection}/${lease.metadata.name}`;
    if (this.leases.has(path)) throw new KubeError(409, 'AlreadyExists', `${path} already exists`, {});
    return this.store(path, lease) as T;
  }

  async replace<T>(path: string, body: T): Promise<T> {
    await this.call('replace');
    const lease = structuredClone(body) as Lease;
    this.beforeReplace?.(lease);
    const current = this.leases.get(path);
    if (!current) throw new KubeError(404, 'NotFound', `${path} not found`, {});
    if (lease.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new KubeError(409, 'Conflict', `${path}: the object has been modified`, {});
    }
    return this.store(path, lease) as T;
  }

  private async call(kind: string): Promise<void> {
    this.calls.push(kind);
    await this.hung?.promise;
  }

  private store(path: string, lease: Lease): Lease {
    lease.metadata.resourceVersion = String(++this.rv);
    this.leases.set(path, lease);
    return structuredClone(lease);
  }
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/** Moves the fake clock in steps of at most 100 ms, letting the electors run between steps. */
async function advance(clock: FakeClock, ms: number): Promise<void> {
  await settle(); // an elector just started must first get to wait on the clock
  for (let left = ms; left > 0; left -= 100) {
    clock.advance(Math.min(100, left));
    await settle();
  }
}

/** A candidate on the fake store and clock, recording its callbacks. */
function candidate(
  identity: string,
  store: FakeLeases,
  clock: FakeClock,
  options: Partial<LeaderElectionOptions> = {},
) {
  const events: string[] = [];
  const signals: AbortSignal[] = [];
  const leaders: string[] = [];
  const elector = new LeaderElector({
    client: store,
    namespace: NAMESPACE,
    name: NAME,
    identity,
    clock,
    onStartedLeading: (signal) => {
      signals.push(signal);
      events.push('started leading');
    },
    onStoppedLeading: () => events.push('stopped leading'),
    onNewLeader: (id) => leaders.push(id),
    ...options,
  });
  return { elector, events, signals, leaders };
}

describe('LeaderElector (fake Lease store, fake clock)', () => {
  let clock: FakeClock;
  let store: FakeLeases;
  const start = Date.UTC(2026, 0, 1);

  beforeEach(() => {
    clock = new FakeClock(start);
    store = new FakeLeases();
  });

  it('creates the Lease when there is none and leads; renews every retryPeriod without reading first', async () => {
    const a = candidate('a', store, clock);
    void a.elector.run();
    await settle();
    expect(a.elector.isLeader).to.equal(true);
    expect(a.events).to.deep.equal(['started leading']);
    expect(a.leaders).to.deep.equal(['a']);
    expect(store.spec).to.deep.equal({
      holderIdentity: 'a',
      leaseDurationSeconds: 15,
      acquireTime: '2026-01-01T00:00:00.000000Z',
      renewTime: '2026-01-01T00:00:00.000000Z',
      leaseTransitions: 0,
    });

    await advance(clock, 4000);
    expect(store.spec?.renewTime).to.equal('2026-01-01T00:00:04.000000Z');
    expect(store.spec?.acquireTime).to.equal('2026-01-01T00:00:00.000000Z');
    expect(store.calls).to.deep.equal(['get', 'create', 'replace', 'replace']);
    await a.elector.stop();
  });

  it("takes over exactly leaseDuration after it saw the holder's last write, whatever the holder's renewTime says", async () => {
    // The holder's clock is an hour behind ours: by its renewTime the Lease expired long ago.
    const skewed = microTime(start - 3600_000);
    store.put({
      holderIdentity: 'ghost',
      leaseDurationSeconds: 15,
      acquireTime: skewed,
      renewTime: skewed,
      leaseTransitions: 3,
    });
    // The ghost wrote the Lease at 0 ms and died. b's first read is held up until 6000 ms, so by
    // b's clock the Lease is good until 21000 ms, not 15000.
    store.hang();
    const b = candidate('b', store, clock, { retryPeriodMs: 500 });
    void b.elector.run();
    await advance(clock, 6000);
    store.heal();
    await settle();
    expect(b.elector.isLeader).to.equal(false);
    expect(b.leaders).to.deep.equal(['ghost']);
    await advance(clock, 14_999); // 20999 ms; b has tried every 500 ms, last at 20500
    expect(b.elector.isLeader).to.equal(false);
    await advance(clock, 1); // 21000 ms
    expect(b.elector.isLeader).to.equal(true);
    expect(store.spec).to.deep.equal({
      holderIdentity: 'b',
      leaseDurationSeconds: 15,
      acquireTime: microTime(start + 21_000),
      renewTime: microTime(start + 21_000),
      leaseTransitions: 4,
    });
    expect(b.leaders).to.deep.equal(['ghost', 'b']);
    await b.elector.stop();
  });

  it("waits the holder's leaseDurationSeconds when it is longer than its own", async () => {
    store.put({ holderIdentity: 'ghost', leaseDurationSeconds: 60, leaseTransitions: 0 });
    const b = candidate('b', store, clock);
    void b.elector.run();
    await advance(clock, 59_900);
    expect(b.elector.isLeader).to.equal(false);
    await advance(clock, 100);
    expect(b.elector.isLeader).to.equal(true);
    await b.elector.stop();
  });

  it('records leaseDurationMs rounded up to whole seconds, and waits that long', async () => {
    const opts = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };
    store.put({ holderIdentity: 'ghost', leaseDurationSeconds: 1, leaseTransitions: 0 });
    const b = candidate('b', store, clock, opts);
    void b.elector.run();
    await advance(clock, 1900);
    expect(b.elector.isLeader).to.equal(false);
    await advance(clock, 100);
    expect(b.elector.isLeader).to.equal(true);
    expect(store.spec?.leaseDurationSeconds).to.equal(2);
    await b.elector.stop();
  });

  it('of two candidates started together one leads; the other, refused with 409, does not', async () => {
    const a = candidate('a', store, clock);
    const b = candidate('b', store, clock);
    void a.elector.run();
    void b.elector.run();
    await settle();
    // Both read 404 and created; the second create was refused with AlreadyExists.
    expect(store.calls).to.deep.equal(['get', 'get', 'create', 'create']);
    expect([a.elector.isLeader, b.elector.isLeader]).to.deep.equal([true, false]);
    await advance(clock, 20_000);
    expect([a.elector.isLeader, b.elector.isLeader]).to.deep.equal([true, false]);
    expect(b.leaders).to.deep.equal(['a']);
    await Promise.all([a.elector.stop(), b.elector.stop()]);
  });

  it('a takeover that loses the race (409) does not lead, and counts the winner’s write as a fresh renewal', async () => {
    store.put({ holderIdentity: 'ghost', leaseDurationSeconds: 15, leaseTransitions: 0 });
    const b = candidate('b', store, clock);
    void b.elector.run();
    await advance(clock, 14_000);
    // At 16000 ms b finds the Lease expired and writes; the ghost renews just before b's write lands.
    store.beforeReplace = () => {
      store.beforeReplace = undefined;
      store.put({ ...store.spec, renewTime: microTime(clock.now()) });
    };
    await advance(clock, 2000);
    expect(b.elector.isLeader).to.equal(false);
    expect(store.spec?.holderIdentity).to.equal('ghost');
    // b sees that renewal on its next read, at 18000 ms: the Lease is good until 33000 ms.
    await advance(clock, 17_999); // 33999 ms
    expect(b.elector.isLeader).to.equal(false);
    await advance(clock, 1); // 34000 ms, b's first attempt after 33000
    expect(b.elector.isLeader).to.equal(true);
    await b.elector.stop();
  });

  it('stop() aborts the signal, waits for the work, then releases the Lease so a waiting candidate takes over at once', async () => {
    const order: string[] = [];
    const a = candidate('a', store, clock, {
      onStartedLeading: async (signal) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        await settle();
        order.push('work finished');
      },
      onStoppedLeading: () => order.push('stopped leading'),
    });
    const b = candidate('b', store, clock);
    void a.elector.run();
    await settle();
    void b.elector.run();
    await advance(clock, 1000);
    store.beforeReplace = (body) => {
      if (body.spec?.holderIdentity === '') order.push('release sent');
    };
    await a.elector.stop();
    expect(order).to.deep.equal(['stopped leading', 'work finished', 'release sent']);
    expect(a.elector.isLeader).to.equal(false);
    expect(store.spec).to.include({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 0 });
    expect(store.spec?.renewTime).to.equal(microTime(start + 1000));

    // b tries every 2000 ms: it takes over at 2000 ms, not 15 s later.
    await advance(clock, 900);
    expect(b.elector.isLeader).to.equal(false);
    await advance(clock, 100);
    expect(b.elector.isLeader).to.equal(true);
    expect(store.spec).to.include({ holderIdentity: 'b', leaseTransitions: 1 });
    await b.elector.stop();
  });

  it('writes nothing after stop() resolves and leaves no timer behind', async () => {
    const a = candidate('a', store, clock);
    void a.elector.run();
    await advance(clock, 3000);
    await a.elector.stop();
    const calls = store.calls.length;
    expect(clock.pending).to.equal(0);
    await advance(clock, 60_000);
    expect(store.calls.length).to.equal(calls);
    expect(a.events).to.deep.equal(['started leading', 'stopped leading']);
  });

  it('a leader whose requests hang steps down by timer, renewDeadline after the first failed round began, then campaigns again', async () => {
    const a = candidate('a', store, clock);
    void a.elector.run();
    await advance(clock, 2000); // renewed at 2000 ms
    store.hang(); // the renewal at 4000 ms never returns
    // Step down at 2000 (last renewal sent) + 2000 (retryPeriod) + 10000 (renewDeadline) ms.
    await advance(clock, 11_900); // 13900 ms
    expect(a.elector.isLeader).to.equal(true);
    await advance(clock, 100); // 14000 ms
    expect(a.elector.isLeader).to.equal(false);
    expect(a.signals[0]?.aborted).to.equal(true);
    expect(a.events).to.deep.equal(['started leading', 'stopped leading']);

    // The hung renewal finally lands: the Lease is still a's, so it leads again, in a new term.
    store.heal();
    await settle();
    expect(a.elector.isLeader).to.equal(true);
    expect(a.events).to.deep.equal(['started leading', 'stopped leading', 'started leading']);
    expect(a.signals[1]?.aborted).to.equal(false);
    await a.elector.stop();
  });

  it('a leader that reads the Lease held by someone else steps down at once', async () => {
    const a = candidate('a', store, clock);
    void a.elector.run();
    await advance(clock, 1000);
    store.put({ ...store.spec, holderIdentity: 'intruder' });
    await advance(clock, 1000); // a's renewal at 2000 ms: 409, then a read shows the intruder
    expect(a.elector.isLeader).to.equal(false);
    expect(a.signals[0]?.aborted).to.equal(true);
    expect(a.leaders).to.deep.equal(['a', 'intruder']);
    await a.elector.stop();
    expect(store.spec?.holderIdentity).to.equal('intruder'); // not released: it is not a's
  });

  it('refuses durations under which a leader could still lead after others see its Lease expire', () => {
    const make = (leaseDurationMs: number, renewDeadlineMs: number, retryPeriodMs: number) => () =>
      candidate('a', store, clock, { leaseDurationMs, renewDeadlineMs, retryPeriodMs });
    expect(make(15_000, 10_000, 2000)).not.to.throw();
    expect(make(12_000, 10_000, 2000)).to.throw(/leaseDurationMs > renewDeadlineMs \+ retryPeriodMs/);
    expect(make(15_000, 2000, 2000)).to.throw(/retryPeriodMs < renewDeadlineMs/);
  });
});
