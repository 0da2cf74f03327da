/** Retry timing: exponential backoff with full jitter, and the server's `Retry-After` when it sends one. */

export interface BackoffOptions {
  /** Upper bound of the first retry's delay. */
  baseMs: number;
  /** No delay drawn from the backoff ever exceeds this. */
  capMs: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 200, capMs: 30_000 };

/**
 * Full jitter (delay drawn uniformly from [0, min(cap, base·2^(attempt-1)))): producers that failed
 * together spread out instead of retrying in lock-step against a gateway that is just recovering.
 * `attempt` is 1 for the first retry.
 */
export function fullJitterDelay(attempt: number, opts: BackoffOptions = defaultBackoff, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  // 2^(n-1) overflows to Infinity long after it passed any sane cap; Math.min handles that.
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** (n - 1));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

/**
 * `Retry-After` (RFC 9110 §10.2.3): either delay-seconds or an HTTP date. Returns milliseconds to wait
 * from `now`, 0 for a date already past, undefined when absent or unparseable (then the backoff decides).
 */
export function parseRetryAfter(value: string | null | undefined, now: Date = new Date()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // Only IMF-fixdate and the obsolete forms Date.parse understands; a bare number with a sign or a
  // fraction is not valid delay-seconds and must not be read as a date either.
  if (/^[+-]?\d+(\.\d+)?$/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/** The wait before retry `attempt`: the server's `Retry-After` if it gave a usable one, else full jitter. */
export function retryDelay(attempt: number, retryAfter: string | null | undefined, opts: BackoffOptions = defaultBackoff, random: () => number = Math.random, now: Date = new Date()): number {
  return parseRetryAfter(retryAfter, now) ?? fullJitterDelay(attempt, opts, random);
}

/** Statuses worth sending the same batch again for: throttled, timed out, or a server-side failure. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}
