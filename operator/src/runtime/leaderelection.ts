// Leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics
// (k8s.io/client-go/tools/leaderelection):
// - A candidate creates the Lease, or takes it over once it has expired; the leader renews it
//   every retryPeriod. Every write is a create or a PUT carrying the resourceVersion last read,
//   so of two candidates racing for the same Lease exactly one write succeeds (409 for the other,
//   which re-reads on its next attempt and does not assume leadership).
// - Expiry is judged by this candidate's own clock: the Lease expires leaseDuration after the
//   moment this candidate last saw its record change (client-go's observedTime), never by the
//   renewTime written by another machine, so clock skew between machines does not matter.
// - A leader that has not renewed within renewDeadline steps down: it aborts the signal given to
//   onStartedLeading and calls onStoppedLeading, on a timer, so a hung request cannot keep it
//   leading. It then tries to acquire again. Because renewDeadline + retryPeriod < leaseDuration
//   (the constructor insists), and the deadline counts from when its last renewal was sent, it
//   has stepped down before any other candidate can consider the Lease expired.
// - stop() steps down and releases the Lease (holderIdentity '', as client-go's ReleaseOnCancel),
//   so a successor takes over at its next attempt instead of after leaseDuration.
//
// Differences from client-go: no jitter on acquire retries (a handful of replicas need no load
// spreading, and tests stay deterministic); a leader that reads the Lease held by someone else
// steps down at once rather than when renewDeadline passes; the Lease's leaseDurationSeconds is
// leaseDurationMs rounded up, and a candidate waits the longer of that and the holder's.
import type { Logger } from 'pino';
import { type KubeClient, isAlreadyExists, isConflict, isNotFound } from '../kube/client.ts';
import { type Lease, type LeaseSpec, microTime } from '../kube/lease.ts';
import { LEASES, collectionPath, objectPath } from '../kube/resources.ts';
import { type Clock, realClock } from './clock.ts';

/** What leader election needs of a client (a fake one in unit tests). */
export type LeaseClient = Pick<KubeClient, 'get' | 'create' | 'replace'>;

export interface LeaderElectionOptions {
  client: LeaseClient;
  /** Where the Lease lives. */
  namespace: string;
  /** The Lease's name, e.g. 'kova-operator'. */
  name: string;
  /** This candidate, e.g. `${hostname}-${pid}`; unique among the candidates. */
  identity: string;
  /**
   * How long others wait after the last renewal they saw before taking over (default 15000).
   * A Lease records whole seconds, so this is rounded up to a whole second.
   */
  leaseDurationMs?: number;
  /** The leader steps down if it could not renew for this long (default 10000). */
  renewDeadlineMs?: number;
  /** How often to try to acquire or renew (default 2000). */
  retryPeriodMs?: number;
  clock?: Clock;
  log?: Logger;
  /**
   * Called on becoming leader. The signal aborts when leadership is lost or stop() is called;
   * the returned promise should settle soon after. Before acquiring again, and before stop()
   * releases the Lease, the elector waits for it, so the work of two terms never overlaps.
   * Hence it must not await stop() itself (call `void elector.stop()` instead): that deadlocks.
   */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  onStoppedLeading?: () => void;
  /** Called when a (non-empty) holder is first seen, this candidate included. */
  onNewLeader?: (identity: string) => void;
}

export class LeaderElector {
  private readonly options: LeaderElectionOptions;
  private readonly client: LeaseClient;
  private readonly clock: Clock;
  private readonly path: string;
  private readonly leaseDurationSeconds: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  /** Aborted by stop(): wakes every sleep. */
  private readonly stopping = new AbortController();
  private running?: Promise<void>;
  private leading = false;
  /** The Lease as last read or written. */
  private observed?: Lease;
  /** Its spec, serialized, to notice when it changes. */
  private observedRecord = '';
  /** Local clock time at which observedRecord last changed. */
  private observedAt = 0;
  /** Local clock time at which the last successful acquire or renew was sent. */
  private renewedAt = 0;
  private reportedLeader = '';

