import { connect, type JetStreamClient, type NatsConnection } from 'nats';
import { createEvent, detectionTriggeredV1, eventSubject, newId, type DetectionTriggeredV1 } from '@vigil/contracts';
import { publishEvent } from '@vigil/messaging';
import { bootstrapService, createLogger, loadConfig } from '@vigil/platform';
import { createTestDatabase, startNats, waitFor, type TestDatabase, type TestNats } from '@vigil/testing';
import { AppModule } from '../src/app.module';
import { detectionEnvSchema } from '../src/config';
import { DecisionRepository } from '../src/decisions/decision.repository';

/**
 * The decision consumer against real PostgreSQL and NATS, fed detection.triggered straight onto NATS:
 * the change feed a login service polls must never skip a decision, however many commit at once.
 */
const WAIT = { timeoutMs: 60_000, intervalMs: 50 };

let db: TestDatabase;
let nats: TestNats;
let app: Awaited<ReturnType<typeof bootstrapService>>;
let nc: NatsConnection;
let js: JetStreamClient;
let repo: DecisionRepository;

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase({ schemas: ['detection'] }), startNats()]);
  const config = loadConfig(detectionEnvSchema, { PORT: '0', DATABASE_URL: db.urlFor('detection'), NATS_URL: nats.url, LOG_LEVEL: 'silent' }, 'detection');
  app = await bootstrapService(AppModule(config, createLogger('detection', config.LOG_LEVEL)), { config, log: createLogger('detection', config.LOG_LEVEL) });
  repo = app.get(DecisionRepository);
  nc = await connect({ servers: nats.url });
  js = nc.jetstream();
}, 60_000);

afterAll(async () => {
  await app?.close();
  await nc?.close();
  await nats?.stop();
  await db?.drop();
});

function detection(orgId: string, data: Partial<DetectionTriggeredV1> & Pick<DetectionTriggeredV1, 'correlationKey' | 'evidence'>, at = new Date()) {
  const detectionId = newId();
  return createEvent(detectionTriggeredV1, {
    id: detectionId,
    orgid: orgId,
    source: 'vigil://detection',
    time: at,
    data: {
      detectionId,
      ruleId: 'brute_force.ip',
      ruleVersion: 1,
      severity: 'medium',
      title: 'Brute force',
      summary: '5 failed logins',
      windowStart: at.toISOString(),
      windowEnd: at.toISOString(),
      count: 5,
      threshold: 5,
      ...data,
    },
  });
}

describe('decision consumer (real PostgreSQL + NATS)', () => {
  it('never lets a polling cursor skip a decision while 300 commit concurrently', async () => {
    const orgId = newId();
    const events = Array.from({ length: 300 }, (_, i) => {
      const ip = `10.20.${Math.floor(i / 250)}.${(i % 250) + 1}`;
      return detection(orgId, { correlationKey: `brute_force.ip:${ip}`, evidence: { ip, eventIds: [] } });
    });
    const seen = new Map<string, number>();
    let cursor = 0;
    let polls = 0;
    let published = false;
    const poll = async () => {
      const page = await repo.list(orgId, cursor, 7, {}, new Date());
      for (const d of page.items) seen.set(d.id, (seen.get(d.id) ?? 0) + 1);
      cursor = page.lastSeq;
      polls += 1;
      return page.items.length;
    };
    // Polls as a login service would, as fast as it can, while the consumer commits in parallel.
    const poller = (async () => {
      while (!published) await poll();
    })();
    await Promise.all(
      [0, 1, 2, 3].map(async (lane) => {
        for (let i = lane; i < events.length; i += 4) await publishEvent(js, eventSubject('detection.triggered', orgId), events[i]!);
      }),
    );
    await waitFor(async () => (await db.query(`select 1 from detection.decisions where org_id = $1`, [orgId])).length === events.length, { ...WAIT, description: 'every decision committed' });
    published = true;
    await poller;
    // Then on from the cursor to the end: a decision committed behind the cursor would never come.
    while ((await poll()) > 0);

    const all = await repo.list(orgId, 0, 500, {}, new Date());
    expect(all.items).toHaveLength(300);
    expect([...seen.keys()].sort()).toEqual(all.items.map((d) => d.id).sort());
    // Each seen exactly once: a cursor that never goes back never repeats either.
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    expect(cursor).toBe(all.latestSeq);
    expect(polls).toBeGreaterThan(1);
  });

  it('acks a detection that names no single account without deciding, and decides for one that does', async () => {
    const orgId = newId();
    const two = detection(orgId, { ruleId: 'brute_force.account', correlationKey: 'brute_force.account:203.0.113.4', evidence: { ip: '203.0.113.4', usernames: ['a@x.test', 'b@x.test'], eventIds: [] } });
    const one = detection(orgId, { ruleId: 'brute_force.account', correlationKey: 'brute_force.account:c@x.test', evidence: { usernames: ['c@x.test'], eventIds: [] } });
    for (const e of [two, one]) await publishEvent(js, eventSubject('detection.triggered', orgId), e);
    await waitFor(async () => (await db.query(`select 1 from detection.inbox where consumer = 'detection-decisions' and event_id in ($1, $2)`, [two.id, one.id])).length === 2, {
      ...WAIT,
      description: 'both detections handled',
    });
    const { items } = await repo.list(orgId, 0, 10, {}, new Date());
    expect(items.map((d) => [d.kind, d.target, d.detectionId])).toEqual([['lock_account', 'c@x.test', one.id]]);
  });
});
