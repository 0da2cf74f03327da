import { z } from 'zod';
import { defineEvent } from '../registry';
import { incidentNumberSchema, incidentStatusSchema, severitySchema } from './common';

export const incidentCreatedV1 = defineEvent({
  type: 'incident.created',
  version: 1,
  schema: z
    .object({
      incidentId: z.uuid(),
      number: incidentNumberSchema,
      title: z.string().min(1).max(255),
      description: z.string().max(4000),
      category: z.string().min(1).max(64),
      severity: severitySchema,
      status: incidentStatusSchema,
      correlationKey: z.string().max(255).nullable(),
      detectedAt: z.iso.datetime({ offset: true }),
      createdAt: z.iso.datetime({ offset: true }),
      origin: z
        .object({
          detectionId: z.uuid().optional(),
          ruleId: z.string().max(64).optional(),
          ip: z.string().max(64).optional(),
          eventCount: z.number().int().nonnegative().optional(),
        })
        .strict(),
    })
    .strict(),
});
export type IncidentCreatedV1 = z.infer<typeof incidentCreatedV1.schema>;
