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
});
export type IngestConfig = z.infer<typeof ingestEnvSchema>;
