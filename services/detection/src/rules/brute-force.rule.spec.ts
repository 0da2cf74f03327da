import { loginFailedV1 } from '@vigil/contracts';
import { bruteForceByIp } from './brute-force.rule';
import { ruleSettings } from './sliding-window-rule';
import { maxCountOfWindowsContaining, referenceAttacks } from './sliding-window';

const t0 = Date.parse('2026-11-23T10:00:00Z');
const at = (minutes: number) => t0 + minutes * 60_000;
const settings = ruleSettings(bruteForceByIp);
const failures = (minutes: number[]) => minutes.map((m, i) => ({ at: at(m), eventId: `e${i}` }));

describe('brute_force.ip', () => {
  it('defaults to 5 failures in 15 minutes, overridable per org', () => {
    expect(settings).toEqual({ enabled: true, threshold: 5, windowMs: 15 * 60_000 });
    expect(ruleSettings(bruteForceByIp, { enabled: true, threshold: 10, window_seconds: 60 })).toEqual({ enabled: true, threshold: 10, windowMs: 60_000 });
    expect(ruleSettings(bruteForceByIp, { enabled: false, threshold: null, window_seconds: null })).toMatchObject({ enabled: false, threshold: 5 });
  });

  it('keys on the IP of every failed login', () => {
    expect(bruteForceByIp.keyColumn).toBe('ip');
    expect(bruteForceByIp.keyOf(loginFailedV1.schema.parse({ ip: '203.0.113.7', username: 'alice' }))).toBe('203.0.113.7');
  });

  it('stays quiet at 4 failures and sees an attack at 5 within 15 minutes', () => {
    expect(referenceAttacks(failures([0, 1, 2, 3]), settings)).toEqual([]);
    expect(referenceAttacks(failures([0, 1, 2, 3, 14]), settings)).toHaveLength(1);
    // 15 minutes exactly is outside the window (x - W, x]
    expect(referenceAttacks(failures([0, 1, 2, 3, 15]), settings)).toEqual([]);
  });

  it('keeps failures that go on within 15 minutes of each other as one attack, and a quiet quarter hour ends it', () => {
    expect(referenceAttacks(failures([0, 1, 2, 3, 4, 18, 32, 46, 60]), settings)).toHaveLength(1);
    expect(referenceAttacks(failures([0, 1, 2, 3, 4, 20, 21, 22, 23, 24]), settings)).toHaveLength(2);
  });

  it('describes the qualifying window: count, usernames once each, event ids', () => {
    const events = [
      { at: at(0), eventId: 'a', username: 'alice' },
      { at: at(1), eventId: 'b', username: 'alice' },
      { at: at(2), eventId: 'c', username: 'bob' },
      { at: at(3), eventId: 'd', username: null },
      { at: at(4), eventId: 'e', username: 'carol' },
    ];
    const window = maxCountOfWindowsContaining(at(0), events.map((e) => e.at), settings.windowMs);
    expect(window).toEqual({ count: 5, first: at(0), end: at(4) });
    expect(bruteForceByIp.describe({ key: '203.0.113.7', window, events, settings })).toEqual({
      correlationKey: 'brute_force.ip:203.0.113.7',
      title: 'Brute force attack detected from 203.0.113.7',
      summary: '5 failed logins from 203.0.113.7 within 15 minutes (threshold 5).',
      evidence: { ip: '203.0.113.7', usernames: ['alice', 'bob', 'carol'], eventIds: ['a', 'b', 'c', 'd', 'e'] },
    });
  });
});
