import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { createEvent, detectionTriggeredV1, eventSubject, loginFailedV1, streams, type DetectionTriggeredV1 } from '@vigil/contracts';
import { decodeEvent, encodeEvent, publishEvent, publishRaw } from '@vigil/messaging';
import { bootstrapService, createLogger, envWithDefaultPort, loadConfig } from '@vigil/platform';
import { createDatabase, type Database } from '@vigil/db';
import { createTestDatabase, startNats, waitFor, type TestDatabase, type TestNats } from '@vigil/testing';
import { AppModule } from '../src/app.module';
import type { DetectionDatabase } from '../src/db/schema';
import { DetectionRepository } from '../src/rules/detection.repository';
import { observe, referenceAttacks } from '../src/rules/sliding-window';

/**
 * Detection against real PostgreSQL and NATS, fed straight onto `login.failed.<org>` in orders other
 * than event time: every attack must still raise exactly one detection.
 */
const CONSUMER = 'detection-login-failed';
const WAIT = { timeoutMs: 60_000, intervalMs: 100 };
const MIN = 60_000;

let db: TestDatabase;
let nats: TestNats;
let app: Awaited<ReturnType<typeof bootstrapService>>;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase({ schemas: ['detection'] }), startNats()]);
  const config = loadConfig(envWithDefaultPort(8082), { PORT: '0', DATABASE_URL: db.urlFor('detection'), NATS_URL: nats.url, LOG_LEVEL: 'silent' }, 'detection');
  app = await bootstrapService(AppModule(config, createLogger('detection', config.LOG_LEVEL)), { config, log: createLogger('detection', config.LOG_LEVEL) });
  nc = await connect({ servers: nats.url });
  jsm = await nc.jetstreamManager();
  js = nc.jetstream();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await nc?.close();
  await nats?.stop();
  await db?.drop();
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

const failure = (orgId: string, ip: string, at: number, username = 'alice@example.test') =>
  createEvent(loginFailedV1, { orgid: orgId, source: 'https://app.example.test/login', time: new Date(at), data: { ip, username, reason: 'invalid_password' } });

type Failure = ReturnType<typeof failure>;

async function publishAll(events: readonly Failure[], lanes = 1): Promise<number> {
  let last = 0;
  // `lanes` publishers at once, like concurrent producers: arrival order interleaves.
  await Promise.all(
    Array.from({ length: lanes }, async (_, lane) => {
      for (let i = lane; i < events.length; i += lanes) {
        const seq = (await publishEvent(js, eventSubject('login.failed', events[i]!.orgid), events[i]!)).seq;
        last = Math.max(last, seq);
      }
    }),
  );
  return last;
}

/** Detection consumed everything up to `seq` and its outbox has published every detection. */
async function settled(seq: number): Promise<void> {
  await waitFor(
    async () => {
      const ci = await jsm.consumers.info(streams.security.name, CONSUMER);
      if (ci.ack_floor.stream_seq < seq || ci.num_pending > 0 || ci.num_ack_pending > 0) return false;
      const [row] = await db.query<{ n: string }>('select count(*) as n from detection.outbox');
      return row?.n === '0';
    },
    { ...WAIT, description: `${CONSUMER} settled up to ${seq}, outbox empty` },
  );
}

/** Every detection.triggered published for the org. */
async function detectionsOf(orgId: string): Promise<DetectionTriggeredV1[]> {
  const subject = eventSubject('detection.triggered', orgId);
  const info = await jsm.streams.info(streams.detections.name, { subjects_filter: subject });
  const n = info.state.subjects?.[subject] ?? 0;
  if (n === 0) return [];
  const consumer = await js.consumers.get(streams.detections.name, { filterSubjects: subject });
  const out: DetectionTriggeredV1[] = [];
  for await (const m of await consumer.fetch({ max_messages: n, expires: 5_000 })) {
    out.push(decodeEvent(m, detectionTriggeredV1).data);
    if (out.length === n) break;
  }
  return out;
}

const attacksOf = (orgId: string) =>
  db.query<{ key: string; started_at: Date; last_seen_at: Date; event_count: number }>(
    'select key, started_at, last_seen_at, event_count from detection.attacks where org_id = $1 order by key, started_at',
    [orgId],
  );

