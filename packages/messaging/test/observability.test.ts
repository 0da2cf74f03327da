import { connect, type JsMsg, type NatsConnection } from 'nats';
import pino from 'pino';
import { sql } from 'kysely';
import { createDatabase, migrateToLatest, type Database } from '@vigil/db';
import { createEvent, deriveId, detectionTriggeredV1, loginFailedV1, newId, streams, type StreamDefinition } from '@vigil/contracts';
import { createTestDatabase, startNats, waitFor, type TestDatabase, type TestNats } from '@vigil/testing';
import {
  CORRELATION_HEADER,
  JetStreamConsumerRunner,
  OutboxRelay,
  ack,
  currentCorrelationId,
  encodeEvent,
  enqueueEvents,
  ensureStreams,
  inboxHandler,
  messagingMigrations,
  outboxDepth,
  publishRaw,
  withCorrelationId,
  type MessagingMetrics,
  type MessagingTables,
  type Outcome,
} from '../src';

const log = pino({ level: 'silent' });
const stream: StreamDefinition = { name: 'TEST_OBSERVED', subjects: ['observed.>'], maxAgeDays: 1, duplicateWindowMinutes: 2 };

/** A MessagingMetrics that just counts, keyed `<what>:<label>[:<label>]`. */
function countingMetrics() {
  const counts = new Map<string, number>();
  const add = (key: string, n = 1) => counts.set(key, (counts.get(key) ?? 0) + n);
  const metrics: MessagingMetrics = {
    consumerDelivered: (durable, deliveries) => add(deliveries > 1 ? `redelivered:${durable}` : `delivered:${durable}`),
    consumerSettled: (durable, outcome, n) => add(`settled:${durable}:${outcome}`, n),
    consumerBatchSplit: (durable) => add(`split:${durable}`),
    outboxPublished: (type, n) => add(`published:${type}`, n),
  };
  return { metrics, count: (key: string) => counts.get(key) ?? 0 };
}