  constructor(options: LeaderElectionOptions) {
    const leaseDurationMs = options.leaseDurationMs ?? 15_000;
    const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    const retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (!(retryPeriodMs > 0 && renewDeadlineMs > retryPeriodMs)) {
      throw new Error('leader election: need 0 < retryPeriodMs < renewDeadlineMs');
    }
    // A leader steps down at most retryPeriod + renewDeadline after its last renewal; others
    // must not consider the Lease expired before then.
    if (!(leaseDurationMs > renewDeadlineMs + retryPeriodMs)) {
      throw new Error('leader election: need leaseDurationMs > renewDeadlineMs + retryPeriodMs');
    }
    this.options = options;
    this.client = options.client;
    this.clock = options.clock ?? realClock;
    this.path = objectPath(LEASES, options.name, options.namespace);
    this.leaseDurationSeconds = Math.ceil(leaseDurationMs / 1000);
    this.renewDeadlineMs = renewDeadlineMs;
    this.retryPeriodMs = retryPeriodMs;
  }

  /** Whether this candidate leads now: from acquiring the Lease until it steps down. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns, leads, and campaigns again after losing, until stop(); then resolves. */
  run(): Promise<void> {
    this.running ??= this.loop();
    return this.running;
  }

  /**
   * Stops campaigning. A leader steps down, waits for onStartedLeading's promise, and releases
   * the Lease. Resolves when done; nothing is written afterwards. A request in flight is waited for.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if ((await this.tryAcquireOrRenew()) && !this.stopped) {
        await this.lead();
        continue; // lost it (or stopping): try again at once
      }
      await this.sleep(this.retryPeriodMs);
    }
    // Stopped, perhaps just after acquiring: hand the Lease on rather than let it expire.
    if (this.observedHolder === this.options.identity) await this.release();
  }

  /** One term: runs onStartedLeading and renews until renewal fails or stop(). */
  private async lead(): Promise<void> {
    const { log, name, identity } = this.options;
    const term = new AbortController();
    this.leading = true;
    log?.info({ lease: name, identity }, 'became leader');
    const stepDown = (why: string): void => {
      if (!this.leading) return;
      this.leading = false;
      term.abort();
      log?.info({ lease: name, identity, why }, 'stopped leading');
      try {
        this.options.onStoppedLeading?.();
      } catch (err) {
        log?.error({ err, lease: name }, 'onStoppedLeading failed');
      }
    };
    const work = (async () => this.options.onStartedLeading(term.signal))().catch((err: unknown) =>
      log?.error({ err, lease: name }, 'onStartedLeading failed'),
    );
    while (this.leading) {
      await this.sleep(this.retryPeriodMs);
      if (this.stopped || !(await this.renew(stepDown))) break;
    }
    stepDown(this.stopped ? 'stopping' : 'lost the lease');
    await work;
  }

  /**
   * One renewal: tries every retryPeriod until it succeeds (true). Returns false when stopping,
   * when the Lease turns out to be held by someone else, or when renewDeadline passes; that last
   * one steps down by timer, even while a request is still in flight.
   */
  private async renew(stepDown: (why: string) => void): Promise<boolean> {
    // As client-go, the deadline is renewDeadline after this round starts, retryPeriod after the
    // last renewal; but counted from when that renewal was sent rather than answered, since other
    // candidates count from when they saw it, which may be before a slow answer arrived.
    const deadlineMs = this.renewedAt + this.retryPeriodMs + this.renewDeadlineMs - this.clock.now();
    const deadline = new AbortController();
    const cancel = this.clock.after(deadlineMs, () => {
      deadline.abort();
      stepDown(`could not renew within ${this.renewDeadlineMs} ms`);
    });
    const giveUp = AbortSignal.any([this.stopping.signal, deadline.signal]);
    try {
      for (;;) {
        // Renewed, unless the deadline passed while the request was in flight.
        if (await this.tryAcquireOrRenew()) return this.leading;
        if (giveUp.aborted || this.observedHolder !== this.options.identity) return false;
        await this.sleep(this.retryPeriodMs, giveUp);
        if (giveUp.aborted) return false;
      }
    } finally {
      cancel();
    }
  }

