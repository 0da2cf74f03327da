import { z } from 'zod';
import { baseEnvSchema, eventTimeEnv } from '@vigil/platform';

export const gatewayEnvSchema = baseEnvSchema.extend({
  PORT: baseEnvSchema.shape.PORT.default(8080),
  /** Largest request body; a batch of 1000 typical events is well under 1 MiB. */
  GATEWAY_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(5 * 1024 * 1024),
  /**
   * How long POST /v1/events waits for ingest to confirm a batch stored (to name events stored before
   * as duplicates). Past it the answer is sent anyway: the events are durable in JetStream and will be
   * stored once. 0: never wait.
   */
  VIGIL_INGEST_CONFIRM_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  ...eventTimeEnv,
  /**
   * Secret shared with ingest (at least 32 characters): the gateway seals the batches it validated
   * (header Vigil-Intake-Mac) so ingest need not validate them again. Unset: ingest validates every event.
   */
  VIGIL_INTAKE_KEY: z.string().min(32, 'at least 32 characters, e.g. `openssl rand -hex 32`').optional(),
});
export type GatewayConfig = z.infer<typeof gatewayEnvSchema>;
