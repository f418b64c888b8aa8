import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlPlane } from '../../../e2e/harness/controlplane.ts';
import { KubeClient, type RequestInit } from '../kube/client.ts';
import { LEASES, objectPath } from '../kube/resources.ts';
import type { Lease } from '../kube/lease.ts';
import { type LeaseClient, LeaderElector } from './leaderelection.ts';

const NAMESPACE = 'kova-system';
// Short, so the suite runs in seconds. A Lease records whole seconds, hence 2000 rather than 1500.
const LEASE_MS = 2000;
const RENEW_MS = 1000;
const RETRY_MS = 200;

/**
 * A Lease client on a real one, whose requests can be made to fail as a crashed or cut-off
 * process's would. It records when its last successful write was sent.
 */
class Link implements LeaseClient {
  private readonly client: KubeClient;
  broken = false;
  lastWriteSentAt = 0;

  constructor(client: KubeClient) {
    this.client = client;
  }

  get<T>(path: string, init?: RequestInit): Promise<T> {
    return this.call(() => this.client.get<T>(path, init));
  }

  create<T>(path: string, body: T): Promise<T> {
    return this.call(() => this.client.create(path, body), true);
  }

  replace<T>(path: string, body: T): Promise<T> {
    return this.call(() => this.client.replace(path, body), true);
  }

  private async call<T>(request: () => Promise<T>, write = false): Promise<T> {
    if (this.broken) throw new Error('injected failure: apiserver unreachable');
    const sentAt = Date.now();
    const result = await request();
    if (write) this.lastWriteSentAt = sentAt;
    return result;
  }
}

interface Candidate {
  identity: string;
  elector: LeaderElector;
  link: Link;
  /** Date.now() at each onStartedLeading and onStoppedLeading. */
  started: number[];
  stopped: number[];
  signals: AbortSignal[];
}

/** The candidates for one Lease. */
class Pool {
  private readonly client: KubeClient;
  readonly lease: string;
  readonly all: Candidate[] = [];
  /** Times a candidate started leading while another still led (checked at each start). */
  overlaps = 0;

  constructor(client: KubeClient, lease: string) {
    this.client = client;
    this.lease = lease;
  }

  /** Starts a candidate. */
  add(identity: string): Candidate {
    const link = new Link(this.client);
    const started: number[] = [];
    const stopped: number[] = [];
    const signals: AbortSignal[] = [];
    const elector = new LeaderElector({
      client: link,
      namespace: NAMESPACE,
      name: this.lease,
      identity,
      leaseDurationMs: LEASE_MS,
      renewDeadlineMs: RENEW_MS,
      retryPeriodMs: RETRY_MS,
      onStartedLeading: (signal) => {
        if (this.leaders().some((o) => o.elector !== elector)) this.overlaps++;
        started.push(Date.now());
        signals.push(signal);
      },
      onStoppedLeading: () => stopped.push(Date.now()),
    });
    const c: Candidate = { identity, elector, link, started, stopped, signals };
    this.all.push(c);
    void c.elector.run();
    return c;
  }

  leaders(): Candidate[] {
    return this.all.filter((c) => c.elector.isLeader);
  }

  async leader(timeoutMs = 5000): Promise<Candidate> {
    await until(() => this.leaders().length > 0, timeoutMs, `a leader of ${this.lease}`);
    return this.leaders()[0]!;
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.all.map((c) => c.elector.stop()));
  }
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

const report = (line: string) => console.log(`      ${line}`);

