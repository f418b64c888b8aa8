import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyedLock } from './keyedlock.ts';

describe('KeyedLock (one driver operation at a time per instance)', () => {
  it('runs the calls for one key one after another, in arrival order, even when one fails', async () => {
    const lock = new KeyedLock();
    const seen: string[] = [];
    const op = (name: string, ms: number, fail = false) =>
      lock.run('uuid-1', async () => {
        seen.push(`start ${name}`);
        await sleep(ms);
        seen.push(`end ${name}`);
        if (fail) throw new Error(name);
      });
    const results = await Promise.allSettled([op('a', 20, true), op('b', 1), op('c', 5)]);
    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'fulfilled', 'fulfilled']);
    expect(seen).to.deep.equal(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('lets calls for different keys run at the same time', async () => {
    const lock = new KeyedLock();
    const seen: string[] = [];
    await Promise.all(
      ['x', 'y'].map((k) =>
        lock.run(k, async () => {
          seen.push(`start ${k}`);
          await sleep(5);
          seen.push(`end ${k}`);
        }),
      ),
    );
    expect(seen.slice(0, 2)).to.deep.equal(['start x', 'start y']);
  });
});
