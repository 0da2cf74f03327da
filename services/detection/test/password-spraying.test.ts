import { randomUUID } from 'node:crypto';
import { createEvent, loginFailedV1 } from '@vigil/contracts';
import { DetectionEngine } from '../src/engine/engine';
import { RuleRegistry } from '../src/engine/registry';
import { RuleSettingsService } from '../src/settings/rule-settings.service';
import { DetectionHarness } from './harness';

/**
 * Password spraying's org-wide window against real PostgreSQL and NATS: rebuilt from observed_events
 * when memory is lost, rebuilt under new settings, and one detection per attack.
 */
const RULE = 'password_spraying.org';
const MIN = 60_000;
// Two days ago, on the hour: well inside the event-time bounds whenever the suite runs.
const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 86_400_000;

let h: DetectionHarness;

beforeAll(async () => {
  h = await DetectionHarness.start();
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

/** Account i fails once at t0 + i * 90 s from one of 10 IPs (`username` omitted: a failure that only moves the clock). */
const failure = (orgId: string, i: number, opts: { at?: number; username?: string | null } = {}) =>
  createEvent(loginFailedV1, {
    orgid: orgId,
    source: 'https://app.example.test/login',
    time: new Date(opts.at ?? t0 + i * 90_000),
    data: { ip: `203.0.113.${10 + (i % 10)}`, ...(opts.username === null ? {} : { username: opts.username ?? `user${i}@example.test` }), reason: 'invalid_password' },
  });
const accounts = (orgId: string, from: number, to: number) => Array.from({ length: to - from }, (_, k) => failure(orgId, from + k));
const send = async (events: ReturnType<typeof failure>[]) => h.settled(await h.publish(events));
const spraying = async (orgId: string) => (await h.detectionsOf(orgId)).filter((d) => d.ruleId === RULE);
const attackRows = async (orgId: string) => (await h.attacksOf(orgId)).filter((a) => a.rule_id === RULE);
const forget = () => h.app.get(DetectionEngine).clear();

describe('password spraying (real PostgreSQL + NATS)', () => {
  it('raises one detection naming the org, the counts and samples, with the window it saw', async () => {
    const org = randomUUID();
    await send(accounts(org, 0, 31));
    const [d, ...more] = await spraying(org);
    expect(more).toEqual([]);
    expect(d).toMatchObject({
      ruleId: RULE,
      category: 'password_spraying',
      severity: 'high',
      key: { kind: 'org', value: org },
      correlationKey: `password_spraying.org:${org}`,
      count: 30,
      threshold: 30,
      windowStart: new Date(t0).toISOString(),
      windowEnd: new Date(t0 + 29 * 90_000).toISOString(),
      evidence: { facts: { accounts: 30, ips: 10, windowSeconds: 3600, maxFailuresPerAccount: 3 } },
    });
    expect(d!.evidence.usernames).toHaveLength(30);
    expect(d!.evidence.ips).toHaveLength(10);
    expect(d!.remediation!.length).toBeGreaterThan(0);
    expect(await attackRows(org)).toEqual([expect.objectContaining({ key: org, started_at: new Date(t0 + 29 * 90_000), event_count: 30 })]);
  });

  it('rebuilds the window from PostgreSQL when memory is lost, mid-attack and after it', async () => {
    const org = randomUUID();
    await send(accounts(org, 0, 20));
    forget(); // what a fresh process starts from
    await send(accounts(org, 20, 31));
    expect(await spraying(org)).toHaveLength(1);
    forget();
    await send(accounts(org, 31, 45));
    // Still the same attack: the row reloaded from PostgreSQL grew, no second detection.
    expect(await spraying(org)).toHaveLength(1);
    expect(await attackRows(org)).toEqual([expect.objectContaining({ started_at: new Date(t0 + 29 * 90_000), last_seen_at: new Date(t0 + 43 * 90_000), event_count: 40 })]);
    // A quiet afternoon, then a new wave: a new attack.
    forget();
    const later = t0 + 6 * 60 * MIN;
    await send(Array.from({ length: 31 }, (_, k) => failure(org, k, { at: later + k * 90_000, username: `wave2-${k}@example.test` })));
    expect(await spraying(org)).toHaveLength(2);
  });

  it('rebuilds the windows of several orgs in one batch, each from its own failures', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await send([...accounts(a, 0, 20), ...accounts(b, 0, 25)]);
    forget();
    // One publish: both orgs' windows are loaded in the same batch.
    await send([...accounts(a, 20, 31), ...accounts(b, 25, 29), failure(b, 40, { username: null })]);
    expect(await spraying(a)).toHaveLength(1);
    expect(await spraying(b)).toEqual([]); // 29 accounts: not another org's
  });

  it('judges the last hour under new settings as soon as they are stored, and forgets a rule switched off', async () => {
    const org = randomUUID();
    const settings = h.app.get(RuleSettingsService);
    const rule = h.app.get(RuleRegistry).get(RULE)!;
    expect(await settings.update(org, rule, { accounts: 40 }, 'test')).toEqual({ ok: true });
    await send(accounts(org, 0, 35));
    expect(await spraying(org)).toEqual([]);
    expect(await settings.update(org, rule, { enabled: false }, 'test')).toEqual({ ok: true });
    await send(accounts(org, 35, 37));
    expect(await spraying(org)).toEqual([]);
    // Back on with 30: the window is rebuilt from what PostgreSQL holds (37 accounts within the hour).
    expect(await settings.update(org, rule, {}, 'test')).toEqual({ ok: true });
    await send([failure(org, 37, { username: null })]);
    // The first window judged under them: the oldest that just became final (ends at account 33, 34 accounts);
    // windows judged final before the change (under 40) are not judged again.
    expect((await spraying(org)).map((d) => d.count)).toEqual([34]);
  });

  it('refuses bad settings with a pointer per field', async () => {
    const settings = h.app.get(RuleSettingsService);
    const rule = h.app.get(RuleRegistry).get(RULE)!;
    const result = await settings.update(randomUUID(), rule, { accounts: 0, windowSeconds: 10 * 86_400, allowIps: ['300.1.1.1'] }, 'test');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => e.pointer).sort()).toEqual(['/accounts', '/allowIps/0', '/windowSeconds']);
  });
});
