import { expect } from 'chai';
import { WriteTracker } from './writetracker.ts';

const obj = (rv: string) => ({ metadata: { name: 'a', namespace: 'ns', resourceVersion: rv } });

describe('WriteTracker (expectations)', () => {
  it('calls the version a controller wrote over stale until the cache moves past it', () => {
    const t = new WriteTracker();
    expect(t.isStale(obj('1'))).to.equal(false);
    t.wrote(obj('1'));
    expect(t.isStale(obj('1'))).to.equal(true);
    expect(t.isStale(obj('2'))).to.equal(false);
    expect(t.isStale(obj('1'))).to.equal(false); // forgotten once moved past
  });
});
