import { RESPONSE_TARGET_HOURS } from './severity';
import type { DeadlineStatus, IncidentSnapshot, IncidentSummaryV1, IncidentViewV1 } from '@vigil/contracts';
import type { IncidentRepository, IncidentRow } from './incident.repository';

type Details = NonNullable<Awaited<ReturnType<IncidentRepository['findForOrg']>>>;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const HOUR = 3_600_000;

/** Met or missed once done (done ≤ due is met), pending or overdue while not; null without a deadline. */
export function deadlineStatus(due: Date | null, done: Date | null, now: Date): DeadlineStatus | null {
  if (due === null) return null;
  if (done !== null) return done.getTime() <= due.getTime() ? 'met' : 'missed';
  return now.getTime() <= due.getTime() ? 'pending' : 'overdue';
}

/** What every later event carries about the incident (see incidentSnapshotSchema). */
export function snapshotOf(row: IncidentRow, seq: number): IncidentSnapshot {
  return {
    seq,
    number: row.number,
    title: row.title,
    category: row.category,
    severity: row.severity,
    status: row.status,
    drill: row.drill,
    detectedAt: row.detected_at.toISOString(),
    createdAt: row.created_at.toISOString(),
  };
}

export function toSummary(i: IncidentRow): IncidentSummaryV1 {
  return {
    id: i.id,
    number: i.number,
    title: i.title,
    category: i.category,
    severity: i.severity,
    status: i.status,
    drill: i.drill,
    assignee: i.assignee,
    discoveredAt: i.discovered_at.toISOString(),
    createdAt: i.created_at.toISOString(),
    updatedAt: i.updated_at.toISOString(),
  };
}

/** The API view of an incident; `now` decides which tasks are overdue. */
export function toView({ incident: i, timeline, tasks, detectionCount }: Details, now: Date): IncidentViewV1 {
  const origin = i.origin as Record<string, unknown>;
  const targetHours = RESPONSE_TARGET_HOURS[i.severity];
  const targetDue = new Date(i.discovered_at.getTime() + targetHours * HOUR);
  // The first containment answers the target: a reopen and a later containment do not undo it.
  const firstContained = timeline.find((t) => t.kind === 'incident.status_changed' && (t.detail as { to?: string }).to === 'contained')?.at ?? null;
  return {
    ...toSummary(i),
    description: i.description,
    correlationKey: i.correlation_key,
    detectedAt: i.detected_at.toISOString(),
    breachAt: iso(i.breach_at),
    containedAt: iso(i.contained_at),
    resolvedAt: iso(i.resolved_at),
    closedAt: iso(i.closed_at),
    reopenedAt: iso(i.reopened_at),
    dataCategories: i.data_categories as IncidentViewV1['dataCategories'],
    affectedCount: i.affected_count === null ? null : Number(i.affected_count),
    affectedByRegion: i.affected_by_region,
    affectedPeopleRows: Number(i.affected_people_rows),
    encryption: i.encryption,
    activeThreat: i.active_threat,
    jurisdictions: i.jurisdictions,
    riskAssessment: i.risk_assessment as IncidentViewV1['riskAssessment'],
    mitigationSteps: i.mitigation_steps,
    userActionsRequired: i.user_actions_required,
    supportContact: i.support_contact,
    reportedToAuthorities: i.reported_to_authorities,
    authorityReference: i.authority_reference,
    usersNotified: i.users_notified,
    notificationSentAt: iso(i.notification_sent_at),
    notificationMethod: i.notification_method,
    lessonsLearned: i.lessons_learned,
    postMortem: i.post_mortem,
    createdBy: i.created_by,
    severityComputed: i.severity_computed,
    severityReasons: i.severity_reasons,
    severityOverride: i.severity_override,
    responseTarget: { hours: targetHours, dueAt: targetDue.toISOString(), status: deadlineStatus(targetDue, firstContained, now)! },
    origin: {
      ...origin,
      kind: i.origin_kind,
      ...(i.origin_kind === 'detection'
        ? { triggerCount: i.trigger_count, evidenceEventIds: i.evidence_event_ids, ...(i.last_seen_at ? { lastSeenAt: i.last_seen_at.toISOString() } : {}) }
        : {}),
    },
    detectionCount,
    tasks: tasks.map((t) => ({
      id: t.id,
      phase: t.phase as IncidentViewV1['tasks'][number]['phase'],
      title: t.title,
      dueAt: iso(t.due_at),
      assignee: t.assignee,
      completedAt: iso(t.completed_at),
      overdue: t.completed_at === null && t.due_at !== null && t.due_at.getTime() < now.getTime(),
    })),
    timeline: timeline.map((t) => ({ seq: t.seq, at: t.at.toISOString(), kind: t.kind, actor: t.actor, detail: t.detail })),
  };
}
