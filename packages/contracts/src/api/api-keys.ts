import { z } from 'zod';
import { producerEventDefinitions } from '../catalog';

const timestamp = z.iso.datetime({ offset: true });

/** What an API key may do; `admin` implies every other scope. */
export const API_KEY_SCOPES = ['events:write', 'incidents:read', 'incidents:write', 'notifications:send', 'reports:read', 'decisions:read', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** Generous: the benchmark (200 requests of 100 events, 4 at a time) and every test stay far below it. */
export const API_KEY_DEFAULT_RATE_LIMIT_PER_MINUTE = 6000;
export const API_KEY_MAX_RATE_LIMIT_PER_MINUTE = 1_000_000;

const producerTypes = producerEventDefinitions.map((d) => d.type) as [string, ...string[]];

export const apiKeyScopeSchema = z.enum(API_KEY_SCOPES, { error: `must be one of ${API_KEY_SCOPES.join(', ')}` });

/** Body of POST /v1/api-keys (and of the CLI's `keys create`). */
export const apiKeyCreateRequestV1 = z
  .object({
    name: z.string().trim().min(1).max(200).describe('what the key is for, e.g. "web app producer"'),
    scopes: z
      .array(apiKeyScopeSchema)
      .min(1, 'at least one scope is required')
      .refine((s) => new Set(s).size === s.length, 'scopes must not repeat')
      .describe('admin implies every other scope'),
    eventTypes: z
      .array(z.enum(producerTypes, { error: `not a producer event type (one of ${producerTypes.join(', ')})` }))
      .min(1, 'an allow-list names at least one event type (omit it to allow every type)')
      .refine((t) => new Set(t).size === t.length, 'event types must not repeat')
      .optional()
      .describe('allow-list of event types this key may submit; omitted: every producer type. Needs events:write (or admin)'),
    rateLimitPerMinute: z
      .number()
      .int()
      .min(1)
      .max(API_KEY_MAX_RATE_LIMIT_PER_MINUTE)
      .default(API_KEY_DEFAULT_RATE_LIMIT_PER_MINUTE)
      .describe('requests per minute this key may make (a token bucket: bursts up to this many); beyond it, 429 with Retry-After'),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.eventTypes && !v.scopes.includes('events:write') && !v.scopes.includes('admin')) {
      ctx.addIssue({ code: 'custom', path: ['eventTypes'], message: 'an event type allow-list needs the events:write scope' });
    }
  })
  .describe('a new API key');
export type ApiKeyCreateRequestV1 = z.infer<typeof apiKeyCreateRequestV1>;

/** A key as listed: never its secret, only a prefix to recognise it by. */
export const apiKeyViewV1 = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().describe('the first characters of the secret, e.g. vgl_AbC12345, to recognise it by'),
    scopes: z.array(z.string()),
    eventTypes: z.array(z.string()).nullable().describe('allow-list of event types this key may submit; null: every producer type'),
    rateLimitPerMinute: z.number().int().positive(),
    createdAt: timestamp,
    lastUsedAt: timestamp.nullable().describe('last authenticated request, to within a few seconds'),
    rotatedAt: timestamp.nullable().describe('when the secret was last replaced'),
    revokedAt: timestamp.nullable(),
  })
  .describe('an API key (without its secret)');
export type ApiKeyViewV1 = z.infer<typeof apiKeyViewV1>;

export const apiKeyCreatedV1 = apiKeyViewV1
  .extend({
    secret: z.string().describe('the API key itself (vgl_…): shown this once; only its hash is stored'),
  })
  .describe('an API key with its secret, shown once');
export type ApiKeyCreatedV1 = z.infer<typeof apiKeyCreatedV1>;

export const apiKeyListV1 = z
  .object({ items: z.array(apiKeyViewV1).describe('newest first, revoked keys included') })
  .describe("the organisation's API keys");
export type ApiKeyListV1 = z.infer<typeof apiKeyListV1>;
