import fc from 'fast-check';
import { OrgWindow, referenceSpraying, SortedFailures, Tally, type Failure, type SprayAttack, type SprayOutcome, type SprayParams } from './org-window';
import { passwordSpraying } from './spraying.rule';

const MIN = 60_000;
const D = 5 * MIN;
const defaults = passwordSpraying.settings.parse({});
const params = (s = defaults): SprayParams => ({ ...passwordSpraying.params(s), latenessMs: D });
const fail = (at: number, account: string, ip: string | null, id = `${account}@${at}`): Failure => ({ at, eventId: id, account, ip });

/**
 * Feeds failures in the given order, as the engine does. `flushAt`: then an uncounted failure that
 * late (an allow-listed one, say) moves the org's clock past everything, so every window becomes final.
 */
function feed(p: SprayParams, arrivals: readonly Failure[], opts: { start?: OrgWindow; flushAt?: number } = {}) {
  const w = opts.start ?? new OrgWindow(p);
  const triggered: { id: string; x: number; accounts: number; ips: number }[] = [];
  const absorbed: string[] = [];
  const take = (out: SprayOutcome) => {
    if (out.triggered) triggered.push({ id: out.triggered.attack.detectionId, x: out.triggered.window.end, accounts: out.triggered.window.accounts, ips: out.triggered.window.ips });
    absorbed.push(...out.absorbed);
  };
  for (const f of arrivals) take(w.observe(f.at, f, () => `d-${f.eventId}`));
  if (opts.flushAt !== undefined) take(w.observe(opts.flushAt, null, () => 'd-flush'));
  return { w, triggered, absorbed };
}

/** The failures a window keeps, in order. */
function contents(w: OrgWindow): string[] {
  const out: string[] = [];
  w.failures.forEachBetween(-Infinity, Infinity, (f) => out.push(`${f.at}/${f.eventId}`));
  return out;
}

/** n accounts, one failure each, one every `gap` ms from t, on `ips` IPs in turn. */
const spray = (n: number, ips: number, t = 0, gap = MIN, prefix = 'user') => Array.from({ length: n }, (_, i) => fail(t + i * gap, `${prefix}${i}@acme.test`, `198.51.100.${i % ips}`));

describe('password_spraying.org settings', () => {
  it('defaults to 30 accounts, 10 IPs, 1 hour, at most 3 failures per account; refuses what is not a setting', () => {
    expect(defaults).toEqual({ enabled: true, allowIps: [], allowAccounts: [], accounts: 30, ips: 10, windowSeconds: 3600, maxFailuresPerAccount: 3 });
    const bad = passwordSpraying.settings.safeParse({ accounts: 1, ips: 0, windowSeconds: 60, maxFailuresPerAccount: 0, threshold: 5 });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path.join('/')).sort()).toEqual(['', 'accounts', 'ips', 'maxFailuresPerAccount', 'windowSeconds']);
    // A day at most: the org's whole window is kept in memory.
    expect(passwordSpraying.settings.safeParse({ windowSeconds: 86_401 }).success).toBe(false);
  });
});

describe('Tally (one window)', () => {
  it('counts an account while it has at most the ceiling, and only those accounts’ IPs', () => {
    const t = new Tally(3);
    const a = [fail(1, 'a', '10.0.0.1'), fail(2, 'a', '10.0.0.2'), fail(3, 'a', '10.0.0.3'), fail(4, 'a', '10.0.0.4')];
    t.add(fail(0, 'b', '10.0.0.1'));
    for (const f of a.slice(0, 3)) t.add(f);
    expect({ light: t.light, ips: t.ips }).toEqual({ light: 2, ips: 3 });
    t.add(a[3]!); // a's 4th failure: brute force on a, not spraying
    expect({ light: t.light, ips: t.ips, a: t.isLight('a') }).toEqual({ light: 1, ips: 1, a: false });
    t.remove(a[0]!); // back to 3: a counts again, with the IPs of the failures left
    expect({ light: t.light, ips: t.ips, a: t.isLight('a') }).toEqual({ light: 2, ips: 4, a: true });
    for (const f of a.slice(1)) t.remove(f);
    expect({ light: t.light, ips: t.ips }).toEqual({ light: 1, ips: 1 });
  });
});

