import { z } from 'zod';
import { defineEvent } from '../registry';
import { obligationAudienceSchema } from '../api/obligations';

const deadlineFields = {
  incidentId: z.uuid(),
  ruleId: z.string().min(1),
  regimeId: z.string().min(1),
  audience: obligationAudienceSchema,
  recipient: z.string().min(1),
  phase: z.string().nullable(),
  due: z.iso.datetime({ offset: true }),
  citation: z.string().min(1).describe('the rule\'s article or section'),
};

/** A legal deadline is this close (one event per configured threshold crossed, e.g. 24 h and 6 h before). */
export const incidentDeadlineApproachingV1 = defineEvent({
  type: 'incident.deadline_approaching',
  version: 1,
  schema: z.object({ ...deadlineFields, thresholdHours: z.number().positive() }).strict(),
});
export type IncidentDeadlineApproachingV1 = z.infer<typeof incidentDeadlineApproachingV1.schema>;

/** A legal deadline passed with no report recorded. */
export const incidentDeadlineMissedV1 = defineEvent({
  type: 'incident.deadline_missed',
  version: 1,
  schema: z.object({ ...deadlineFields, reasonsForDelayRequired: z.boolean() }).strict(),
});
export type IncidentDeadlineMissedV1 = z.infer<typeof incidentDeadlineMissedV1.schema>;
