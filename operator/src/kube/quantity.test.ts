import { expect } from 'chai';
import { parseQuantity, podRequest } from './quantity.ts';

describe('Kubernetes quantities', () => {
  it('parses cores, millicores, binary and decimal suffixes and exponents', () => {
    expect(parseQuantity('4')).to.equal(4);
    expect(parseQuantity('3500m')).to.equal(3.5);
    expect(parseQuantity('16Gi')).to.equal(16 * 2 ** 30);
    expect(parseQuantity('512Mi')).to.equal(512 * 2 ** 20);
    expect(parseQuantity('1G')).to.equal(1e9);
    expect(parseQuantity('1e3')).to.equal(1000);
    expect(() => parseQuantity('12Qi')).to.throw('invalid quantity suffix');
  });

  it('sums container requests, takes the largest init container if bigger, and adds overhead', () => {
    const spec = {
      containers: [
        { resources: { requests: { cpu: '500m' } } },
        { resources: { requests: { cpu: '250m' } } },
      ],
      initContainers: [{ resources: { requests: { cpu: '2' } } }],
      overhead: { cpu: '100m' },
    };
    expect(podRequest(spec, 'cpu')).to.be.closeTo(2.1, 1e-9);
    expect(podRequest({ containers: [{}] }, 'memory')).to.equal(0);
  });
});
