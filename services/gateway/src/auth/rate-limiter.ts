interface Bucket {
  tokens: number;
  at: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * A token bucket per API key, in this gateway's memory: up to `perMinute` requests in a burst, refilled
 * at perMinute/60 per second. Each gateway replica keeps its own buckets, so behind N replicas a key
 * may make up to N × its limit (a load balancer spreading evenly gives each replica its share); that
 * bounds abuse without a database round trip per request. Provided by a factory (the clock is for tests).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = Date.now) {}

  take(keyId: string, perMinute: number): RateDecision {
    const now = this.now();
    const ratePerMs = perMinute / 60_000;
    const bucket = this.buckets.get(keyId);
    const tokens = bucket ? Math.min(perMinute, bucket.tokens + Math.max(0, now - bucket.at) * ratePerMs) : perMinute;
    if (tokens >= 1) {
      this.buckets.set(keyId, { tokens: tokens - 1, at: now });
      if (this.buckets.size > 10_000) this.sweep(now);
      return { allowed: true };
    }
    this.buckets.set(keyId, { tokens, at: now });
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / ratePerMs / 1000)) };
  }

  /** Buckets idle for a minute are full again whatever their limit: dropping them changes nothing. */
  private sweep(now: number): void {
    for (const [id, b] of this.buckets) if (now - b.at >= 60_000) this.buckets.delete(id);
  }
}