describe('SortedFailures', () => {
  it('keeps any insertion order sorted, refuses duplicates, and drops a prefix', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 2500 }), fc.integer({ min: 0, max: 3000 }), (times, cut) => {
        const s = new SortedFailures();
        const ids = new Set<string>();
        times.forEach((t, i) => {
          const f = fail(t, 'a', null, `e${i % 2000}`);
          const fresh = !ids.has(`${t}/${f.eventId}`);
          ids.add(`${t}/${f.eventId}`);
          expect(s.insert(f)).toBe(fresh);
        });
        const all: Failure[] = [];
        s.forEachBetween(-1, Infinity, (f) => all.push(f));
        expect(all.length).toBe(ids.size);
        expect(s.size).toBe(ids.size);
        for (let i = 1; i < all.length; i++) expect(all[i - 1]!.at < all[i]!.at || (all[i - 1]!.at === all[i]!.at && all[i - 1]!.eventId < all[i]!.eventId)).toBe(true);
        s.dropThrough(cut);
        const left: Failure[] = [];
        s.forEachBetween(-1, Infinity, (f) => left.push(f));
        expect(left).toEqual(all.filter((f) => f.at > cut));
        expect(s.size).toBe(left.length);
      }),
      { numRuns: 60 },
    );
  });
});

describe('password spraying (defaults: 30 accounts, 10 IPs, 1 hour, ≤ 3 failures each)', () => {
  const p = params();

  it('detects 30 accounts from 10 IPs within the hour once: the window ending at the 30th account, judged when the next failure comes', () => {
    const { triggered, w } = feed(p, spray(40, 10));
    expect(triggered).toEqual([{ id: 'd-user30@acme.test@1800000', x: 29 * MIN, accounts: 30, ips: 10 }]);
    // The attack goes on (40 accounts): one attack; its last window judged so far ends at the 39th.
    expect(w.attacks).toEqual([{ detectionId: 'd-user30@acme.test@1800000', start: 29 * MIN, end: 38 * MIN, eventCount: 39 }]);
    // Any later failure of the org (even one that does not count) closes the window at the 40th.
    expect(w.observe(40 * MIN, null, () => 'unused').saved).toEqual([{ detectionId: 'd-user30@acme.test@1800000', start: 29 * MIN, end: 39 * MIN, eventCount: 40 }]);
  });

  it('judges a window only once every failure at its end time is in: ties are not cut', () => {
    // 30 light accounts at t = 0 and, at the same millisecond, the 4th failure of one of them.
    const tied = [...spray(30, 10, 0, 0), ...[1, 2, 3].map((k) => fail(0, 'user0@acme.test', '198.51.100.0', `again${k}`))];
    expect(feed(p, tied, { flushAt: 10 * MIN }).triggered).toEqual([]);
    expect(referenceSpraying(tied, p)).toEqual([]);
  });

  it('stays quiet at 29 accounts, at 30 accounts from 9 IPs, and when the 30 are spread over more than an hour', () => {
    const flushAt = 10 * 60 * MIN;
    expect(feed(p, spray(29, 10), { flushAt }).triggered).toEqual([]);
    expect(feed(p, spray(30, 9), { flushAt }).triggered).toEqual([]);
    // 30 accounts 125 s apart: 29 gaps = 60.4 minutes, so no hour holds all 30 (the window is half-open).
    expect(feed(p, spray(30, 10, 0, 125_000), { flushAt }).triggered).toEqual([]);
    expect(feed(p, spray(30, 10, 0, 124_000), { flushAt }).triggered).toHaveLength(1);
  });

  it('does not count brute force: 30 accounts with 5 failures each, one account after another, are no spraying', () => {
    const brute = Array.from({ length: 30 }, (_, a) => Array.from({ length: 5 }, (_, k) => fail(a * 60_000 + k * 1000, `user${a}@acme.test`, `198.51.100.${(a * 5 + k) % 20}`))).flat();
    expect(feed(p, brute, { flushAt: 10 * 60 * MIN }).triggered).toEqual([]);
    expect(referenceSpraying(brute, p)).toEqual([]);
  });

  it('counts an account again once its old failures leave the window', () => {
    // user0 fails 4 times at the start (heavy); an hour later only its 4th failure is in the window.
    const early = [0, 1, 2].map((k) => fail(k * 1000, 'user0@acme.test', '203.0.113.1'));
    const later = [fail(3 * MIN, 'user0@acme.test', '203.0.113.1'), ...spray(29, 10, 61 * MIN, 1000, 'other')];
    expect(referenceSpraying([...early, ...later], p)).toEqual([{ start: 61 * MIN + 28_000, end: 61 * MIN + 28_000 }]);
    expect(feed(p, [...early, ...later], { flushAt: 10 * 60 * MIN }).triggered.map((t) => t.x)).toEqual([61 * MIN + 28_000]);
  });

  it('keeps an attack that goes on for hours as one detection', () => {
    const { triggered, w } = feed(p, spray(300, 10, 0, MIN));
    expect(triggered).toHaveLength(1);
    expect(w.attacks).toEqual([{ detectionId: triggered[0]!.id, start: 29 * MIN, end: 298 * MIN, eventCount: 60 }]);
  });

  it('raises a new detection after more than an hour without a qualifying window', () => {
    const first = spray(30, 10, 0, MIN);
    const second = spray(30, 10, 29 * MIN + 60 * MIN + 1, MIN, 'again'); // first window after a quiet hour + 1 ms
    const { triggered } = feed(p, [...first, ...second], { flushAt: 10 * 60 * MIN });
    expect(triggered.map((t) => t.x)).toEqual([29 * MIN, 29 * MIN + 60 * MIN + 1 + 29 * MIN]);
    expect(referenceSpraying([...first, ...second], p)).toHaveLength(2);
  });

  it('describes the window: counts, sample accounts and IPs, event ids, remediation', () => {
    const w = new OrgWindow(p);
    const events = spray(30, 10);
    let window;
    for (const f of events) window = w.observe(f.at, f, () => 'd').triggered?.window ?? window;
    window = w.observe(31 * MIN, null, () => 'd').triggered?.window ?? window;
    const text = passwordSpraying.describe({ orgId: 'org-1', window: window!, settings: defaults });
    expect(text).toMatchObject({
      correlationKey: 'password_spraying.org:org-1',
      title: 'Password spraying: 30 accounts failing from 10 IPs',
      summary: 'Failed logins for 30 distinct accounts (each at most 3 times) from 10 distinct IPs within 1 hour (thresholds 30 accounts, 10 IPs).',
      evidence: { facts: { accounts: 30, ips: 10, windowSeconds: 3600, maxFailuresPerAccount: 3 } },
    });
    expect(text.evidence.usernames).toHaveLength(30);
    expect(text.evidence.ips).toHaveLength(10);
    expect(text.evidence.eventIds).toEqual(events.map((e) => e.eventId));
    expect(text.remediation!.length).toBeGreaterThan(2);
  });
});