  /** client-go's tryAcquireOrRenew: true if this candidate holds the Lease after the call. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const held = await this.acquireOrRenewAt(now);
    if (held) this.renewedAt = now;
    return held;
  }

  private async acquireOrRenewAt(now: number): Promise<boolean> {
    const { identity, log, name } = this.options;
    const record: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: this.leaseDurationSeconds,
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };

    // 1. The leader renews the Lease it last wrote without reading it first; a 409 means someone
    //    else wrote it since, so read it and decide again.
    if (this.observed && this.observedHolder === identity && now < this.expiresAt()) {
      const { acquireTime, leaseTransitions } = this.observed.spec ?? {};
      try {
        await this.write({ ...this.observed, spec: { ...record, acquireTime, leaseTransitions } });
        return true;
      } catch (err) {
        log?.debug({ err, lease: name }, 'renewing without a read failed; reading the lease');
      }
    }

    // 2. Read the Lease, or create it.
    let current: Lease;
    try {
      current = await this.client.get<Lease>(this.path);
    } catch (err) {
      if (!isNotFound(err)) {
        log?.warn({ err, lease: name }, 'reading the lease failed');
        return false;
      }
      try {
        this.observe(
          await this.client.create<Lease>(collectionPath(LEASES, this.options.namespace), {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name, namespace: this.options.namespace },
            spec: record,
          }),
        );
        return true;
      } catch (err) {
        // AlreadyExists: another candidate created it first; read it next time.
        if (!isAlreadyExists(err)) log?.warn({ err, lease: name }, 'creating the lease failed');
        return false;
      }
    }
    this.observe(current);

    // 3. Someone else holds it and it has not expired (by this candidate's clock): wait.
    const holder = current.spec?.holderIdentity;
    if (holder && holder !== identity && now < this.expiresAt()) return false;

    // 4. Take it over (a new holder: one more transition), or renew our own.
    const transitions = current.spec?.leaseTransitions ?? 0;
    const spec: LeaseSpec =
      holder === identity
        ? { ...record, acquireTime: current.spec?.acquireTime, leaseTransitions: transitions }
        : { ...record, leaseTransitions: transitions + 1 };
    try {
      await this.write({ ...current, spec });
      return true;
    } catch (err) {
      if (!isConflict(err)) log?.warn({ err, lease: name }, 'updating the lease failed');
      return false;
    }
  }

  /** Gives the Lease up (client-go's release): no holder, so any candidate may take it at once. */
  private async release(): Promise<void> {
    const lease = this.observed!;
    const now = microTime(this.clock.now());
    try {
      await this.write({
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
        },
      });
      this.options.log?.info({ lease: this.options.name }, 'released the lease');
    } catch (err) {
      this.options.log?.warn({ err, lease: this.options.name }, 'releasing the lease failed');
    }
  }

  /** PUT with the resourceVersion of the Lease it came from. */
  private async write(lease: Lease): Promise<void> {
    this.observe(await this.client.replace<Lease>(this.path, lease));
  }

  private observe(lease: Lease): void {
    const record = JSON.stringify(lease.spec ?? {});
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = this.clock.now();
    }
    this.observed = lease;
    const holder = lease.spec?.holderIdentity ?? '';
    if (holder && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      try {
        this.options.onNewLeader?.(holder);
      } catch (err) {
        this.options.log?.error({ err, lease: this.options.name }, 'onNewLeader failed');
      }
    }
  }

  private get observedHolder(): string | undefined {
    return this.observed?.spec?.holderIdentity;
  }

  /**
   * When the observed Lease expires by this candidate's clock: the holder's leaseDurationSeconds
   * after the record last changed, but never sooner than our own leaseDuration.
   */
  private expiresAt(): number {
    const holders = this.observed?.spec?.leaseDurationSeconds ?? 0;
    return this.observedAt + Math.max(holders, this.leaseDurationSeconds) * 1000;
  }

  /** Waits ms on the clock, or until signal (by default stop()) aborts. */
  private sleep(ms: number, signal: AbortSignal = this.stopping.signal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const wake = (): void => {
        cancel();
        signal.removeEventListener('abort', wake);
        resolve();
      };
      const cancel = this.clock.after(ms, wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }
}