describe('consumer and outbox observability (real NATS and PostgreSQL)', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let testDb: TestDatabase;
  let database: Database<MessagingTables>;
  const runners: JetStreamConsumerRunner[] = [];
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    [nats, testDb] = await Promise.all([startNats(), createTestDatabase({ schemas: ['incident'] })]);
    nc = await connect({ servers: nats.url });
    await ensureStreams(await nc.jetstreamManager(), [stream, streams.deadLetters, streams.detections, streams.incidents]);
    database = createDatabase({ url: testDb.urlFor('incident'), schema: 'incident' });
    await migrateToLatest(database.db, 'incident', messagingMigrations);
    await sql`create table poison_effects (id text not null)`.execute(database.db);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(runners.map((r) => r.stop()));
    await Promise.all(relays.map((r) => r.stop()));
    await database?.close();
    await nc?.close();
    await nats?.stop();
    await testDb?.drop();
  });

  async function run(durable: string, handler: (msgs: JsMsg[]) => Promise<Outcome[]>, opts: { maxDeliver?: number; metrics?: MessagingMetrics; filterSubject?: string; stream?: StreamDefinition } = {}) {
    const runner = new JetStreamConsumerRunner(
      nc,
      { stream: opts.stream ?? stream, durable, filterSubject: opts.filterSubject ?? `observed.${durable}`, maxDeliver: opts.maxDeliver },
      handler,
      log,
      64,
      { metrics: opts.metrics },
    );
    await runner.start();
    runners.push(runner);
    return runner;
  }
  const publish = (durable: string, body: unknown, headers: Record<string, string> = {}) =>
    publishRaw(nc.jetstream(), `observed.${durable}`, newId(), encodeEvent(body), headers);
  const info = async (durable: string, streamName = stream.name) => (await nc.jetstreamManager()).consumers.info(streamName, durable);
  const idle = (durable: string, streamName?: string) =>
    waitFor(async () => { const i = await info(durable, streamName); return i.num_pending === 0 && i.num_ack_pending === 0; }, { timeoutMs: 30_000, description: `${durable} idle` });

  it('reports each settled outcome, redeliveries and dead letters to the metrics', async () => {
    const durable = 'outcomes';
    const { metrics, count } = countingMetrics();
    await run(
      durable,
      async (msgs) =>
        msgs.map((m): Outcome => {
          const body = JSON.parse(new TextDecoder().decode(m.data)) as { kind: string };
          if (body.kind === 'bad') return { kind: 'dead-letter', reason: 'bad' };
          // Fails on its first delivery only: one retry, then one redelivery that is acked.
          if (body.kind === 'flaky' && m.info.redeliveryCount === 1) return { kind: 'retry', reason: 'not yet' };
          return ack;
        }),
      { metrics, maxDeliver: 3 },
    );
    await publish(durable, { kind: 'good' });
    await publish(durable, { kind: 'bad' });
    await publish(durable, { kind: 'flaky' });
    await waitFor(() => count(`settled:${durable}:ack`) === 2, { timeoutMs: 30_000, description: 'good and flaky acked' });
    await idle(durable);
    expect(count(`settled:${durable}:ack`)).toBe(2);
    expect(count(`settled:${durable}:retry`)).toBe(1);
    expect(count(`settled:${durable}:dead_letter`)).toBe(1);
    expect(count(`delivered:${durable}`)).toBe(3);
    expect(count(`redelivered:${durable}`)).toBe(1);
  }, 60_000);

  it('counts the splits of a failed batch (poison isolation)', async () => {
    const durable = 'splits';
    const { metrics, count } = countingMetrics();
    const ids = Array.from({ length: 16 }, (_, i) => (i === 5 ? 'poison\u0000' : `ok-${i}`));
    // Published before the consumer starts, so they arrive as one batch.
    await Promise.all(ids.map((id) => publish(durable, { id })));
    let failedBatches = 0;
    await run(
      durable,
      async (msgs) => {
        try {
          await database.db.transaction().execute(async (tx) => {
            for (const m of msgs) await sql`insert into poison_effects (id) values (${JSON.parse(new TextDecoder().decode(m.data)).id as string})`.execute(tx);
          });
        } catch (err) {
          if (msgs.length > 1) failedBatches++;
          throw err;
        }
        return msgs.map(() => ack);
      },
      { metrics },
    );
    await waitFor(() => count(`settled:${durable}:dead_letter`) === 1, { description: 'poison dead-lettered' });
    await idle(durable);
    expect(count(`settled:${durable}:ack`)).toBe(15);
    // Every failed batch of more than one message was split once (16 -> 8 -> 4 -> 2 -> 1 when they
    // arrive together); a lone failing message is not.
    expect(failedBatches).toBeGreaterThan(0);
    expect(count(`split:${durable}`)).toBe(failedBatches);
  });

  it('reports a stall while a handler hangs, not before, and recovers once the message settles', async () => {
    const durable = 'hangs';
    const stallAfterMs = 2_000;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const runner = await run(durable, async (msgs) => {
      await gate;
      return msgs.map(() => ack);
    });
    // Idle for longer than the threshold: a consumer with nothing to do is never stalled, and its idle
    // time must not count against the next message.
    const startedAt = Date.now();
    await waitFor(async () => Date.now() - startedAt > stallAfterMs && !(await runner.status(stallAfterMs)).stalled, { description: 'idle past the threshold' });

    await publish(durable, { n: 1 });
    const busy = await waitFor(async () => { const s = await runner.status(stallAfterMs); return s.inHand === 1 && s; }, { description: 'message in hand' });
    expect(busy.stalled).toBeUndefined();
    expect(busy.loop).toBe('running');

    const stalled = await waitFor(async () => { const s = await runner.status(stallAfterMs); return s.stalled ? s : undefined; }, { description: 'stall reported' });
    expect(stalled.stalled).toMatch(/no progress for \d+ s with 1 message\(s\) in hand/);
    expect(stalled.durable).toBe(durable);

    release();
    const recovered = await waitFor(async () => { const s = await runner.status(stallAfterMs); return !s.stalled && s.inHand === 0 && s; }, { description: 'progress again' });
    expect(recovered.lastSettledAt).toBeInstanceOf(Date);
    await idle(durable);
    expect((await runner.status(stallAfterMs)).stalled).toBeUndefined();
  });

  it('reports a stall when its pull loop has died (a handler bug), instead of an unhandled rejection', async () => {
    const durable = 'loop-dies';
    const runner = await run(durable, async () => undefined as unknown as Outcome[]);
    expect((await runner.status(60_000)).stalled).toBeUndefined();
    await publish(durable, { n: 1 });
    const s = await waitFor(async () => { const st = await runner.status(60_000); return st.stalled ? st : undefined; }, { description: 'loop death reported' });
    expect(s.loop).toBe('failed');
    expect(s.stalled).toMatch(/^pull loop failed: TypeError: /);
  });

  it('reports a stall when its NATS connection is closed for good', async () => {
    const own = await connect({ servers: nats.url });
    const runner = new JetStreamConsumerRunner(own, { stream, durable: 'closed', filterSubject: 'observed.closed' }, async (msgs) => msgs.map(() => ack), log, 64);
    await runner.start();
    expect((await runner.status(60_000)).stalled).toBeUndefined();
    await own.close();
    expect((await runner.status(60_000)).stalled).toBe('NATS connection closed');
    await runner.stop();
  });

  it('reports a stall when its durable consumer was deleted from JetStream', async () => {
    const durable = 'deleted';
    const runner = await run(durable, async (msgs) => msgs.map(() => ack));
    expect((await runner.status(60_000)).stalled).toBeUndefined();
    await (await nc.jetstreamManager()).consumers.delete(stream.name, durable);
    const s = await runner.status(60_000);
    expect(s.loop).toBe('running');
    expect(s.stalled).toBe(`durable consumer not found on stream ${stream.name}`);
  });

  it('is not stalled once stopped (shutdown is not a failure)', async () => {
    const durable = 'stops';
    const runner = await run(durable, async (msgs) => msgs.map(() => ack));
    await runner.stop();
    const s = await runner.status(1_000);
    expect(s.loop).toBe('stopped');
    expect(s.stalled).toBeUndefined();
  });

  it('carries a message\'s correlation id into its handling, the events it enqueues, and their header', async () => {
    const { metrics, count } = countingMetrics();
    const relay = new OutboxRelay(database.db, database.pool, nc.jetstream(), 'incident', log, undefined, metrics);
    await relay.start();
    relays.push(relay);
    const seenInHandle: (string | undefined)[] = [];
    const durable = 'correlated';
    await run(
      durable,
      inboxHandler({
        db: database.db,
        durable,
        definition: loginFailedV1,
        // A handler that emits one detection per login.failed, the way the services do.
        handle: async (event, tx) => {
          seenInHandle.push(currentCorrelationId());
          await enqueueEvents(tx, [detectionFor(event.orgid, event.id)]);
        },
      }),
      { filterSubject: `observed.${durable}` },
    );
    const downstream: { id: string; header?: string }[] = [];
    await run('correlated-downstream', async (msgs) => msgs.map((m) => (downstream.push({ id: JSON.parse(new TextDecoder().decode(m.data)).id, header: m.headers?.get(CORRELATION_HEADER) || undefined }), ack)), {
      stream: streams.detections,
      filterSubject: 'detection.triggered.*',
    });

    const orgid = newId();
    const traced = createEvent(loginFailedV1, { orgid, source: 'test', data: { ip: '192.0.2.10' } });
    const untraced = createEvent(loginFailedV1, { orgid, source: 'test', data: { ip: '192.0.2.11' } });
    const forged = createEvent(loginFailedV1, { orgid, source: 'test', data: { ip: '192.0.2.12' } });
    await publish(durable, traced, { [CORRELATION_HEADER]: 'req-abc.123' });
    await publish(durable, untraced);
    // Not a valid id (spaces, quotes): ignored rather than written into every log line.
    await publish(durable, forged, { [CORRELATION_HEADER]: 'a "b" c' });

    await waitFor(() => downstream.length === 3, { timeoutMs: 30_000, description: 'three detections published' });
    expect([...seenInHandle].sort()).toEqual(['req-abc.123', undefined, undefined].sort());
    const byId = new Map(downstream.map((d) => [d.id, d.header]));
    expect(byId.get(detectionFor(orgid, traced.id).id)).toBe('req-abc.123');
    expect(byId.get(detectionFor(orgid, untraced.id).id)).toBeUndefined();
    expect(byId.get(detectionFor(orgid, forged.id).id)).toBeUndefined();
    // Counted once the relay's transaction (publish, then delete the rows) is done: a moment after delivery.
    await waitFor(() => count('published:detection.triggered') === 3, { description: 'three published counted' });
    expect(await outboxDepth(database.db)).toBe(0);
  }, 60_000);

  it('lets a batch handler give each event its own correlation id, defaulting to the current one', async () => {
    const orgid = newId();
    const a = detectionFor(orgid, 'a');
    const b = detectionFor(orgid, 'b');
    const c = detectionFor(orgid, 'c');
    // Read back before commit: the relay of the previous test would publish and delete the rows after.
    const rows = await withCorrelationId('ambient-1', () =>
      database.db.transaction().execute(async (tx) => {
        await enqueueEvents(tx, [a, b], { correlationId: (e) => (e.id === a.id ? 'per-event-a' : undefined) });
        await enqueueEvents(tx, [c]);
        return tx.selectFrom('outbox').select(['event_id', 'correlation_id']).where('event_id', 'in', [a.id, b.id, c.id]).execute();
      }),
    );
    expect(new Map(rows.map((r) => [r.event_id, r.correlation_id]))).toEqual(
      new Map([
        [a.id, 'per-event-a'],
        [b.id, null],
        [c.id, 'ambient-1'],
      ]),
    );
  });
});

function detectionFor(orgid: string, cause: string) {
  const id = deriveId('test-detection', orgid, cause);
  return createEvent(detectionTriggeredV1, {
    id,
    orgid,
    source: 'test',
    data: {
      detectionId: id,
      ruleId: 'brute_force.ip',
      ruleVersion: 1,
      correlationKey: `test:${cause}`,
      severity: 'medium',
      title: 't',
      summary: 's',
      windowStart: new Date().toISOString(),
      windowEnd: new Date().toISOString(),
      count: 5,
      threshold: 5,
      evidence: { eventIds: [] },
    },
  });
}
