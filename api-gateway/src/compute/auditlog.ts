// os-instance-usage-audit-log (instance_usage_audit_log.py; admin): the instance usage audit
// tasks of the last completed audit period ([DEFAULT] instance_usage_audit_period, default
// month: from the 1st of one month to the 1st of the next, UTC). Kova runs no usage audit task
// (Nova's instance_usage_audit is off by default too), so no host has a task log: every
// nova-compute service (ComputeHost) is listed as not run, as Nova answers with no task logs.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { COMPUTE_PREFIX, type GatewayContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { adminRead, hostsAndZones } from '../admin/hosts.ts';
import { COMPUTE_HOSTS } from '../../../operator/src/controllers/computehost.ts';

const POLICY = (rule: string) => `os_compute_api:os-instance-usage-audit-log:${rule}`;

/** Python's str(datetime): "YYYY-MM-DD HH:MM:SS[.ffffff]". */
const pyTime = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/(\.000)?Z$/, '');

/** utils.last_completed_audit_period('month', before): [begin, end) as epoch ms. */
export function lastCompletedMonth(before: number): { begin: number; end: number } {
  const now = new Date(before);
  let end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  if (end >= before) end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1);
  const e = new Date(end);
  return { begin: Date.UTC(e.getUTCFullYear(), e.getUTCMonth() - 1, 1), end };
}

/** _get_audit_task_logs with no task logs: every host not run. */
export function auditLogView(
  hosts: string[],
  period: { begin: number; end: number },
): Record<string, unknown> {
  return {
    period_beginning: pyTime(period.begin),
    period_ending: pyTime(period.end),
    num_hosts: hosts.length,
    num_hosts_done: 0,
    num_hosts_running: 0,
    num_hosts_not_run: hosts.length,
    hosts_not_run: hosts,
    total_instances: 0,
    total_errors: 0,
    overall_status: `${hosts.length === 0 ? 'ALL' : `0 of ${hosts.length}`} hosts done. 0 errors.`,
    log: {},
  };
}

/** The show id: "%Y-%m-%d %H:%M:%S" or with ".%f". */
export function parseAuditDate(id: string): number {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,6}))?$/.exec(id);
  const t = m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
  const d = new Date(t);
  if (
    !m ||
    Number.isNaN(t) ||
    d.getUTCDate() !== +m[3]! ||
    d.getUTCHours() !== +m[4]! ||
    d.getUTCMonth() !== +m[2]! - 1
  ) {
    throw new ApiError(400, `Invalid timestamp for date ${id}`);
  }
  return t + Number((m[7] ?? '').padEnd(6, '0')) / 1000;
}

export function registerAuditLog(app: FastifyInstance, ctx: GatewayContext): void {
  const P = `${COMPUTE_PREFIX}/os-instance_usage_audit_log`;
  const hostNames = async () => (await hostsAndZones(ctx)).hosts.map((h) => h.metadata.name!);

  app.get(P, async (request) => {
    await adminRead(ctx, request, POLICY('list'), COMPUTE_HOSTS);
    return {
      instance_usage_audit_logs: auditLogView(await hostNames(), lastCompletedMonth(ctx.clock.now())),
    };
  });

  app.get(`${P}/:id`, async (request: FastifyRequest<{ Params: { id: string } }>) => {
    await adminRead(ctx, request, POLICY('show'), COMPUTE_HOSTS);
    const before = parseAuditDate(request.params.id);
    return { instance_usage_audit_log: auditLogView(await hostNames(), lastCompletedMonth(before)) };
  });
}
