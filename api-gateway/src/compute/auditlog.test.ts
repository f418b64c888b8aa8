// os-instance-usage-audit-log's period arithmetic and its answer with no audit task logs.
import { expect } from 'chai';
import { apiErrorOf } from '../servers/testdata.ts';
import { auditLogView, lastCompletedMonth, parseAuditDate } from './auditlog.ts';

describe('os-instance-usage-audit-log: last completed month, no task logs', () => {
  it('the period is the last whole month before the date (the 1st itself belongs to the month before)', () => {
    const p = lastCompletedMonth(Date.parse('2026-11-24T17:00:00Z'));
    expect([new Date(p.begin).toISOString(), new Date(p.end).toISOString()]).to.deep.equal([
      '2026-10-01T00:00:00.000Z',
      '2026-11-01T00:00:00.000Z',
    ]);
    const jan = lastCompletedMonth(Date.parse('2026-01-01T00:00:00Z'));
    expect(new Date(jan.begin).toISOString()).to.equal('2025-11-01T00:00:00.000Z');
  });

  it("every host is not run; Nova's overall status and str(datetime) times", () => {
    const view = auditLogView(['node-1', 'node-2'], lastCompletedMonth(Date.parse('2026-11-24T00:00:00Z')));
    expect(view).to.deep.include({
      period_beginning: '2026-10-01 00:00:00',
      period_ending: '2026-11-01 00:00:00',
      num_hosts: 2,
      num_hosts_not_run: 2,
      hosts_not_run: ['node-1', 'node-2'],
      overall_status: '0 of 2 hosts done. 0 errors.',
      log: {},
    });
    expect(auditLogView([], { begin: 0, end: 0 }).overall_status).to.equal('ALL hosts done. 0 errors.');
  });

  it('show ids: "%Y-%m-%d %H:%M:%S[.%f]", else 400 Invalid timestamp for date', () => {
    expect(parseAuditDate('2026-11-02 10:00:00')).to.equal(Date.parse('2026-11-02T10:00:00Z'));
    expect(parseAuditDate('2026-11-02 10:00:00.5')).to.equal(Date.parse('2026-11-02T10:00:00.500Z'));
    for (const bad of ['2026-11-02', '2026-02-30 00:00:00', 'x']) {
      expect(apiErrorOf(() => parseAuditDate(bad)).message).to.equal(`Invalid timestamp for date ${bad}`);
    }
  });
});
