import { buildBreachSummary, twelveMonthWindow } from './breach-summary';

describe('breach summary', () => {
  const now = new Date('2026-11-23T12:00:00Z');

  it('covers the 12 calendar months ending with the current one', () => {
    const w = twelveMonthWindow(now);
    expect(w.from.toISOString()).toBe('2025-12-01T00:00:00.000Z');
    expect(w.to.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(w.months[0]).toBe('2025-12');
    expect(w.months[11]).toBe('2026-11');
  });

  it('counts incidents per month, severity, status and category', () => {
    const base = { title: 't', category: 'brute_force', status: 'investigating' as const, detected_at: now };
    const s = buildBreachSummary(now, [
      { ...base, incident_id: 'a', number: 'INC-20261123-0001', severity: 'medium', opened_at: new Date('2026-11-23T10:00:00Z') },
      { ...base, incident_id: 'b', number: 'INC-20260102-0001', severity: 'high', opened_at: new Date('2026-01-02T10:00:00Z'), status: 'closed' },
    ]);
    expect(s.totals).toMatchObject({ incidents: 2, open: 1, bySeverity: { medium: 1, high: 1, low: 0 }, byCategory: { brute_force: 2 } });
    expect(s.months.find((m) => m.month === '2026-11')?.incidents).toBe(1);
    expect(s.months.find((m) => m.month === '2026-01')?.incidents).toBe(1);
    expect(s.months.find((m) => m.month === '2026-05')?.incidents).toBe(0);
  });
});
