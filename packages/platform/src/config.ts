import { z } from 'zod';

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
  /** Migrations run at start-up unless disabled (then run `pnpm migrate`). */
  MIGRATE_ON_START: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
});
export type BaseConfig = z.infer<typeof baseEnvSchema>;

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