/** Small thresholds so random streams cross them often (and sometimes twice): 3 accounts, 2 IPs, ceiling 2, W = 50, D = 10. */
const small: SprayParams = { windowMs: 50, accounts: 3, ips: 2, maxPerAccount: 2, latenessMs: 10 };
const failureArb = (accounts: number) =>
  fc.record({ at: fc.integer({ min: 0, max: 600 }), account: fc.integer({ min: 0, max: accounts - 1 }), ip: fc.integer({ min: 0, max: 5 }) });
const toFailures = (xs: { at: number; account: number; ip: number }[]) => xs.map((x, i) => fail(x.at, `a${x.account}`, `ip${x.ip}`, `e${i}`));

describe('early looks that could split one attack in two', () => {
  it('leaves a window that late windows could link to an earlier attack to the final sweep', () => {
    // Attack A qualifies at 10; windows 65..67 qualify too, and the late failure at 59 links them to A.
    const a = [fail(8, 'a', 'i0'), fail(10, 'b', 'i1'), fail(10, 'c', 'i0')];
    const b = [fail(65, 'e', 'i1'), fail(66, 'f', 'i0'), fail(67, 'g', 'i1'), fail(68, 'h', 'i0')];
    const late = fail(59, 'd', 'i0'); // 9 behind the newest (68) when it arrives: within D = 10
    const { triggered, absorbed } = feed(small, [...a, ...b, late], { flushAt: 1000 });
    expect(referenceSpraying([...a, ...b, late], small)).toHaveLength(1);
    expect(absorbed).toEqual([]);
    expect(triggered.map((t) => t.x)).toEqual([10]);
  });
});

