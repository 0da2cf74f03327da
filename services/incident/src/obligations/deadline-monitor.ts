import { createEvent, deriveId, incidentDeadlineApproachingV1, incidentDeadlineMissedV1, type ObligationViewV1, type VigilEvent } from '@vigil/contracts';

export const DEFAULT_WARNING_HOURS: readonly number[] = [24, 6];

const SOURCE = 'vigil://incident';

/**
 * The deadline events an incident's obligations call for at `now`. Each event's id and time derive
 * from the incident, rule, due instant and threshold only, so evaluating again (every tick, after a
 * restart, on another replica) yields the very same events and the outbox publishes each once. Only
 * the tightest threshold crossed is warned of: a monitor that first looks 5 h before a deadline says
 * "6 h", not "24 h" too; past the deadline only the miss is reported. A due instant that moves (facts
 * corrected) is a new deadline and is warned of afresh.
 */
export function dueDeadlineEvents(
  incident: { id: string; orgId: string },
  obligations: readonly ObligationViewV1[],
  now: Date,
  warningHours: readonly number[] = DEFAULT_WARNING_HOURS,
): VigilEvent[] {
  const events: VigilEvent[] = [];
  for (const o of obligations) {
    if (!o.applies || o.report !== null || o.due === null) continue;
    const due = new Date(o.due);
    const common = { incidentId: incident.id, ruleId: o.ruleId, regimeId: o.regimeId, audience: o.audience, recipient: o.recipient, phase: o.phase, due: o.due, citation: o.citation.reference };
    if (now > due) {
      events.push(
        createEvent(incidentDeadlineMissedV1, {
          orgid: incident.orgId,
          source: SOURCE,
          id: deriveId(incidentDeadlineMissedV1.type, incident.id, o.ruleId, o.due),
          time: due,
          subject: o.ruleId,
          data: { ...common, reasonsForDelayRequired: o.reasonsForDelayRequired },
        }),
      );
      continue;
    }
    const crossed = warningHours.filter((h) => now.getTime() >= due.getTime() - h * 3_600_000);
    if (!crossed.length) continue;
    const thresholdHours = Math.min(...crossed);
    events.push(
      createEvent(incidentDeadlineApproachingV1, {
        orgid: incident.orgId,
        source: SOURCE,
        id: deriveId(incidentDeadlineApproachingV1.type, incident.id, o.ruleId, o.due, String(thresholdHours)),
        time: new Date(due.getTime() - thresholdHours * 3_600_000),
        subject: o.ruleId,
        data: { ...common, thresholdHours },
      }),
    );
  }
  return events;
}
