import { z } from 'zod';
import { incidentNumberSchema, incidentStatusSchema, severitySchema } from '../events/common';
import { defineQuery, queryErrorReplySchema, queryTimestamp } from './define';

const count = z.number().int().nonnegative();

/** The breach register over the last 12 calendar months (UTC), for one org. */
export const breachSummaryViewV1 = z
  .object({
    period: z.object({ from: queryTimestamp, to: queryTimestamp.describe('exclusive') }),
    generatedAt: queryTimestamp,
    totals: z.object({
      incidents: count,
      open: count.describe('not closed (OPEN_INCIDENT_STATUSES: investigating, contained or resolved)'),
      bySeverity: z.record(severitySchema, count),
      byStatus: z.record(incidentStatusSchema, count),
      byCategory: z.record(z.string(), count),
    }),
    months: z.array(z.object({ month: z.string().regex(/^\d{4}-\d{2}$/), incidents: count })).describe('oldest first, all 12'),
    incidents: z.array(
      z.object({
        id: z.uuid(),
        number: incidentNumberSchema,
        title: z.string(),
        category: z.string(),
        severity: severitySchema,
        status: incidentStatusSchema,
        detectedAt: queryTimestamp,
        openedAt: queryTimestamp,
      }),
    ),
  })
  .describe('breach register summary over the last 12 calendar months (UTC)');
export type BreachSummaryViewV1 = z.infer<typeof breachSummaryViewV1>;

/** gateway -> reporting: the org's breach summary. */
export const breachSummaryQueryV1 = defineQuery({
  name: 'reporting.breach-summary',
  version: 1,
  request: z.object({ orgId: z.uuid() }),
  reply: z.union([z.object({ report: breachSummaryViewV1 }), queryErrorReplySchema]),
});
