import { expect } from 'chai';
import { pino } from 'pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller } from './controller.ts';
import { RuntimeMetrics } from './metrics.ts';

const log = pino({ level: 'silent' });

describe('Controller (work queue + reconcile loop)', () => {
  it('retries a failing key with backoff until it succeeds, then forgets its failures', async () => {
    let calls = 0;
    const metrics = new RuntimeMetrics();
    const c = new Controller({
      name: 't',
      log,
      metrics,
      backoffBaseMs: 5,
      reconcile: async () => {
        if (++calls < 3) throw new Error('transient');
      },
    });
    const stop = new AbortController();
    const run = c.run(stop.signal);
    c.queue.add('k');
    for (let i = 0; i < 100 && calls < 3; i++) await sleep(5);
    stop.abort();
    await run;
    expect(calls).to.equal(3);
    expect(c.queue.limiter.failures('k')).to.equal(0);
    const text = await metrics.registry.metrics();
    expect(text).to.contain('kova_reconcile_total{controller="t",result="error"} 2');
    expect(text).to.contain('kova_reconcile_total{controller="t",result="success"} 1');
  });

  it('never reconciles one key in two workers at once, however often it is added', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let calls = 0;
    const c = new Controller({
      name: 't',
      log,
      workers: 4,
      reconcile: async () => {
        calls++;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(5);
        inFlight--;
      },
    });
    const stop = new AbortController();
    const run = c.run(stop.signal);
    for (let i = 0; i < 20; i++) {
      c.queue.add('same');
      await sleep(1);
    }
    await sleep(30);
    stop.abort();
    await run;
    expect(maxInFlight).to.equal(1);
    expect(calls).to.be.within(2, 20); // adds during a reconcile collapse into one more
  });

  it('requeues after requeueAfterMs, and treats 404 (object gone) as done', async () => {
    const seen: string[] = [];
    const c = new Controller({
      name: 't',
      log,
      reconcile: async (key) => {
        seen.push(key);
        if (key === 'gone') throw Object.assign(new Error('not found'), { code: 404 });
        if (seen.filter((k) => k === 'timer').length === 1) return { requeueAfterMs: 10 };
      },
    });
    const stop = new AbortController();
    const run = c.run(stop.signal);
    c.queue.add('timer');
    c.queue.add('gone');
    await sleep(60);
    stop.abort();
    await run;
    expect(seen.filter((k) => k === 'timer')).to.have.length(2);
    expect(seen.filter((k) => k === 'gone')).to.have.length(1);
    expect(c.queue.limiter.failures('gone')).to.equal(0);
  });
});
