import { randomUUID } from 'node:crypto';
import { createEvent, eventSubject, loginFailedV1 } from '@vigil/contracts';
import { encodeEvent, publishRaw } from '@vigil/messaging';
import { DETECTION_CONSUMER } from '../src/engine/detection.handlers';
import { DetectionEngine } from '../src/engine/engine';
import { DetectionHarness } from './harness';

/**
 * Detection against real PostgreSQL and NATS, fed straight onto `login.failed.<org>` in orders other
 * than event time: every attack must still raise exactly one detection.
 */
const CONSUMER = DETECTION_CONSUMER;
const MIN = 60_000;

let h: DetectionHarness;

beforeAll(async () => {
  h = await DetectionHarness.start();
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

/** Deterministic shuffle (mulberry32), so a failure reproduces. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let a = seed >>> 0;
  const rnd = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** One account per failure: these tests are about the IP's window alone. */
let nextUser = 0;
const failure = (orgId: string, ip: string, at: number, username = `user${nextUser++ % 10}@example.test`) =>
  createEvent(loginFailedV1, { orgid: orgId, source: 'https://app.example.test/login', time: new Date(at), data: { ip, username, reason: 'invalid_password' } });

type Failure = ReturnType<typeof failure>;
const publishAll = (events: readonly Failure[], lanes = 1) => h.publish(events, lanes);
const settled = (seq: number) => h.settled(seq);
const detectionsOf = async (orgId: string) => (await h.detectionsOf(orgId)).filter((d) => d.ruleId === 'brute_force.ip');
const attacksOf = async (orgId: string) =>
  (await h.attacksOf(orgId)).filter((a) => a.rule_id === 'brute_force.ip').map(({ key, started_at, last_seen_at, event_count }) => ({ key, started_at, last_seen_at, event_count }));
const db = { query: <T extends Record<string, unknown>>(text: string, params?: unknown[]) => h.db.query<T>(text, params) };
const js = { get client() { return h.js; } };

describe('detection with events out of event-time order (real PostgreSQL + NATS)', () => {
  // Two days ago, on the hour: well inside the event-time bounds whenever the suite runs.
  const t0 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 86_400_000;

  it('raises exactly one detection for 5 failures of one IP published in reverse time order', async () => {
    const org = randomUUID();
    const events = [0, 1, 2, 3, 4].map((s) => failure(org, '203.0.113.7', t0 + s * 1000, `user${s}@example.test`));
    await settled(await publishAll([...events].reverse()));

    const detections = await detectionsOf(org);
    expect(detections).toHaveLength(1);
    expect(detections[0]).toMatchObject({
      ruleId: 'brute_force.ip',
      correlationKey: 'brute_force.ip:203.0.113.7',
      count: 5,
      windowStart: new Date(t0).toISOString(),
      windowEnd: new Date(t0 + 4000).toISOString(),
    });
    expect([...detections[0]!.evidence.eventIds].sort()).toEqual(events.map((e) => e.id).sort());
    expect(await attacksOf(org)).toEqual([{ key: '203.0.113.7', started_at: new Date(t0), last_seen_at: new Date(t0 + 4000), event_count: 5 }]);
  });

  it('raises one detection per IP for 200 IPs x 5 failures within 5 s, arriving shuffled from 4 concurrent publishers', async () => {
    const org = randomUUID();
    const ips = Array.from({ length: 200 }, (_, i) => `198.51.${100 + Math.floor(i / 100)}.${i % 100}`);
    const events = ips.flatMap((ip, i) => [0, 1, 2, 3, 4].map((k) => failure(org, ip, t0 + ((i * 7 + k * 997) % 5000))));
    await settled(await publishAll(shuffled(events, 42), 4));

    const detections = await detectionsOf(org);
    expect(detections).toHaveLength(200);
    expect(new Set(detections.map((d) => d.correlationKey)).size).toBe(200);
    const attacks = await attacksOf(org);
    expect(attacks).toHaveLength(200);
    expect(attacks.every((a) => a.event_count === 5)).toBe(true);
  });

  it('raises two detections for one IP with two clusters more than a window apart, whatever the order', async () => {
    const org = randomUUID();
    const first = [0, 1, 2, 3, 4].map((s) => failure(org, '192.0.2.44', t0 + s * 1000));
    // 20 minutes later: more than the 15-minute window after the first cluster's last failure.
    const second = [0, 1, 2, 3, 4].map((s) => failure(org, '192.0.2.44', t0 + 20 * MIN + s * 1000));
    await settled(await publishAll(shuffled([...first, ...second], 7).reverse()));

    const detections = await detectionsOf(org);
    expect(detections).toHaveLength(2);
    expect(detections.map((d) => d.windowEnd).sort()).toEqual([new Date(t0 + 4000).toISOString(), new Date(t0 + 20 * MIN + 4000).toISOString()]);
    expect((await attacksOf(org)).map((a) => [a.started_at.getTime() - t0, a.last_seen_at.getTime() - t0, a.event_count])).toEqual([
      [0, 4000, 5],
      [20 * MIN, 20 * MIN + 4000, 5],
    ]);
  });

  it('extends one attack over failures that keep coming within a window, and flags a failure more than 5 minutes late', async () => {
    const org = randomUUID();
    // One failure every 5 minutes is one cluster but no attack (a 15-minute window holds 3 of them);
    // a burst at 40 minutes makes the whole cluster one attack.
    const trickle = [0, 5, 10, 15, 20, 25, 30, 35, 40].map((m) => failure(org, '192.0.2.99', t0 + m * MIN));
    const burst = [1, 2, 3].map((s) => failure(org, '192.0.2.99', t0 + 40 * MIN + s * 1000));
    // One at a time: the consumer handles a batch 4 at once, which would reorder these too.
    for (const e of [...trickle.slice(3), ...burst]) await settled(await publishAll([e]));
    // The first three come last, each more than the allowed 5 minutes behind the newest (40 min 3 s).
    await settled(await publishAll(trickle.slice(0, 3).reverse()));

    expect(await detectionsOf(org)).toHaveLength(1);
    expect((await attacksOf(org)).map((a) => [a.started_at.getTime() - t0, a.event_count])).toEqual([[0, 12]]);
    const late = await db.query<{ event_id: string }>('select event_id from detection.observed_events where org_id = $1 and late order by occurred_at', [org]);
    expect(late.map((r) => r.event_id)).toEqual(trickle.slice(0, 3).map((e) => e.id));
  });

  it('changes nothing when failures are redelivered, even after the inbox forgot them', async () => {
    const org = randomUUID();
    const events = [0, 1, 2, 3, 4, 5].map((s) => failure(org, '203.0.113.200', t0 + s * 1000));
    await settled(await publishAll(events));
    expect(await detectionsOf(org)).toHaveLength(1);
    const before = await attacksOf(org);

    // Copies with fresh Nats-Msg-Ids pass JetStream's dedup, as a redelivery or replay would.
    let seq = 0;
    for (const e of events) seq = (await publishRaw(js.client, eventSubject('login.failed', org), `${e.id}:again`, encodeEvent(e))).seq;
    await settled(seq);
    // The inbox was pruned: only the window state's (org, event id) stands between a copy and a recount.
    await db.query(`delete from detection.inbox where consumer = $1 and event_id = any($2::text[])`, [CONSUMER, events.map((e) => e.id)]);
    for (const e of [...events].reverse()) seq = (await publishRaw(js.client, eventSubject('login.failed', org), `${e.id}:replay`, encodeEvent(e))).seq;
    await settled(seq);

    expect(await detectionsOf(org)).toHaveLength(1);
    expect(await attacksOf(org)).toEqual(before);
    expect(before).toEqual([expect.objectContaining({ event_count: 6 })]);
  });

  it('picks up after a restart exactly where PostgreSQL says: a later failure joins the attack detected before', async () => {
    const org = randomUUID();
    await settled(await publishAll([0, 1, 2, 3, 4].map((s) => failure(org, '192.0.2.150', t0 + s * 1000))));
    expect(await detectionsOf(org)).toHaveLength(1);
    // What a fresh process starts from: nothing in memory, everything in PostgreSQL.
    h.app.get(DetectionEngine).clear();
    await settled(await publishAll([5, 6, 7].map((s) => failure(org, '192.0.2.150', t0 + s * 1000))));
    expect(await detectionsOf(org)).toHaveLength(1);
    expect(await attacksOf(org)).toEqual([{ key: '192.0.2.150', started_at: new Date(t0), last_seen_at: new Date(t0 + 7000), event_count: 8 }]);
    h.app.get(DetectionEngine).clear();
    await settled(await publishAll([0, 1, 2, 3, 4].map((s) => failure(org, '192.0.2.150', t0 + 30 * MIN + s * 1000))));
    expect(await detectionsOf(org)).toHaveLength(2);
  });

  it('dead-letters the one event PostgreSQL refuses and commits its batch neighbours (poison isolation)', async () => {
    const org = randomUUID();
    const dlSubject = `deadletter.${CONSUMER}`;
    const deadLetters = async () => (await h.jsm.streams.info('VIGIL_DEAD_LETTERS', { subjects_filter: dlSubject })).state.subjects?.[dlSubject] ?? 0;
    const before = await deadLetters();
    // A NUL in text passes the contract but not PostgreSQL: the batch's transaction fails, the runner splits it.
    const poison = failure(org, '198.51.100.250', t0, 'nul\u0000user@example.test');
    const good = [0, 1, 2, 3, 4].map((s) => failure(org, '198.51.100.251', t0 + s * 1000));
    await settled(await publishAll([good[0]!, good[1]!, poison, ...good.slice(2)]));
    expect(await deadLetters()).toBe(before + 1);
    expect((await detectionsOf(org)).map((d) => d.correlationKey)).toEqual(['brute_force.ip:198.51.100.251']);
    expect(await attacksOf(org)).toEqual([expect.objectContaining({ key: '198.51.100.251', event_count: 5 })]);
  });

  it('parks only the bad events of a CloudEvents batch message (as ingest publishes) and detects from their neighbours', async () => {
    const org = randomUUID();
    const dlSubject = `deadletter.${CONSUMER}`;
    const deadLetters = async () => (await h.jsm.streams.info('VIGIL_DEAD_LETTERS', { subjects_filter: dlSubject })).state.subjects?.[dlSubject] ?? 0;
    const before = await deadLetters();
    const good = [0, 1, 2, 3, 4].map((s) => failure(org, '198.51.100.252', t0 + s * 1000));
    // One refused by PostgreSQL (the batch's transaction fails and is split event by event), one that
    // breaks the contract (refused when decoded): neither may take the message's other events with it.
    const poison = failure(org, '198.51.100.253', t0, 'nul\u0000user@example.test');
    const invalid = { ...failure(org, '198.51.100.254', t0), data: { username: 'x@example.test', reason: 'invalid_password' } };
    const payload = new TextEncoder().encode(JSON.stringify([good[0], good[1], poison, good[2], invalid, good[3], good[4]]));
    const { seq } = await publishRaw(js.client, eventSubject('login.failed', org), `batch-${org}`, payload);
    await settled(seq);
    expect(await deadLetters()).toBe(before + 2);
    expect((await detectionsOf(org)).map((d) => d.correlationKey)).toEqual(['brute_force.ip:198.51.100.252']);
    expect(await attacksOf(org)).toEqual([expect.objectContaining({ key: '198.51.100.252', event_count: 5 })]);
  });

  it('pipelined batches: poison in a backlog of several batches costs no attack and raises none twice', async () => {
    // A backlog pulled as back-to-back 1,024-message batches: one evaluates while the one before it
    // commits. Batches holding a poison fail in their transaction after the next batch has read their
    // window state in memory: that batch must be rolled back and evaluated again, or the attacks that
    // straddle the two are miscounted (lost, or raised twice).
    const org = randomUUID();
    const base = Date.now() - 60 * MIN;
    const attackers = Array.from({ length: 400 }, (_, i) => `10.20.${i >> 8}.${i & 255}`);
    const events = shuffled(
      [
        ...attackers.flatMap((ip, i) => [0, 1, 2, 3, 4].map((s) => failure(org, ip, base + i * 1000 + s * 10_000))),
        ...Array.from({ length: 2000 }, (_, i) => failure(org, `10.30.${i >> 8}.${i & 255}`, base + i * 500)),
      ],
      7,
    );
    // Traps: an IP with one poison among its five failures has four storable ones, so no attack. Three
    // of its failures sit beside the poison, the fourth about a batch later: evaluated on memory that
    // still held the poison, that later batch would count five.
    const traps = [300, 800, 1300, 1800, 2300, 2800].map((at, i) => {
      const ip = `10.40.0.${i}`;
      return { at, ip, near: [failure(org, ip, base, `nul\u0000${i}@example.test`), ...[1, 2, 3].map((s) => failure(org, ip, base + s * 1000))], later: failure(org, ip, base + 4000) };
    });
    for (const t of [...traps].reverse()) {
      events.splice(t.at + 1100, 0, t.later);
      events.splice(t.at, 0, ...t.near);
    }
    const dlSubject = `deadletter.${CONSUMER}`;
    const deadLetters = async () => (await h.jsm.streams.info('VIGIL_DEAD_LETTERS', { subjects_filter: dlSubject })).state.subjects?.[dlSubject] ?? 0;
    const before = await deadLetters();

    await h.app.close();
    const seq = await publishAll(events, 8);
    await h.startApp({ LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent' });
    await settled(seq);

    expect(await deadLetters()).toBe(before + traps.length);
    const detected = await detectionsOf(org);
    expect(detected.map((d) => d.correlationKey).sort()).toEqual(attackers.map((ip) => `brute_force.ip:${ip}`).sort());
    expect(new Set((await attacksOf(org)).map((a) => a.event_count))).toEqual(new Set([5]));
  }, 120_000);

  it('keeps each org\'s windows apart: 3 + 3 failures of one IP in two orgs are no attack in either', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const events = [0, 1, 2].flatMap((s) => [failure(a, '203.0.113.222', t0 + s * 1000), failure(b, '203.0.113.222', t0 + s * 1000 + 500)]);
    await settled(await publishAll(events));
    expect(await detectionsOf(a)).toEqual([]);
    expect(await detectionsOf(b)).toEqual([]);
    await settled(await publishAll([3, 4].map((s) => failure(a, '203.0.113.222', t0 + s * 1000))));
    expect(await detectionsOf(a)).toHaveLength(1);
    expect(await detectionsOf(b)).toEqual([]);
  });
});

