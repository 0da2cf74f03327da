import type { Observed } from '../engine/rule';
import { bruteForceByIp, credentialStuffing } from './brute-force.rule';
import { distinctValues, maxCountOfWindowsContaining, referenceAttacks } from './sliding-window';

const t0 = Date.parse('2026-11-23T10:00:00Z');
const at = (minutes: number) => t0 + minutes * 60_000;
const settings = bruteForceByIp.settings.parse({});
const windowOf = (s: { threshold: number; windowSeconds: number }) => ({ threshold: s.threshold, windowMs: s.windowSeconds * 1000 });
const failures = (minutes: number[]) => minutes.map((m, i) => ({ at: at(m), eventId: `e${i}` }));
const login = (minute: number, account: string | null, i: number): Observed => ({ eventId: `e${i}`, type: 'login.failed', at: at(minute), ip: '203.0.113.7', account, attrs: null });

describe('brute_force.ip', () => {
  it('defaults to 5 failures in 15 minutes, overridable per org, and refuses what is not a setting', () => {
    expect(settings).toEqual({ enabled: true, threshold: 5, windowSeconds: 900, allowIps: [], allowAccounts: [] });
    expect(bruteForceByIp.settings.parse({ threshold: 10, windowSeconds: 60 })).toMatchObject({ threshold: 10, windowSeconds: 60 });
    const bad = bruteForceByIp.settings.safeParse({ threshold: 0, windowSeconds: 8 * 86400, allowIps: ['10.0.0.0/33'], colour: 'red' });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('/')).sort()).toEqual(['', 'allowIps/0', 'threshold', 'windowSeconds']);
  });

  it('stays quiet at 4 failures and sees an attack at 5 within 15 minutes', () => {
    expect(referenceAttacks(failures([0, 1, 2, 3]), windowOf(settings))).toEqual([]);
    expect(referenceAttacks(failures([0, 1, 2, 3, 14]), windowOf(settings))).toHaveLength(1);
    // 15 minutes exactly is outside the window (x - W, x]
    expect(referenceAttacks(failures([0, 1, 2, 3, 15]), windowOf(settings))).toEqual([]);
  });

  it('keeps failures that go on within 15 minutes of each other as one attack, and a quiet quarter hour ends it', () => {
    expect(referenceAttacks(failures([0, 1, 2, 3, 4, 18, 32, 46, 60]), windowOf(settings))).toHaveLength(1);
    expect(referenceAttacks(failures([0, 1, 2, 3, 4, 20, 21, 22, 23, 24]), windowOf(settings))).toHaveLength(2);
  });

  it('describes the qualifying window: count, usernames once each, event ids', () => {
    const events = [login(0, 'alice', 0), login(1, 'alice', 1), login(2, 'bob', 2), login(3, null, 3), login(4, 'carol', 4)];
    const window = maxCountOfWindowsContaining(at(0), events.map((e) => e.at), 900_000);
    expect(window).toEqual({ count: 5, first: at(0), end: at(4) });
    expect(bruteForceByIp.describe({ key: '203.0.113.7', window, events, settings })).toEqual({
      correlationKey: 'brute_force.ip:203.0.113.7',
      title: 'Brute force attack detected from 203.0.113.7',
      summary: '5 failed logins from 203.0.113.7 within 15 minutes (threshold 5).',
      evidence: { ip: '203.0.113.7', usernames: ['alice', 'bob', 'carol'], eventIds: ['e0', 'e1', 'e2', 'e3', 'e4'] },
    });
  });
});

describe('credential_stuffing.ip (distinct accounts per window)', () => {
  const s = windowOf(credentialStuffing.settings.parse({ threshold: 3, windowSeconds: 600 }));
  const measure = distinctValues<Observed>((e) => e.account);

  it('counts accounts, not attempts: 10 failures on 2 accounts are no stuffing, 3 accounts are', () => {
    const two = Array.from({ length: 10 }, (_, i) => login(i * 0.1, i % 2 ? 'a' : 'b', i));
    expect(referenceAttacks(two, s, measure)).toEqual([]);
    expect(referenceAttacks([...two, login(9, 'c', 99)], s, measure)).toEqual([{ start: at(0), end: at(9) }]);
  });

  it('needs the accounts within one window: 3 accounts 10 minutes apart are not stuffing', () => {
    expect(referenceAttacks([login(0, 'a', 0), login(5, 'b', 1), login(10, 'c', 2)], s, measure)).toEqual([]);
    expect(measure(at(0), [login(0, 'a', 0), login(5, 'b', 1), login(9.9, 'c', 2)], 600_000)).toEqual({ count: 3, first: at(0), end: at(9.9) });
  });
});
