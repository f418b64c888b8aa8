import { expect } from 'chai';
import type { Lease } from '../../../operator/src/kube/lease.ts';
import { controlServices } from './controlservices.ts';

const lease = (holderIdentity: string, renewTime: string): Lease => ({
  metadata: { name: 'kova-operator', namespace: 'kova-system', uid: 'f0e1d2c3-0000-4000-8000-000000000001' },
  spec: { holderIdentity, renewTime, leaseDurationSeconds: 10 },
});

describe('nova-scheduler and nova-conductor from the leader Lease (servicegroup is_up)', () => {
  const renewed = '2026-11-24T10:00:00.000000Z';
  const at = (s: number) => Date.parse('2026-11-24T10:00:00Z') + s * 1000;

  it('are up while the holder renews within leaseDurationSeconds, down after', () => {
    const now = controlServices(lease('op-1', renewed), at(10));
    expect(now.map((s) => [s.binary, s.host, s.up])).to.deep.equal([
      ['nova-scheduler', 'op-1', true],
      ['nova-conductor', 'op-1', true],
    ]);
    expect(controlServices(lease('op-1', renewed), at(11)).every((s) => !s.up)).to.equal(true);
  });

  it('keep their ids when the leader changes (from the Lease uid and the binary); none without a holder', () => {
    const before = controlServices(lease('op-1', renewed), at(1));
    const after = controlServices(lease('op-2', renewed), at(1));
    expect(after.map((s) => [s.id, s.uuid])).to.deep.equal(before.map((s) => [s.id, s.uuid]));
    expect(before[0]!.uuid).to.not.equal(before[1]!.uuid);
    expect(before[0]!.uuid).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(controlServices(lease('', renewed), at(1))).to.deep.equal([]);
    expect(controlServices(undefined, at(1))).to.deep.equal([]);
  });
});
