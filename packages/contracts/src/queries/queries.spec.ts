import { rpc } from '../subjects';
import { breachSummaryQueryV1, breachSummaryViewV1 } from './reporting';
import { incidentGetQueryV1, incidentViewExampleV1, incidentViewV1 } from './incident';

describe('query contracts', () => {
  it('answer on the subjects the repliers already listen to', () => {
    expect(incidentGetQueryV1.subject).toBe(rpc.incidentGet);
    expect(breachSummaryQueryV1.subject).toBe(rpc.reportBreachSummary);
  });

  const incident = incidentViewExampleV1;

  it('read an incident reply, a miss and an error', () => {
    expect(incidentGetQueryV1.reply.parse({ incident })).toEqual({ incident });
    expect(incidentGetQueryV1.reply.parse({ incident: null })).toEqual({ incident: null });
    expect(incidentGetQueryV1.reply.parse({ error: 'bad-request', detail: 'x' })).toEqual({ error: 'bad-request', detail: 'x' });
  });

  it('refuse a reply that breaks the contract, naming the field', () => {
    const r = incidentViewV1.safeParse({ ...incident, severity: 'apocalyptic' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['severity']);
    expect(incidentGetQueryV1.request.safeParse({ orgId: 'not-a-uuid', ref: 'INC-20261123-0001' }).success).toBe(false);
  });

  it('require every severity and status in the breach summary totals', () => {
    const zero = { low: 0, medium: 0, high: 0, critical: 0 };
    const summary = {
      period: { from: '2025-12-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' },
      generatedAt: '2026-11-23T12:00:00.000Z',
      totals: { incidents: 0, open: 0, bySeverity: zero, byStatus: { investigating: 0, contained: 0, resolved: 0, closed: 0 }, byCategory: {} },
      months: [{ month: '2026-11', incidents: 0 }],
      incidents: [],
    };
    expect(breachSummaryViewV1.parse(summary)).toEqual(summary);
    expect(breachSummaryViewV1.safeParse({ ...summary, totals: { ...summary.totals, bySeverity: { low: 0 } } }).success).toBe(false);
  });
});
