import { expect } from 'chai';
import { limitAndMarker, paginate } from './common.ts';

describe('Compute pagination (nova/api/openstack/common.py)', () => {
  it('caps limit at max_limit, and treats 0 or absence as max_limit', () => {
    expect(limitAndMarker({})).to.deep.equal({ limit: 1000, marker: undefined });
    expect(limitAndMarker({ limit: '0' })).to.deep.equal({ limit: 1000, marker: undefined });
    expect(limitAndMarker({ limit: '5000', marker: 'm' })).to.deep.equal({ limit: 1000, marker: 'm' });
    expect(limitAndMarker({ limit: '3' }).limit).to.equal(3);
  });

  it('refuses negative or non-integer limits', () => {
    expect(() => limitAndMarker({ limit: '-1' })).to.throw('Invalid input received: limit must be >= 0');
    expect(() => limitAndMarker({ limit: 'x' })).to.throw('Invalid input received: limit must be an integer');
  });

  it('pages after the marker, and answers an unknown marker with 400', () => {
    const items = ['a', 'b', 'c', 'd'];
    expect(paginate(items, (x) => x, 2)).to.deep.equal(['a', 'b']);
    expect(paginate(items, (x) => x, 2, 'b')).to.deep.equal(['c', 'd']);
    expect(paginate(items, (x) => x, 2, 'd')).to.deep.equal([]);
    expect(() => paginate(items, (x) => x, 2, 'z')).to.throw('marker [z] not found');
  });
});