/** Arrival order: sorted by time, each failure displaced at most `d` behind the newest (a stable sort by at + jitter). */
const disorder = (fs: readonly Failure[], jitter: readonly number[]) =>
  fs
    .map((f, i) => ({ f, key: f.at + (jitter[i % Math.max(1, jitter.length)] ?? 0) }))
    .sort((a, b) => a.key - b.key || a.f.at - b.f.at)
    .map((x) => x.f);

describe('the incremental window against the definition', () => {
  it('in event-time order: exactly the definition’s attacks, one detection each', () => {
    fc.assert(
      fc.property(fc.array(failureArb(12), { minLength: 10, maxLength: 120 }), (xs) => {
        const fs = toFailures(xs).sort((a, b) => a.at - b.at);
        const { triggered, absorbed } = feed(small, fs, { flushAt: 10_000 });
        const ref = referenceSpraying(fs, small);
        expect(absorbed).toEqual([]);
        expect(triggered).toHaveLength(ref.length);
      }),
      { numRuns: 300 },
    );
  });

  it('out of order within the allowed lateness, no account over the ceiling: exactly the definition', () => {
    fc.assert(
      fc.property(fc.array(failureArb(30), { minLength: 10, maxLength: 60 }), fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 1, maxLength: 60 }), (xs, jitter) => {
        // At most 2 failures per account overall: the measure only grows, so no early look can be wrong.
        const seen = new Map<number, number>();
        const capped = xs.filter((x) => (seen.set(x.account, (seen.get(x.account) ?? 0) + 1).get(x.account) ?? 0) <= 2);
        const fs = toFailures(capped);
        const arrivals = disorder(fs, jitter);
        let newest = -Infinity;
        for (const f of arrivals) {
          // precondition: each failure arrives at most D behind the newest
          expect(newest - f.at).toBeLessThanOrEqual(small.latenessMs);
          newest = Math.max(newest, f.at);
        }
        const { triggered, absorbed } = feed(small, arrivals, { flushAt: 10_000 });
        const ref = referenceSpraying(fs, small);
        expect(absorbed).toEqual([]);
        expect(triggered).toHaveLength(ref.length);
      }),
      { numRuns: 300 },
    );
  });

  it('out of order within the lateness, any stream: every attack of the definition is detected', () => {
    fc.assert(
      fc.property(fc.array(failureArb(12), { minLength: 10, maxLength: 100 }), fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 1, maxLength: 50 }), (xs, jitter) => {
        const fs = toFailures(xs);
        const w = new OrgWindow(small);
        // The attack rows as PostgreSQL would hold them.
        const rows = new Map<string, SprayAttack>();
        const apply = (out: { saved: SprayAttack[]; absorbed: string[] }) => {
          for (const id of out.absorbed) rows.delete(id);
          for (const a of out.saved) rows.set(a.detectionId, a);
        };
        for (const f of disorder(fs, jitter)) apply(w.observe(f.at, f, () => `d-${f.eventId}`));
        apply(w.observe(10_000, null, () => 'd-flush'));
        const spans = [...rows.values()];
        // Each attack of the definition lies within one detected attack.
        for (const r of referenceSpraying(fs, small)) expect(spans.some((s) => s.start <= r.start && r.end <= s.end)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('rebuilt from stored failures and attacks at any point, it goes on exactly as if it had never stopped', () => {
    fc.assert(
      fc.property(fc.array(failureArb(12), { minLength: 10, maxLength: 100 }), fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 1, maxLength: 50 }), fc.nat(), (xs, jitter, cutAt) => {
        const arrivals = disorder(toFailures(xs), jitter);
        const cut = arrivals.length ? cutAt % (arrivals.length + 1) : 0;
        const whole = feed(small, arrivals);
        const before = feed(small, arrivals.slice(0, cut));
        // What PostgreSQL holds: every failure so far, the newest, the attack rows (pruned ones too).
        const stored = arrivals.slice(0, cut);
        const newest = stored.length ? Math.max(...stored.map((f) => f.at)) : null;
        const rebuilt = OrgWindow.rebuild(small, newest, stored, before.w.attacks);
        expect(contents(rebuilt)).toEqual(contents(before.w));
        const after = feed(small, arrivals.slice(cut), { start: rebuilt });
        expect([...before.triggered, ...after.triggered]).toEqual(whole.triggered);
        expect(after.w.attacks).toEqual(whole.w.attacks);
        expect(after.w.finalEnd).toBe(whole.w.finalEnd);
      }),
      { numRuns: 300 },
    );
  });
});
