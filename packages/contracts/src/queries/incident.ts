import { z } from 'zod';
import { incidentNumberSchema, incidentStatusSchema, severitySchema } from '../events/common';
import { defineQuery, queryErrorReplySchema, queryTimestamp } from './define';

/** One incident as the API shows it: its fields, where it came from, and its timeline. */
export const incidentViewV1 = z
  .object({
    id: z.uuid(),
    number: incidentNumberSchema,
    title: z.string(),
    description: z.string(),
    category: z.string(),
    severity: severitySchema,
    status: incidentStatusSchema,
    correlationKey: z.string().nullable().describe('incidents with the same key are one attack, e.g. brute_force.ip:203.0.113.7'),
    detectedAt: queryTimestamp,
    createdAt: queryTimestamp,
    updatedAt: queryTimestamp,
    origin: z
      .object({
        detectionId: z.uuid().optional(),
        ruleId: z.string().optional(),
        ip: z.string().optional(),
        eventCount: z.number().int().nonnegative().optional(),
      })
      .describe('what opened the incident'),
    detectionCount: z.number().int().nonnegative().describe('detections folded into this incident'),
    timeline: z.array(z.object({ at: queryTimestamp, kind: z.string(), detail: z.unknown() })),
  })
  .describe('an incident with its timeline');
export type IncidentViewV1 = z.infer<typeof incidentViewV1>;

/** gateway -> incident: one incident of one org by id or number; another org's is `incident: null`. */
export const incidentGetQueryV1 = defineQuery({
  name: 'incident.get',
  version: 1,
  request: z.object({ orgId: z.uuid(), ref: z.string().min(1).max(64) }),
  reply: z.union([z.object({ incident: incidentViewV1.nullable() }), queryErrorReplySchema]),
});
