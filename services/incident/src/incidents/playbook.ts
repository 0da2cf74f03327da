/**
 * The seed's incident response plan as tasks, due relative to discovery: detection 0-1 h, containment
 * 1-4 h, assessment 4-24 h, notification 24-72 h; remediation is ongoing and closure has no clock.
 */
export const PLAYBOOK = [
  { phase: 'detection', title: 'Detection: confirm the alert, notify the security team, first assessment of scope', dueHours: 1 },
  { phase: 'containment', title: 'Containment: disable compromised systems and credentials, block access, preserve evidence', dueHours: 4 },
  { phase: 'assessment', title: 'Assessment: determine scope, identify affected people and data types, calculate risk', dueHours: 24 },
  { phase: 'notification', title: 'Notification: notify affected people and the supervisory authority where required', dueHours: 72 },
  { phase: 'remediation', title: 'Remediation: fix, monitor for recurrence, update procedures, post-mortem', dueHours: null },
  { phase: 'closure', title: 'Closure: document lessons learned, update the response plan, archive records', dueHours: null },
] as const;

export type PlaybookPhase = (typeof PLAYBOOK)[number]['phase'];
