import { RateLimiter } from './rate-limiter';

describe('RateLimiter (token bucket per key)', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('allows a burst of the per-minute limit, then refuses with the seconds until the next token', () => {
    const c = clock();
    const limiter = new RateLimiter(c.now);
    for (let i = 0; i < 3; i++) expect(limiter.take('k', 3)).toEqual({ allowed: true });
    // 3 per minute: one token every 20 s.
    expect(limiter.take('k', 3)).toEqual({ allowed: false, retryAfterSeconds: 20 });
    c.advance(5_000);
    expect(limiter.take('k', 3)).toEqual({ allowed: false, retryAfterSeconds: 15 });
  });

  it('refills at limit/60 per second, never above the limit', () => {
    const c = clock();
    const limiter = new RateLimiter(c.now);
    for (let i = 0; i < 60; i++) limiter.take('k', 60);
    expect(limiter.take('k', 60).allowed).toBe(false);
    c.advance(1_000);
    expect(limiter.take('k', 60).allowed).toBe(true);
    expect(limiter.take('k', 60).allowed).toBe(false);
    c.advance(10 * 60_000); // a long pause refills to the limit, not beyond
    for (let i = 0; i < 60; i++) expect(limiter.take('k', 60).allowed).toBe(true);
    expect(limiter.take('k', 60).allowed).toBe(false);
  });

  it('refused requests do not use up tokens', () => {
    const c = clock();
    const limiter = new RateLimiter(c.now);
    limiter.take('k', 1);
    for (let i = 0; i < 10; i++) expect(limiter.take('k', 1).allowed).toBe(false);
    c.advance(60_000);
    expect(limiter.take('k', 1).allowed).toBe(true);
  });

  it("keeps each key's bucket apart", () => {
    const limiter = new RateLimiter(clock().now);
    expect(limiter.take('a', 1).allowed).toBe(true);
    expect(limiter.take('a', 1).allowed).toBe(false);
    expect(limiter.take('b', 1).allowed).toBe(true);
  });

  it('answers Retry-After of at least one second, rounded up', () => {
    const c = clock();
    const limiter = new RateLimiter(c.now);
    for (let i = 0; i < 6000; i++) limiter.take('k', 6000);
    expect(limiter.take('k', 6000)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    c.advance(9); // 10 ms per token at 6000/min
    expect(limiter.take('k', 6000).allowed).toBe(false);
    c.advance(1);
    expect(limiter.take('k', 6000).allowed).toBe(true);
  });
});
