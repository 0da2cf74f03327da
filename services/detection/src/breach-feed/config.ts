import { z } from 'zod';

/** The breach-feed connector's variables (off without an API key); part of detection's environment. */
export const breachFeedEnv = {
  /** HIBP subscription key (`hibp-api-key` header). Unset: the connector does not poll. */
  VIGIL_HIBP_API_KEY: z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .optional(),
  VIGIL_HIBP_BASE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL' }).default('https://haveibeenpwned.com/api/v3'),
  /** HIBP refuses requests without a user agent naming the app. */
  VIGIL_HIBP_USER_AGENT: z.string().trim().min(1).max(200).default('Vigil-breach-feed'),
  /** Seconds between the end of one poll of every watchlist entry and the start of the next. */
  VIGIL_HIBP_POLL_SECONDS: z.coerce.number().int().min(1).max(7 * 24 * 3600).default(6 * 3600),
  /** Pause between two HIBP requests; 6 s keeps the lowest plan's 10 requests per minute. */
  VIGIL_HIBP_REQUEST_INTERVAL_MS: z.coerce.number().int().min(0).max(600_000).default(6000),
  /** 429 answers one request may get before it is left for the next poll. */
  VIGIL_HIBP_MAX_RETRIES: z.coerce.number().int().min(0).max(20).default(5),
};

export type BreachFeedConfig = z.infer<z.ZodObject<typeof breachFeedEnv>>;
