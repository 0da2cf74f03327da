import type { IncidentStatus } from '../events/common';

/**
 * The incident lifecycle, defined once for every service (incident enforces it, reporting counts by it,
 * a console can draw it): investigating -> contained -> resolved -> closed, and back to investigating
 * only as a reopen, which needs a reason. Everything else (skips, staying put) is refused.
 */
export const INCIDENT_STATUSES = ['investigating', 'contained', 'resolved', 'closed'] as const satisfies readonly IncidentStatus[];

/** Statuses in which an incident is still being worked on: everything before closed. */
export const OPEN_INCIDENT_STATUSES: readonly IncidentStatus[] = ['investigating', 'contained', 'resolved'];

export type TransitionKind = 'advance' | 'reopen';

export interface TransitionRule {
  from: IncidentStatus;
  to: IncidentStatus;
  kind: TransitionKind;
  /** A reopen must say why. */
  requiresReason: boolean;
  /** Closing requires the post-mortem's lessons learned. */
  requiresLessonsLearned: boolean;
}

export const INCIDENT_TRANSITIONS: readonly TransitionRule[] = [
  { from: 'investigating', to: 'contained', kind: 'advance', requiresReason: false, requiresLessonsLearned: false },
  { from: 'contained', to: 'resolved', kind: 'advance', requiresReason: false, requiresLessonsLearned: false },
  { from: 'resolved', to: 'closed', kind: 'advance', requiresReason: false, requiresLessonsLearned: true },
  { from: 'contained', to: 'investigating', kind: 'reopen', requiresReason: true, requiresLessonsLearned: false },
  { from: 'resolved', to: 'investigating', kind: 'reopen', requiresReason: true, requiresLessonsLearned: false },
  { from: 'closed', to: 'investigating', kind: 'reopen', requiresReason: true, requiresLessonsLearned: false },
];

export function findTransition(from: IncidentStatus, to: IncidentStatus): TransitionRule | undefined {
  return INCIDENT_TRANSITIONS.find((t) => t.from === from && t.to === to);
}

export function isOpenStatus(status: IncidentStatus): boolean {
  return OPEN_INCIDENT_STATUSES.includes(status);
}

/** Which timestamp column a transition into `to` sets (the transition sets it, never the caller). */
export const STATUS_TIMESTAMP: Record<IncidentStatus, 'containedAt' | 'resolvedAt' | 'closedAt' | 'reopenedAt'> = {
  investigating: 'reopenedAt',
  contained: 'containedAt',
  resolved: 'resolvedAt',
  closed: 'closedAt',
};
