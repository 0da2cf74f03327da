import { z } from 'zod';
import { baseEnvSchema, eventTimeEnv } from '@vigil/platform';

export const ingestEnvSchema = baseEnvSchema.extend({
  PORT: baseEnvSchema.shape.PORT.default(8081),
  /**
   * Batches handled at once: one publishes (waiting on acks) while the next is stored. Appends to one
   * org's chain serialise on its head's row lock whatever this is.
   */
  VIGIL_INGEST_CONCURRENCY: z.coerce.number().int().min(1).max(8).default(2),
  ...eventTimeEnv,
  /**
   * Secret shared with the gateway (at least 32 characters): a batch sealed with it (header
   * Vigil-Intake-Mac) was validated by the gateway and is not validated again. Unset: every message is.
   */
  VIGIL_INTAKE_KEY: z.string().min(32, 'at least 32 characters, e.g. `openssl rand -hex 32`').optional(),
});
export type IngestConfig = z.infer<typeof ingestEnvSchema>;
