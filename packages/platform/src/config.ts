import { z } from 'zod';
import { defaultEventTimeBounds, type EventTimeBounds } from '@vigil/contracts';

/** Variables every service reads. A service extends this with its own. */
export const baseEnvSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535),
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL for this service\'s own role' }),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /** Deliveries of a message before it is dead-lettered. */
  VIGIL_CONSUMER_MAX_DELIVER: z.coerce.number().int().min(1).max(100).default(5),
  /** How long JetStream waits for an ack before redelivering (a crashed consumer's messages come back after this). */
  VIGIL_CONSUMER_ACK_WAIT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  /**
   * A consumer with work that has settled nothing for this long makes /readyz fail. Default: twice the
   * ack wait, and at least 120 s (twice the longest retry backoff, so a message waiting out its backoff
   * is not taken for a stall).
   */
  VIGIL_CONSUMER_STALL_MS: z.coerce.number().int().min(1000).max(86_400_000).optional(),
  /** Migrations run at start-up unless disabled (then run `pnpm migrate`). */
  MIGRATE_ON_START: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
});
export type BaseConfig = z.infer<typeof baseEnvSchema>;

/**
 * Plausible event times, for the services that accept producer events (gateway and ingest must agree,
 * or an event could be accepted by one and refused by the other).
 */
export const eventTimeEnv = {
  /** Clock skew tolerated for producer times in the future. */
  VIGIL_EVENT_MAX_FUTURE_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 60 * 60)
    .default(defaultEventTimeBounds.maxFutureMs / 1000),
  /** Oldest producer time accepted: the longest rule window plus the ingest stream's retention. */
  VIGIL_EVENT_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .max(10 * 365 * 24 * 60 * 60)
    .default(defaultEventTimeBounds.maxAgeMs / 1000),
};

export function eventTimeBounds(config: { VIGIL_EVENT_MAX_FUTURE_SECONDS: number; VIGIL_EVENT_MAX_AGE_SECONDS: number }): EventTimeBounds {
  return { maxFutureMs: config.VIGIL_EVENT_MAX_FUTURE_SECONDS * 1000, maxAgeMs: config.VIGIL_EVENT_MAX_AGE_SECONDS * 1000 };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment once at start-up; every problem is listed by variable name. */
export function loadConfig<S extends z.ZodType>(schema: S, env: Record<string, string | undefined>, service: string): z.infer<S> {
  const r = schema.safeParse(env);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new ConfigError(`${service}: invalid configuration\n${lines.join('\n')}`);
}
