import { expect } from 'chai';
import { NAME, create } from './all_hosts.ts';
import { fakeHost, fakeSpec } from '../testing.ts';

describe('AllHostsFilter (Nova all_hosts_filter.py)', () => {
  it('is named AllHostsFilter', () => {
    expect(create().name).to.equal(NAME).and.equal('AllHostsFilter');
  });

  it('passes every host, even a disabled, down or full one', () => {
    const f = create();
    const hosts = [
      fakeHost('a'),
      fakeHost('off', { enabled: false, up: false }),
      fakeHost('full', { used: { vcpus: 16, memoryMb: 16384, diskGb: 100 } }),
    ];
    for (const h of hosts) expect(f.hostPasses(h, fakeSpec())).to.equal(undefined);
  });
});
