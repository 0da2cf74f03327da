import { incidentDeadlineApproachingV1, incidentDeadlineMissedV1, parseData } from '@vigil/contracts';
import { dueDeadlineEvents } from './deadline-monitor';
import { computeObligations, type ObligationFacts } from './obligations.engine';
import { loadRegimeTable } from './regime-table';

const regimes = loadRegimeTable();
const incident = { id: '7c0e1b2a-0000-4000-8000-00000000000a', orgId: '7c0e1b2a-0000-4000-8000-000000000001' };
const HOUR = 3_600_000;

// EU breach, aware Friday 20 November 2026 17:00 Brussels: Art. 33 due Monday 16:00 UTC; people need notice too (no fixed deadline).
const awareAt = '2026-11-20T16:00:00.000Z';
const due = Date.parse('2026-11-23T16:00:00.000Z');
const facts = (over: Partial<ObligationFacts> = {}): ObligationFacts => ({
  drill: false,
  awareAt,
  discoveredAt: awareAt,
  assessmentCompletedAt: null,
  ransomPaidAt: null,
  affected: [{ country: 'DE', region: null, count: 300 }],
  dataCategories: ['contact'],
  encryption: 'none',
  risk: 'high',
  determinations: [],
  org: { hipaaCoveredEntity: false, nydfsCoveredEntity: false, nis2Entity: false, trustServiceProvider: false, brazilSmallAgent: false, secRegistrant: false, eeaEstablished: false, ukEstablished: false },
  reports: [],
  ...over,
});

/** What the monitor emits at `at` for the facts, evaluated afresh as every tick does. */
const eventsAt = (at: number, over: Partial<ObligationFacts> = {}, warningHours?: number[]) => {
  const now = new Date(at);
  return dueDeadlineEvents(incident, computeObligations(facts(over), regimes, now), now, warningHours);
};

describe('dueDeadlineEvents', () => {
  it('is silent while the deadline is further off than every threshold, and for duties with no fixed deadline', () => {
    expect(eventsAt(due - 24 * HOUR - 1)).toEqual([]);
  });

  it('warns at 24 h, then at 6 h, with one id per threshold however often it is evaluated', () => {
    const at24 = eventsAt(due - 24 * HOUR);
    expect(at24).toHaveLength(1);
    expect(at24[0]).toMatchObject({
      type: 'incident.deadline_approaching',
      orgid: incident.orgId,
      time: '2026-11-22T16:00:00.000Z',
      subject: 'eu-gdpr.art33.authority',
      data: { incidentId: incident.id, ruleId: 'eu-gdpr.art33.authority', regimeId: 'eu-gdpr', audience: 'authority', due: '2026-11-23T16:00:00.000Z', thresholdHours: 24, citation: 'GDPR Art. 33(1), 33(3)' },
    });
    expect(parseData(incidentDeadlineApproachingV1, at24[0]!.data).ok).toBe(true);
    // Later ticks inside the 24 h window produce the very same event.
    expect(eventsAt(due - 10 * HOUR)).toEqual(at24);
    const at6 = eventsAt(due - 6 * HOUR);
    expect(at6).toHaveLength(1);
    expect(at6[0]).toMatchObject({ data: { thresholdHours: 6 }, time: '2026-11-23T10:00:00.000Z' });
    expect(at6[0]!.id).not.toBe(at24[0]!.id);
    expect(eventsAt(due - 1)).toEqual(at6);
  });

  it('a monitor that first looks 5 h before warns of 6 h only', () => {
    expect(eventsAt(due - 5 * HOUR).map((e) => e.data)).toEqual([expect.objectContaining({ thresholdHours: 6 })]);
  });

  it('emits deadline_missed once the deadline passes: the same event on every later evaluation, and no more warnings', () => {
    const missed = eventsAt(due + 1);
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ type: 'incident.deadline_missed', time: '2026-11-23T16:00:00.000Z', data: { ruleId: 'eu-gdpr.art33.authority', reasonsForDelayRequired: true } });
    expect(parseData(incidentDeadlineMissedV1, missed[0]!.data).ok).toBe(true);
    expect(eventsAt(due + 1)).toEqual(missed);
    expect(eventsAt(due + 30 * 24 * HOUR)).toEqual(missed);
    // Recorded in a set keyed by id, as the outbox is: ten evaluations leave one event.
    const ids = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((i) => eventsAt(due + 1 + i * HOUR).map((e) => e.id)));
    expect([...ids]).toEqual([missed[0]!.id]);
  });

  it('says nothing once the obligation is reported, nor for a drill', () => {
    const reports = [{ ruleId: 'eu-gdpr.art33.authority', reportedAt: '2026-11-23T15:00:00Z', reference: 'BfDI-7', reasonsForDelay: null }];
    expect(eventsAt(due - 2 * HOUR, { reports })).toEqual([]);
    expect(eventsAt(due + HOUR, { reports })).toEqual([]);
    expect(eventsAt(due + HOUR, { drill: true })).toEqual([]);
  });

  it('treats a moved deadline (awareness corrected) as a new one', () => {
    const before = eventsAt(due - 3 * HOUR);
    const corrected = eventsAt(due - 3 * HOUR, { awareAt: '2026-11-20T17:00:00.000Z' });
    expect(corrected[0]!.data).toMatchObject({ due: '2026-11-23T17:00:00.000Z', thresholdHours: 6 });
    expect(corrected[0]!.id).not.toBe(before[0]!.id);
  });

  it('uses the configured thresholds', () => {
    expect(eventsAt(due - 40 * HOUR, {}, [48, 12]).map((e) => e.data)).toEqual([expect.objectContaining({ thresholdHours: 48 })]);
    expect(eventsAt(due - 40 * HOUR, {}, [24])).toEqual([]);
  });
});
