import { expect } from 'chai';
import { parseDomInfo, parseDomStats, parseEventLine, versionNumber } from './libvirt.ts';

describe('virsh output parsing', () => {
  it('reads a lifecycle event line of `virsh event --loop --event lifecycle`', () => {
    expect(parseEventLine("event 'lifecycle' for domain 'kova-1': Stopped Shutdown")).to.deep.equal({
      domain: 'kova-1',
      event: 'Stopped',
      detail: 'Shutdown',
    });
    expect(parseEventLine('events received: 1')).to.equal(undefined);
  });

  it('reads state and managed save from dominfo', () => {
    const info = parseDomInfo(
      'Id:             -\nName:           kova-1\nState:          shut off\nManaged save:   yes\n',
    );
    expect(info).to.deep.equal({ name: 'kova-1', state: 'shut off', managedSave: true });
  });

  it('reads domstats key=value lines and versions as Nova numbers them', () => {
    expect(parseDomStats("Domain: 'kova-1'\n  state.state=1\n  cpu.time=123\n")).to.deep.equal({
      'state.state': '1',
      'cpu.time': '123',
    });
    expect(versionNumber('7.2.22')).to.equal(7_002_022);
  });
});
