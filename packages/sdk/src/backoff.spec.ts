import fc from 'fast-check';
import { fullJitterDelay, isRetryableStatus, parseRetryAfter, retryDelay } from './backoff';

describe('full jitter backoff', () => {
  const opts = { baseMs: 200, capMs: 30_000 };

  it('draws from [0, base·2^(attempt-1)) and doubles the ceiling per attempt', () => {
    expect(fullJitterDelay(1, opts, () => 0)).toBe(0);
    expect(fullJitterDelay(1, opts, () => 0.5)).toBe(100);
    expect(fullJitterDelay(2, opts, () => 0.5)).toBe(200);
    expect(fullJitterDelay(3, opts, () => 0.5)).toBe(400);
    expect(fullJitterDelay(1, opts, () => 0.999999)).toBe(199);
  });

  it('never exceeds the cap, however many attempts', () => {
    expect(fullJitterDelay(8, opts, () => 0.999999)).toBe(25_599);
    expect(fullJitterDelay(9, opts, () => 0.999999)).toBe(29_999);
    expect(fullJitterDelay(10_000, opts, () => 0.999999)).toBe(29_999);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const d = fullJitterDelay(attempt, opts, () => r);
        return Number.isInteger(d) && d >= 0 && d <= Math.min(opts.capMs, opts.baseMs * 2 ** (attempt - 1));
      }),
    );
  });

  it('spreads delays instead of retrying in lock-step', () => {
    const delays = new Set(Array.from({ length: 50 }, () => fullJitterDelay(6, opts)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('Retry-After', () => {
  const now = new Date('2026-03-01T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('1', now)).toBe(1000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP date relative to now, and a past date as no wait', () => {
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:59:00 GMT', now)).toBe(0);
  });

  it('ignores an absent or unusable value', () => {
    for (const v of [null, undefined, '', '  ', '-1', '1.5', '+3', 'soon', 'Sun, 99 Foo 2026']) expect(parseRetryAfter(v, now)).toBeUndefined();
  });

  it('wins over the backoff when present, and the backoff decides otherwise', () => {
    const opts = { baseMs: 200, capMs: 30_000 };
    expect(retryDelay(1, '1', opts, () => 0, now)).toBe(1000);
    expect(retryDelay(7, 'Sun, 01 Mar 2026 12:00:02 GMT', opts, () => 0.999, now)).toBe(2000);
    expect(retryDelay(3, null, opts, () => 0.5, now)).toBe(400);
    expect(retryDelay(3, 'garbage', opts, () => 0.5, now)).toBe(400);
  });
});

describe('which answers are retried', () => {
  it('retries throttling, timeouts and server errors only', () => {
    for (const s of [408, 429, 500, 502, 503, 504, 599]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [200, 202, 207, 400, 401, 403, 404, 413, 422]) expect(isRetryableStatus(s)).toBe(false);
  });
});