describe('detection with events out of event-time order (real PostgreSQL + NATS)', () => {
  const t0 = Date.parse('2026-11-23T10:00:00Z');

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

  it('extends one attack over failures that keep coming within a window, and flags a failure more than half a window late', async () => {
    const org = randomUUID();
    // One failure every 5 minutes is one cluster but no attack (a 15-minute window holds 3 of them);
    // a burst at 40 minutes makes the whole cluster one attack.
    const trickle = [0, 5, 10, 15, 20, 25, 30, 35, 40].map((m) => failure(org, '192.0.2.99', t0 + m * MIN));
    const burst = [1, 2, 3].map((s) => failure(org, '192.0.2.99', t0 + 40 * MIN + s * 1000));
    // One at a time: the consumer handles a batch 4 at once, which would reorder these too.
    for (const e of [...trickle.slice(3), ...burst]) await settled(await publishAll([e]));
    // The first three come last, each more than 7.5 minutes behind the newest (40 min 3 s).
    await settled(await publishAll(trickle.slice(0, 3).reverse()));

    expect(await detectionsOf(org)).toHaveLength(1);
    expect((await attacksOf(org)).map((a) => [a.started_at.getTime() - t0, a.event_count])).toEqual([[0, 12]]);
    const late = await db.query<{ event_id: string }>('select event_id from detection.failed_logins where org_id = $1 and late order by occurred_at', [org]);
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
    for (const e of events) seq = (await publishRaw(js, eventSubject('login.failed', org), `${e.id}:again`, encodeEvent(e))).seq;
    await settled(seq);
    // The inbox was pruned: only failed_logins' (org, event id) key stands between a copy and a recount.
    await db.query(`delete from detection.inbox where consumer = $1 and event_id = any($2::text[])`, [CONSUMER, events.map((e) => e.id)]);
    for (const e of [...events].reverse()) seq = (await publishRaw(js, eventSubject('login.failed', org), `${e.id}:replay`, encodeEvent(e))).seq;
    await settled(seq);

    expect(await detectionsOf(org)).toHaveLength(1);
    expect(await attacksOf(org)).toEqual(before);
    expect(before).toEqual([expect.objectContaining({ event_count: 6 })]);
  });
});

describe('the repository\'s cluster store (real PostgreSQL) against the definition', () => {
  let database: Database<DetectionDatabase>;
  let repo: DetectionRepository;

  beforeAll(() => {
    database = createDatabase<DetectionDatabase>({ url: db.urlFor('detection'), schema: 'detection' });
    repo = new DetectionRepository(database);
  });

  afterAll(async () => {
    await database?.close();
  });

  it('ends with exactly the reference attacks for random failures in random order with duplicates', async () => {
    const W = 100;
    const t0 = Date.parse('2026-11-23T10:00:00Z');
    const gap = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constantFrom(W - 1, W, W + 1), fc.integer({ min: 0, max: 3 * W }));
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }),
        fc.array(gap, { minLength: 1, maxLength: 16 }).chain((gaps) =>
          fc.tuple(fc.constant(gaps), fc.shuffledSubarray([...gaps.keys()], { minLength: gaps.length }), fc.array(fc.nat({ max: gaps.length - 1 }), { maxLength: 4 })),
        ),
        async (threshold, [gaps, order, dups]) => {
          const settings = { threshold, windowMs: W };
          const org = randomUUID();
          const times = gaps.reduce<number[]>((acc, g) => [...acc, (acc[acc.length - 1] ?? t0) + g], []);
          const events = times.map((at) => ({ at, eventId: randomUUID() }));
          let detections = 0;
          let merges = 0;
          for (const i of [...order, ...dups]) {
            const e = events[i]!;
            await database.db.transaction().execute(async (tx) => {
              await repo.lockKey(tx, org, 'brute_force.ip', '192.0.2.1');
              const r = await repo.recordFailedLogin(
                tx,
                { org_id: org, event_id: e.eventId, ip: '192.0.2.1', username: null, occurred_at: new Date(e.at) },
                { keyColumn: 'ip', key: '192.0.2.1', lateIfNewestAfter: new Date(e.at + W / 2) },
              );
              if (!r.inserted) return;
              const store = repo.clusterStore(tx, { orgId: org, ruleId: 'brute_force.ip', keyColumn: 'ip', key: '192.0.2.1' });
              const o = await observe(store, { at: e.at, newestBefore: r.newestBefore?.getTime() ?? null, detectionId: randomUUID() }, settings);
              if (o.kind === 'triggered') detections++;
              if (o.kind === 'joined') merges += o.absorbed.length;
            });
          }
          const ref = referenceAttacks(events, settings);
          const rows = await attacksOf(org);
          expect(rows.map((a) => ({ start: a.started_at.getTime(), end: a.last_seen_at.getTime() }))).toEqual(ref);
          expect(rows.map((a) => a.event_count)).toEqual(ref.map((s) => times.filter((t) => t >= s.start && t <= s.end).length));
          expect(detections - merges).toBe(ref.length);
        },
      ),
      { numRuns: 40 },
    );
  });
});
