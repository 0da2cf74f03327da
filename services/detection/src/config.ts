import { z } from 'zod';
import { baseEnvSchema } from '@vigil/platform';
import { breachFeedEnv } from './breach-feed/config';

/** More replicas than this would each read (and mostly skip) the whole security stream for little gain. */
export const MAX_DETECTION_PARTITIONS = 64;

export const detectionEnvSchema = baseEnvSchema
  .extend({
    PORT: baseEnvSchema.shape.PORT.default(8082),
    /** Keys (org, event type, IP or account) whose window state stays in memory; the rest reload from PostgreSQL. */
    VIGIL_DETECTION_MAX_KEYS: z.coerce.number().int().min(1000).max(50_000_000).default(500_000),
    /**
     * Detection replicas splitting the orgs between them (docs/architecture.md, "Detection replicas"). Every
     * replica must run with the same value; changing it means stopping all of them first.
     */
    VIGIL_DETECTION_PARTITIONS: z.coerce.number().int().min(1).max(MAX_DETECTION_PARTITIONS).default(1),
    /** This replica's share, 0-based: it handles the orgs whose id hashes to it (FNV-1a mod PARTITIONS). */
    VIGIL_DETECTION_PARTITION: z.coerce.number().int().min(0).max(MAX_DETECTION_PARTITIONS - 1).default(0),
    ...breachFeedEnv,
  })
  .superRefine((env, ctx) => {
    if (env.VIGIL_DETECTION_PARTITION >= env.VIGIL_DETECTION_PARTITIONS) {
      ctx.addIssue({
        code: 'custom',
        path: ['VIGIL_DETECTION_PARTITION'],
        message: `must be below VIGIL_DETECTION_PARTITIONS (${env.VIGIL_DETECTION_PARTITIONS}): partitions are numbered 0 to ${env.VIGIL_DETECTION_PARTITIONS - 1}`,
      });
    }
  });
export type DetectionConfig = z.infer<typeof detectionEnvSchema>;
