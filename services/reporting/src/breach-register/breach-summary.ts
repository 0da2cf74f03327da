import type { Selectable } from 'kysely';
import { INCIDENT_STATUSES, OPEN_INCIDENT_STATUSES, type IncidentStatus, type Severity } from '@vigil/contracts';
import type { IncidentRecordsTable } from '../db/schema';

export type SummaryIncident = Omit<Selectable<IncidentRecordsTable>, 'org_id' | 'recorded_at' | 'seq' | 'drill'>;

/** First instant of the month that starts the 12-month window ending with `now`'s month (UTC). */
export function twelveMonthWindow(now: Date): { from: Date; to: Date; months: string[] } {
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1));
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  const months = Array.from({ length: 12 }, (_, i) => new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() + i, 1)).toISOString().slice(0, 7));
  return { from, to, months };
}

const severities: Severity[] = ['low', 'medium', 'high', 'critical'];

/** Breach summary over the last 12 calendar months: totals, per month, per severity, status and category. */
export function buildBreachSummary(now: Date, incidents: SummaryIncident[]) {
  const { from, to, months } = twelveMonthWindow(now);
  const perMonth = new Map(months.map((m) => [m, 0]));
  const bySeverity = Object.fromEntries(severities.map((s) => [s, 0])) as Record<Severity, number>;
  const byStatus = Object.fromEntries(INCIDENT_STATUSES.map((s) => [s, 0])) as Record<IncidentStatus, number>;
  const byCategory: Record<string, number> = {};
  for (const i of incidents) {
    const m = i.opened_at.toISOString().slice(0, 7);
    perMonth.set(m, (perMonth.get(m) ?? 0) + 1);
    bySeverity[i.severity] += 1;
    byStatus[i.status] += 1;
    byCategory[i.category] = (byCategory[i.category] ?? 0) + 1;
  }
  return {
    period: { from: from.toISOString(), to: to.toISOString() },
    generatedAt: now.toISOString(),
    totals: { incidents: incidents.length, open: OPEN_INCIDENT_STATUSES.reduce((n, s) => n + byStatus[s], 0), bySeverity, byStatus, byCategory },
    months: months.map((month) => ({ month, incidents: perMonth.get(month) ?? 0 })),
    incidents: incidents.map((i) => ({
      id: i.incident_id,
      number: i.number,
      title: i.title,
      category: i.category,
      severity: i.severity,
      status: i.status,
      detectedAt: i.detected_at.toISOString(),
      openedAt: i.opened_at.toISOString(),
    })),
  };
}
