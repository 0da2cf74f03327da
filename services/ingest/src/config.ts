import type { z } from 'zod';
import { baseEnvSchema, eventTimeEnv } from '@vigil/platform';

export const ingestEnvSchema = baseEnvSchema.extend({
  PORT: baseEnvSchema.shape.PORT.default(8081),
  ...eventTimeEnv,
});
export type IngestConfig = z.infer<typeof ingestEnvSchema>;
