import type { DrillReportV1 } from '@vigil/contracts';
import type { IncidentRepository } from './incident.repository';
import { deadlineStatus } from './incident.view';

type Details = Awaited<ReturnType<IncidentRepository['details']>>;

const STEPS = ['contained', 'resolved', 'closed'] as const;
const seconds = (from: Date, to: Date | null) => (to === null ? null : Math.floor((to.getTime() - from.getTime()) / 1000));

/**
 * How long each step of a drill took, from its timeline and tasks: the first time it reached each
 * status (a reopen does not reset the clock), each task against its deadline, the first notification
 * request, and discovery to the latest close.
 */
export function drillReport({ incident: i, timeline, tasks }: Details, now: Date): DrillReportV1 {
  const first = (match: (t: Details['timeline'][number]) => boolean) => timeline.find(match)?.at ?? null;
  const reached = (status: string) => first((t) => t.kind === 'incident.status_changed' && (t.detail as { to?: string }).to === status);
  const notified = first((t) => t.kind === 'notification.requested');
  const start = i.discovered_at;
  return {
    incidentId: i.id,
    number: i.number,
    title: i.title,
    discoveredAt: start.toISOString(),
    generatedAt: now.toISOString(),
    steps: STEPS.map((status) => {
      const at = reached(status);
      return { status, at: at?.toISOString() ?? null, elapsedSeconds: seconds(start, at) };
    }),
    tasks: tasks.map((t) => ({
      id: t.id,
      phase: t.phase as DrillReportV1['tasks'][number]['phase'],
      title: t.title,
      dueAt: t.due_at?.toISOString() ?? null,
      completedAt: t.completed_at?.toISOString() ?? null,
      elapsedSeconds: seconds(start, t.completed_at),
      deadline: deadlineStatus(t.due_at, t.completed_at, now),
    })),
    notificationRequestedAt: notified?.toISOString() ?? null,
    notificationRequestedAfterSeconds: seconds(start, notified),
    totalSeconds: i.status === 'closed' ? seconds(start, i.closed_at) : null,
  };
}
