import { z } from 'zod';
import { baseEnvSchema } from '@vigil/platform';
import { breachFeedEnv } from './breach-feed/config';

export const detectionEnvSchema = baseEnvSchema.extend({
  PORT: baseEnvSchema.shape.PORT.default(8082),
  /** Keys (org, event type, IP or account) whose window state stays in memory; the rest reload from PostgreSQL. */
  VIGIL_DETECTION_MAX_KEYS: z.coerce.number().int().min(1000).max(50_000_000).default(500_000),
  ...breachFeedEnv,
});
export type DetectionConfig = z.infer<typeof detectionEnvSchema>;
