import { MAX_ATTEMPTS, deliveryMessageId, retryDelayMs } from './delivery-policy';

describe('delivery policy', () => {
  const mid = () => 0.5; // no jitter

  it('backs off exponentially from 10 s, capped at an hour', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, mid))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(retryDelayMs(30, mid)).toBe(3_600_000);
  });

  it('jitters within ±20 %', () => {
    expect(retryDelayMs(1, () => 0)).toBe(8_000);
    expect(retryDelayMs(1, () => 1)).toBe(12_000);
  });

  it('gives up after 8 attempts', () => {
    expect(MAX_ATTEMPTS).toBe(8);
  });

  it('derives a stable Message-ID from the delivery id', () => {
    expect(deliveryMessageId('3f0c2d1e-0000-4000-8000-000000000001')).toBe('<3f0c2d1e-0000-4000-8000-000000000001@vigil>');
  });
});
