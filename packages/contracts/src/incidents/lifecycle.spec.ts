import { findTransition, INCIDENT_STATUSES, INCIDENT_TRANSITIONS, isOpenStatus, OPEN_INCIDENT_STATUSES } from './lifecycle';
import { incidentStatusSchema } from '../events/common';

describe('incident lifecycle', () => {
  it('covers exactly the statuses of the contract', () => {
    expect([...INCIDENT_STATUSES].sort()).toEqual([...incidentStatusSchema.options].sort());
  });

  it('moves forward one step at a time and back only as a reopen with a reason', () => {
    const table = INCIDENT_STATUSES.flatMap((from) => INCIDENT_STATUSES.map((to) => [from, to, findTransition(from, to)?.kind ?? 'forbidden'] as const));
    expect(table.filter(([, , k]) => k !== 'forbidden')).toEqual([
      ['investigating', 'contained', 'advance'],
      ['contained', 'investigating', 'reopen'],
      ['contained', 'resolved', 'advance'],
      ['resolved', 'investigating', 'reopen'],
      ['resolved', 'closed', 'advance'],
      ['closed', 'investigating', 'reopen'],
    ]);
    for (const t of INCIDENT_TRANSITIONS) expect(t.requiresReason).toBe(t.kind === 'reopen');
    expect(INCIDENT_TRANSITIONS.filter((t) => t.requiresLessonsLearned).map((t) => t.to)).toEqual(['closed']);
  });

  it('counts everything before closed as open', () => {
    expect(INCIDENT_STATUSES.filter(isOpenStatus)).toEqual(OPEN_INCIDENT_STATUSES);
    expect(isOpenStatus('closed')).toBe(false);
  });
});
