import { z } from 'zod';
import { defineEvent } from '../registry';
import { severitySchema } from './common';

export const detectionTriggeredV1 = defineEvent({
  type: 'detection.triggered',
  version: 1,
  schema: z
    .object({
      detectionId: z.uuid(),
      ruleId: z.string().min(1).max(64),
      ruleVersion: z.number().int().positive(),
      /** Same key = same attack: incident uses it to fold repeats into one incident. */
      correlationKey: z.string().min(1).max(255),
      severity: severitySchema,
      title: z.string().min(1).max(255),
      summary: z.string().max(4000),
      windowStart: z.iso.datetime({ offset: true }),
      windowEnd: z.iso.datetime({ offset: true }),
      count: z.number().int().nonnegative(),
      threshold: z.number().int().positive(),
      evidence: z
        .object({
          ip: z.string().max(64).optional(),
          usernames: z.array(z.string().max(320)).max(50).optional(),
          eventIds: z.array(z.string().max(128)).max(100),
        })
        .strict(),
    })
    .strict(),
});
export type DetectionTriggeredV1 = z.infer<typeof detectionTriggeredV1.schema>;