describe('LeaderElector on the real apiserver', function () {
  this.timeout(30_000);
  let cp: ControlPlane;
  let client: KubeClient;
  let pools: Pool[] = [];

  const pool = (lease: string) => {
    const p = new Pool(client, lease);
    pools.push(p);
    return p;
  };
  const readLease = (name: string) => client.get<Lease>(objectPath(LEASES, name, NAMESPACE));

  before(async () => {
    cp = await ControlPlane.start({ installCRDs: false }); // Leases are built in
    const ns = await cp.kubectl(['create', 'namespace', NAMESPACE]);
    expect(ns.code, ns.stderr).to.equal(0);
    client = await KubeClient.create(cp.kubeConfig);
  });
  afterEach(async () => {
    await Promise.all(pools.map((p) => p.stopAll()));
    pools = [];
  });
  after(async () => {
    await client?.close();
    await cp?.stop();
  });

  it('of two candidates started together exactly one leads, and the Lease names it', async () => {
    const p = pool('together');
    const t0 = Date.now();
    const [a, b] = [p.add('a'), p.add('b')];
    const leader = await p.leader();
    report(`first leader after ${Date.now() - t0} ms`);
    // Several renewals later it still leads, alone.
    for (let i = 0; i < 50; i++) {
      expect(p.leaders()).to.deep.equal([leader]);
      await sleep(20);
    }
    const lease = await readLease('together');
    expect(lease.spec?.holderIdentity).to.equal(leader.identity);
    expect(lease.spec?.leaseDurationSeconds).to.equal(2);
    expect(lease.spec?.leaseTransitions).to.equal(0);
    expect(lease.spec?.renewTime).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect([a, b].filter((c) => c.started.length > 0)).to.deep.equal([leader]);
  });

  it('when the leader stops it releases the Lease, and the other takes over well within leaseDuration', async () => {
    const p = pool('release');
    const a = p.add('a');
    await p.leader();
    const b = p.add('b');
    await sleep(3 * RETRY_MS); // b is following a
    const t0 = Date.now();
    await a.elector.stop();
    const stopMs = Date.now() - t0;
    expect(a.signals[0]?.aborted).to.equal(true);
    await until(() => b.elector.isLeader, LEASE_MS, 'b to lead');
    const takeoverMs = Date.now() - t0;
    report(`stop() took ${stopMs} ms; b led ${takeoverMs} ms after stop() was called`);
    expect(takeoverMs).to.be.below(RETRY_MS + 300);
    const lease = await readLease('release');
    expect(lease.spec?.holderIdentity).to.equal('b');
    expect(lease.spec?.leaseTransitions).to.equal(1);
    expect(p.overlaps).to.equal(0);
  });

  it('when the leader crashes, the other takes over only once leaseDuration has passed since its last renewal', async () => {
    const p = pool('crash');
    const a = p.add('a');
    await p.leader();
    const b = p.add('b');
    await sleep(1000); // a few renewals, each seen by b
    a.link.broken = true;
    await until(() => b.elector.isLeader, 2 * LEASE_MS, 'b to lead');
    const sinceRenewal = b.started[0]! - a.link.lastWriteSentAt;
    report(
      `a stepped down ${a.stopped[0]! - a.link.lastWriteSentAt} ms and b took over ${sinceRenewal} ms ` +
        `after a's last renewal was sent`,
    );
    expect(sinceRenewal).to.be.at.least(LEASE_MS);
    expect(sinceRenewal).to.be.below(LEASE_MS + 3 * RETRY_MS);
    // a had stepped down (on its renewDeadline) before b took over.
    expect(a.stopped[0]).to.be.below(b.started[0]!);
    expect(p.overlaps).to.equal(0);
    const lease = await readLease('crash');
    expect(lease.spec?.holderIdentity).to.equal('b');
    expect(lease.spec?.leaseTransitions).to.equal(1);
  });

  it('a leader that cannot renew aborts its signal and calls onStoppedLeading within renewDeadline + retryPeriod, then campaigns again', async () => {
    const p = pool('cut-off');
    const a = p.add('a');
    await p.leader();
    await sleep(500);
    const brokeAt = Date.now();
    a.link.broken = true;
    await until(() => a.stopped.length > 0, 2 * LEASE_MS, 'a to step down');
    const afterBreak = a.stopped[0]! - brokeAt;
    const afterRenewal = a.stopped[0]! - a.link.lastWriteSentAt;
    report(
      `stepped down ${afterBreak} ms after its requests began to fail, ${afterRenewal} ms after its last renewal`,
    );
    expect(afterBreak).to.be.at.most(RENEW_MS + RETRY_MS + 100);
    expect(afterRenewal).to.be.at.least(RENEW_MS);
    expect(a.signals[0]?.aborted).to.equal(true);
    expect(a.elector.isLeader).to.equal(false);

    // Reachable again: the Lease still names a, so it leads again, in a new term.
    a.link.broken = false;
    await until(() => a.elector.isLeader, LEASE_MS, 'a to lead again');
    expect(a.started).to.have.length(2);
    expect(a.signals[1]?.aborted).to.equal(false);
  });

  it('two candidates never lead at once while leaders stop, crash and are replaced', async () => {
    const p = pool('contention');
    let next = 0;
    const add = () => p.add(`c${next++}`);
    add();
    add();
    add();
    let samples = 0;
    let led = 0;
    let most = 0;
    const sampler = setInterval(() => {
      const n = p.leaders().length;
      samples++;
      if (n > 0) led++;
      most = Math.max(most, n);
    }, 20);
    const t0 = Date.now();
    try {
      for (let cycle = 0; cycle < 6; cycle++) {
        const leader = await p.leader(2 * LEASE_MS);
        await sleep(300);
        if (cycle === 3) {
          leader.link.broken = true;
          await until(() => !leader.elector.isLeader, 2 * LEASE_MS, 'the crashed leader to step down');
        } else {
          await leader.elector.stop();
        }
        add();
      }
      await p.leader(2 * LEASE_MS);
    } finally {
      clearInterval(sampler);
    }
    const leaders = p.all.filter((c) => c.started.length > 0).map((c) => c.identity);
    report(
      `${samples} samples over ${Date.now() - t0} ms, ${led} with a leader, most at once: ${most}; ` +
        `leaders in turn: ${leaders.join(', ')}`,
    );
    expect(most).to.equal(1);
    expect(p.overlaps).to.equal(0);
    expect(samples).to.be.above(100);
    expect(leaders.length).to.be.at.least(7);
  });
});
