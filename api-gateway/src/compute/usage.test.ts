// os-simple-tenant-usage's arithmetic (simple_tenant_usage.py): the hours in a window, the window
// filter, the per-project totals and _parse_datetime's formats.
import { expect } from 'chai';
import type { Server } from '../../../operator/src/api/v1alpha1/index.ts';
import { SERVER_UID, activeServer, apiErrorOf } from '../servers/testdata.ts';
import { activeInWindow, hoursFor, parseUsageTime, tenantUsages } from './usage.ts';

const T = (iso: string) => Date.parse(iso);
const launched = (at: string, ended?: string): Server => {
  const s = activeServer();
  s.status = { ...s.status, launchedAt: at, ...(ended ? { terminatedAt: ended } : {}) };
  return s;
};

describe('os-simple-tenant-usage: hours, window and totals as Nova computes them', () => {
  it('_parse_datetime: the three strptime formats, empty → now, anything else 400 with Nova message', () => {
    expect(parseUsageTime('2026-11-01T10:00:00', 0)).to.equal(T('2026-11-01T10:00:00Z'));
    expect(parseUsageTime('2026-11-01T10:00:00.250000', 0)).to.equal(T('2026-11-01T10:00:00.250Z'));
    expect(parseUsageTime('2026-11-01 10:00:00.5', 0)).to.equal(T('2026-11-01T10:00:00.500Z'));
    expect(parseUsageTime(undefined, 42)).to.equal(42);
    expect(parseUsageTime('', 42)).to.equal(42);
    for (const bad of ['2026-11-01', '2026-11-01 10:00:00', '2026-02-30T00:00:00', '2026-11-01T10:00:00Z']) {
      const e = apiErrorOf(() => parseUsageTime(bad, 0));
      expect(e.code, bad).to.equal(400);
      expect(e.message).to.equal('Invalid datetime string: Datetime is in invalid format');
    }
  });

  it('_hours_for: from max(launch, start) to min(stop, termination); nothing outside the window or unlaunched', () => {
    const start = T('2026-11-01T00:00:00Z');
    const stop = T('2026-11-02T00:00:00Z');
    expect(hoursFor(launched('2026-11-01T06:00:00Z'), start, stop)).to.equal(18);
    expect(hoursFor(launched('2026-10-01T00:00:00Z'), start, stop)).to.equal(24);
    expect(hoursFor(launched('2026-11-01T06:00:00Z', '2026-11-01T07:30:00Z'), start, stop)).to.equal(1.5);
    expect(hoursFor(launched('2026-10-01T00:00:00Z', '2026-10-02T00:00:00Z'), start, stop)).to.equal(0);
    expect(hoursFor(launched('2026-11-03T00:00:00Z'), start, stop)).to.equal(0);
    const building = activeServer();
    delete building.status!.launchedAt;
    expect(hoursFor(building, start, stop)).to.equal(0);
    expect(activeInWindow(building, start, stop)).to.equal(false);
    expect(activeInWindow(launched('2026-11-01T06:00:00Z'), start, stop)).to.equal(true);
    expect(activeInWindow(launched('2026-11-02T00:00:00Z'), start, stop)).to.equal(false);
    expect(activeInWindow(launched('2026-10-01T00:00:00Z', '2026-11-01T00:00:00Z'), start, stop)).to.equal(
      false,
    );
  });

  it('one summary per project with vcpu/ram/disk hours; server_usages only when detailed', () => {
    const a = launched('2026-11-01T12:00:00Z');
    const b = launched('2026-11-01T18:00:00Z', '2026-11-01T20:00:00Z');
    b.metadata.uid = 'ffffffff-0000-4000-8000-000000000000';
    const w = {
      start: T('2026-11-01T00:00:00Z'),
      stop: T('2026-11-02T00:00:00Z'),
      now: T('2026-11-02T12:00:00Z'),
      detailed: true,
    };
    const { usages, serverUsages } = tenantUsages([a, b], () => 'p1', w);
    expect(usages).to.have.length(1);
    expect(usages[0]).to.deep.include({
      tenant_id: 'p1',
      total_hours: 14,
      total_vcpus_usage: 14,
      total_memory_mb_usage: 2048 * 14,
      total_local_gb_usage: 20 * 14,
      start: '2026-11-01T00:00:00.000000',
      stop: '2026-11-02T00:00:00.000000',
    });
    expect(serverUsages[0]).to.deep.equal({
      hours: 12,
      flavor: 'm1.small',
      instance_id: SERVER_UID,
      name: 'web',
      tenant_id: 'p1',
      memory_mb: 2048,
      local_gb: 20,
      vcpus: 1,
      started_at: '2026-11-01T12:00:00.000000',
      ended_at: null,
      state: 'active',
      uptime: 24 * 3600,
    });
    expect(serverUsages[1]).to.include({ state: 'terminated', uptime: 7200, hours: 2 });
    expect((usages[0] as { server_usages: unknown[] }).server_usages).to.have.length(2);
    const brief = tenantUsages([a], () => 'p1', { ...w, detailed: false });
    expect(brief.usages[0]).to.not.have.property('server_usages');
  });
});
