import { z } from 'zod';
import { defineEvent } from '../registry';
import { severitySchema } from './common';

/**
 * What kind of threat a rule detects. A rule id starts with its category (`brute_force.ip`), so
 * consumers that only know the id (incident's category) agree with the ones that read this field.
 */
export const detectionCategorySchema = z.enum([
  'brute_force',
  'credential_stuffing',
  'password_spraying',
  'account_takeover',
  'anomalous_login',
  'after_hours',
  'data_exfiltration',
  'privilege_probing',
  'unlawful_sharing',
  'credential_exposure',
  'insider_threat',
]);
export type DetectionCategory = z.infer<typeof detectionCategorySchema>;

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
      // Optional additions (same version: consumers that don't know them keep working).
      category: detectionCategorySchema.optional(),
      /** The key the rule counted by: `ip`, `account`, `actor`, ... and its value. */
      key: z.object({ kind: z.string().min(1).max(32), value: z.string().min(1).max(320) }).strict().optional(),
      /** Event time of the newest event the detection knew of (for a window rule: the window's end). */
      lastSeen: z.iso.datetime({ offset: true }).optional(),
      /** The person whose account or data is at risk, when the rule knows one. */
      affectedPerson: z
        .object({ account: z.string().min(1).max(320), userId: z.string().min(1).max(128).optional() })
        .strict()
        .optional(),
      /** What to do, step by step, for the person or the admin. */
      remediation: z.array(z.string().min(1).max(500)).max(20).optional(),
      evidence: z
        .object({
          ip: z.string().max(64).optional(),
          usernames: z.array(z.string().max(320)).max(50).optional(),
          eventIds: z.array(z.string().max(128)).max(100),
          account: z.string().max(320).optional(),
          actor: z.string().max(320).optional(),
          ips: z.array(z.string().max(64)).max(50).optional(),
          countries: z.array(z.string().max(64)).max(50).optional(),
          /** Rule-specific facts (record counts, speeds, data categories, ...), flat and small. */
          facts: z.record(z.string().max(64), z.union([z.string().max(500), z.number(), z.boolean()])).optional(),
        })
        .strict(),
    })
    .strict(),
});
export type DetectionTriggeredV1 = z.infer<typeof detectionTriggeredV1.schema>;
