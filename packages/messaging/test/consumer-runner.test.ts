import { connect, type JsMsg, type NatsConnection } from 'nats';
import pino from 'pino';
import { sql } from 'kysely';
import { createDatabase, migrateToLatest, type Database } from '@vigil/db';
import { createEvent, loginFailedV1, newId, streams, type StreamDefinition } from '@vigil/contracts';
import { createTestDatabase, startNats, waitFor, type TestDatabase, type TestNats } from '@vigil/testing';
import {
  JetStreamConsumerRunner,
  PermanentMessageError,
  ack,
  encodeEvent,
  ensureStreams,
  inboxHandler,
  messagingMigrations,
  publishRaw,
  pruneInbox,
  type MessagingTables,
  type Outcome,
} from '../src';

const log = pino({ level: 'silent' });
const stream: StreamDefinition = { name: 'TEST_RUNNER', subjects: ['runner.>'], maxAgeDays: 1, duplicateWindowMinutes: 2 };

describe('JetStreamConsumerRunner against a real NATS server', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let testDb: TestDatabase;
  let database: Database<MessagingTables & { effects: { event_id: string } }>;
  const runners: JetStreamConsumerRunner[] = [];

  beforeAll(async () => {
    [nats, testDb] = await Promise.all([startNats(), createTestDatabase({ schemas: ['detection'] })]);
    nc = await connect({ servers: nats.url });
    await ensureStreams(await nc.jetstreamManager(), [stream, streams.deadLetters]);
    database = createDatabase({ url: testDb.urlFor('detection'), schema: 'detection' });
    await migrateToLatest(database.db, 'detection', messagingMigrations);
    await sql`create table effects (event_id text not null)`.execute(database.db);
    await sql`create table poison_effects (id text not null)`.execute(database.db);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(runners.map((r) => r.stop()));
    await database?.close();
    await nc?.close();
    await nats?.stop();
    await testDb?.drop();
  });

  async function run(durable: string, handler: (msgs: JsMsg[]) => Promise<Outcome[]>, opts: { maxDeliver?: number; ackWaitMs?: number } = {}) {
    const runner = new JetStreamConsumerRunner(nc, { stream, durable, filterSubject: `runner.${durable}`, ...opts }, handler, log, 64);
    await runner.start();
    runners.push(runner);
    return runner;
  }
  const publish = (durable: string, body: unknown, msgId = newId()) => publishRaw(nc.jetstream(), `runner.${durable}`, msgId, encodeEvent(body));
  const info = async (durable: string) => (await nc.jetstreamManager()).consumers.info(stream.name, durable);

  it('handles a lone message on its first delivery, without waiting for more', async () => {
    const seen: number[] = [];
    await run('lone', async (msgs) => msgs.map((m) => (seen.push(m.info.redeliveryCount), ack)), { ackWaitMs: 1_000 });
    await publish('lone', { n: 1 });
    await waitFor(() => seen.length >= 1, { description: 'lone message handled' });
    await waitFor(async () => (await info('lone')).num_ack_pending === 0, { description: 'ack recorded' });
    expect(seen).toEqual([1]);
    expect((await info('lone')).num_redelivered).toBe(0);
  });

  it('shares one handler call among a burst of buffered messages', async () => {
    const batchSizes: number[] = [];
    for (let i = 0; i < 300; i++) await publish('burst', { i });
    await run('burst', async (msgs) => (batchSizes.push(msgs.length), msgs.map(() => ack)));
    await waitFor(() => batchSizes.reduce((a, b) => a + b, 0) === 300, { description: 'all 300 handled' });
    expect(batchSizes.length).toBeLessThan(300);
    expect(Math.max(...batchSizes)).toBeLessThanOrEqual(64);
  });

  it('dead-letters a permanent failure at once, with the reason', async () => {
    let calls = 0;
    await run('permanent', async (msgs) => msgs.map(() => (calls++, { kind: 'dead-letter', reason: 'payload is not valid JSON' })));
    await publish('permanent', { broken: true });
    const jsm = await nc.jetstreamManager();
    const dl = await waitFor(() => jsm.streams.getMessage(streams.deadLetters.name, { last_by_subj: 'deadletter.permanent' }).catch(() => undefined), {
      description: 'dead letter',
    });
    expect(dl.header.get('Vigil-Dead-Letter-Reason')).toBe('payload is not valid JSON');
    expect(dl.header.get('Vigil-Dead-Letter-Subject')).toBe('runner.permanent');
    expect(JSON.parse(new TextDecoder().decode(dl.data))).toEqual({ broken: true });
    // Terminated, not left pending: the server will not deliver it again.
    await waitFor(async () => (await info('permanent')).num_ack_pending === 0, { description: 'dead-lettered message terminated' });
    expect(calls).toBe(1);
  });

  it('parks a message whose reason quotes line breaks, and one too large to park whole, instead of retrying them forever', async () => {
    const durable = 'unparkable';
    await run(durable, async (msgs) => msgs.map((m) => ({ kind: 'dead-letter', reason: `bad member name "${m.data.length > 1000 ? 'big' : 'a\r\nInjected: 1'}"` })));
    const jsm = await nc.jetstreamManager();
    await publish(durable, { small: true });
    const first = await waitFor(() => jsm.streams.getMessage(streams.deadLetters.name, { last_by_subj: `deadletter.${durable}` }).catch(() => undefined), { description: 'dead letter' });
    expect(first.header.get('Vigil-Dead-Letter-Reason')).toBe('bad member name "a\\u000d\\u000aInjected: 1"');
    expect(first.header.get('Injected')).toBe('');

    const near = nc.info!.max_payload - 512;
    await publishRaw(nc.jetstream(), `runner.${durable}`, newId(), new Uint8Array(near).fill(0x61));
    const big = await waitFor(
      async () => {
        const m = await jsm.streams.getMessage(streams.deadLetters.name, { last_by_subj: `deadletter.${durable}` }).catch(() => undefined);
        return m && m.seq !== first.seq ? m : undefined;
      },
      { description: 'large dead letter' },
    );
    expect(big.header.get('Vigil-Dead-Letter-Truncated-From')).toBe(String(near));
    expect(big.data.length).toBeLessThan(near);
    expect(big.data.every((b) => b === 0x61)).toBe(true);
    await waitFor(async () => (await info(durable)).num_ack_pending === 0, { description: 'both terminated' });
  });

  it('retries a failing message, then dead-letters it after maxDeliver deliveries', async () => {
    const deliveries: number[] = [];
    await run('flaky', async (msgs) => msgs.map((m) => (deliveries.push(m.info.redeliveryCount), { kind: 'retry', reason: 'database unavailable' })), { maxDeliver: 2 });
    await publish('flaky', { x: 1 });
    const jsm = await nc.jetstreamManager();
    const dl = await waitFor(() => jsm.streams.getMessage(streams.deadLetters.name, { last_by_subj: 'deadletter.flaky' }).catch(() => undefined), {
      timeoutMs: 30_000,
      description: 'dead letter after retries',
    });
    expect(deliveries).toEqual([1, 2]);
    expect(dl.header.get('Vigil-Dead-Letter-Deliveries')).toBe('2');
  });

  it('isolates a poison message of a failed batch transaction: neighbours commit at once, it alone is dead-lettered', async () => {
    const durable = 'poison';
    const batches: number[] = [];
    // One transaction for the whole micro-batch, like ingest: PostgreSQL refuses U+0000 in text (22021).
    await run(durable, async (msgs) => {
      batches.push(msgs.length);
      await database.db.transaction().execute(async (tx) => {
        for (const m of msgs) await sql`insert into poison_effects (id) values (${JSON.parse(new TextDecoder().decode(m.data)).id as string})`.execute(tx);
      });
      return msgs.map(() => ack);
    });
    const ids = Array.from({ length: 40 }, (_, i) => (i === 17 ? 'poison\u0000' : `ok-${i}`));
    await Promise.all(ids.map((id) => publish(durable, { id })));

    const jsm = await nc.jetstreamManager();
    const dl = await waitFor(() => jsm.streams.getMessage(streams.deadLetters.name, { last_by_subj: `deadletter.${durable}` }).catch(() => undefined), { description: 'dead letter' });
    await waitFor(async () => { const i = await info(durable); return i.num_pending === 0 && i.num_ack_pending === 0; }, { description: 'poison consumer idle' });
    // Dead-lettered on its first delivery (a data error is deterministic), with PostgreSQL's reason.
    expect(dl.header.get('Vigil-Dead-Letter-Deliveries')).toBe('1');
    expect(dl.header.get('Vigil-Dead-Letter-Reason')).toMatch(/0x00/);
    expect(JSON.parse(new TextDecoder().decode(dl.data))).toEqual({ id: 'poison\u0000' });
    const rows = await sql<{ id: string }>`select id from poison_effects`.execute(database.db);
    expect(rows.rows.map((r) => r.id).sort()).toEqual(ids.filter((id) => id.startsWith('ok-')).sort());
    // Nothing was redelivered: the neighbours committed in the split retries of the same delivery.
    expect((await info(durable)).num_redelivered).toBe(0);
    expect(batches.some((n) => n > 1)).toBe(true);
  });

  it('retries a transient failure for as long as it lasts, past maxDeliver, without splitting or dead-lettering', async () => {
    const durable = 'transient';
    const calls: number[] = [];
    await run(
      durable,
      async (msgs) => {
        calls.push(msgs.length);
        if (calls.length <= 3) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
        return msgs.map(() => ack);
      },
      { maxDeliver: 1 },
    );
    await publish(durable, { id: 't-1' });
    await waitFor(async () => calls.length >= 4 && (await info(durable)).num_ack_pending === 0, { timeoutMs: 40_000, description: 'acked after three transient failures' });
    expect(calls).toEqual([1, 1, 1, 1]);
    const jsm = await nc.jetstreamManager();
    await expect(jsm.streams.getMessage(streams.deadLetters.name, { last_by_subj: `deadletter.${durable}` })).rejects.toThrow();
  }, 60_000);

  it('applies an effect once per event id, however often the event arrives (inbox)', async () => {
    const durable = 'inbox';
    await run(
      durable,
      inboxHandler({
        db: database.db,
        durable,
        definition: loginFailedV1,
        handle: async (event, tx) => {
          await sql`insert into effects (event_id) values (${event.id})`.execute(tx);
        },
      }),
    );
    const event = createEvent(loginFailedV1, { orgid: newId(), source: 'test', data: { ip: '192.0.2.1' } });
    // Distinct Nats-Msg-Ids: JetStream stores all three copies; only the inbox can stop the repeats.
    for (const copy of ['a', 'b', 'c']) await publish(durable, event, `${event.id}:${copy}`);
    await publish(durable, { specversion: '1.0', id: 'x', source: 's', type: 'login.failed', orgid: newId(), time: new Date().toISOString(), data: { ip: 'nope' } });
    await waitFor(async () => { const i = await info(durable); return i.num_pending === 0 && i.num_ack_pending === 0; }, { description: 'inbox consumer idle' });
    const rows = await sql<{ event_id: string }>`select event_id from effects`.execute(database.db);
    expect(rows.rows).toEqual([{ event_id: event.id }]);
    const jsm = await nc.jetstreamManager();
    const dl = await jsm.streams.getMessage(streams.deadLetters.name, { last_by_subj: 'deadletter.inbox' });
    expect(dl.header.get('Vigil-Dead-Letter-Reason')).toMatch(/\/data\/ip/);
  });

  it('retries (not dead-letters) an effect that throws, and dead-letters a PermanentMessageError', async () => {
    const durable = 'inbox-errors';
    let attempts = 0;
    await run(
      durable,
      inboxHandler({
        db: database.db,
        durable,
        definition: loginFailedV1,
        handle: async (event) => {
          attempts++;
          if (event.data.username === 'permanent') throw new PermanentMessageError('org was deleted');
          if (attempts < 2) throw new Error('transient');
        },
      }),
    );
    await publish(durable, createEvent(loginFailedV1, { orgid: newId(), source: 'test', data: { ip: '192.0.2.2', username: 'transient' } }));
    await waitFor(async () => (await info(durable)).num_ack_pending === 0 && attempts === 2, { timeoutMs: 20_000, description: 'retried once then acked' });
    await publish(durable, createEvent(loginFailedV1, { orgid: newId(), source: 'test', data: { ip: '192.0.2.3', username: 'permanent' } }));
    const jsm = await nc.jetstreamManager();
    const dl = await waitFor(() => jsm.streams.getMessage(streams.deadLetters.name, { last_by_subj: `deadletter.${durable}` }).catch(() => undefined), { description: 'dead letter' });
    expect(dl.header.get('Vigil-Dead-Letter-Reason')).toMatch(/org was deleted/);
  });

  it('applies each event of a CloudEvents batch message once, parking only the bad ones (inbox)', async () => {
    const durable = 'inbox-batch';
    let failOnce = true;
    await run(
      durable,
      inboxHandler({
        db: database.db,
        durable,
        definition: loginFailedV1,
        deadLetters: { nc, stream: stream.name },
        handle: async (event, tx) => {
          if (event.data.username === 'permanent') throw new PermanentMessageError('org was deleted');
          // A passing failure midway: the message comes back; what was applied before it is not applied twice.
          if (event.data.username === 'flaky' && failOnce) {
            failOnce = false;
            throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
          }
          await sql`insert into effects (event_id) values (${event.id})`.execute(tx);
        },
      }),
    );
    const login = (username: string, ip = '192.0.2.6') => createEvent(loginFailedV1, { orgid: newId(), source: 'test', data: { ip, username } });
    const good = [login('a'), login('flaky'), login('b')];
    const refused = login('permanent');
    const invalid = { ...login('c'), data: { ip: 'not-an-ip' } };
    await publish(durable, [good[0], invalid, good[1], refused, good[2]]);
    await waitFor(async () => { const i = await info(durable); return i.num_pending === 0 && i.num_ack_pending === 0 && !failOnce; }, { timeoutMs: 30_000, description: 'batch consumer idle' });
    const rows = await sql<{ event_id: string }>`select event_id from effects where event_id = any(${good.map((e) => e.id)})`.execute(database.db);
    expect(rows.rows.map((r) => r.event_id).sort()).toEqual(good.map((e) => e.id).sort());
    const jsm = await nc.jetstreamManager();
    const parked = await jsm.streams.info(streams.deadLetters.name, { subjects_filter: `deadletter.${durable}` });
    expect(parked.state.subjects?.[`deadletter.${durable}`]).toBe(2);
    const last = await jsm.streams.getMessage(streams.deadLetters.name, { last_by_subj: `deadletter.${durable}` });
    expect(last.header.get('Vigil-Dead-Letter-Reason')).toMatch(/org was deleted/);
    expect(last.json<{ id: string }>().id).toBe(refused.id);
  });

  it('dead-letters an internal event with an absurd time, judged against when it entered the stream', async () => {
    const durable = 'inbox-time';
    const handled: string[] = [];
    await run(durable, inboxHandler({ db: database.db, durable, definition: loginFailedV1, handle: async (event) => void handled.push(event.id) }));
    const absurd = createEvent(loginFailedV1, { orgid: newId(), source: 'test', time: new Date('2999-01-01T00:00:00Z'), data: { ip: '192.0.2.4' } });
    const fine = createEvent(loginFailedV1, { orgid: newId(), source: 'test', time: new Date(Date.now() - 3 * 24 * 60 * 60_000), data: { ip: '192.0.2.5' } });
    await publish(durable, absurd);
    await publish(durable, fine);
    const jsm = await nc.jetstreamManager();
    const dl = await waitFor(() => jsm.streams.getMessage(streams.deadLetters.name, { last_by_subj: `deadletter.${durable}` }).catch(() => undefined), { description: 'dead letter' });
    expect(dl.header.get('Vigil-Dead-Letter-Reason')).toMatch(/^PermanentMessageError: \/time: is more than .* in the future/);
    await waitFor(() => handled.length === 1, { description: 'plausible event handled' });
    expect(handled).toEqual([fine.id]);
  });

  it('prunes only inbox entries older than the retention', async () => {
    await sql`insert into inbox (consumer, event_id, processed_at) values ('prune', 'old', now() - interval '40 days'), ('prune', 'new', now())`.execute(database.db);
    expect(await pruneInbox(database.db, new Date(Date.now() - 30 * 24 * 60 * 60_000))).toBe(1);
    const left = await sql<{ event_id: string }>`select event_id from inbox where consumer = 'prune'`.execute(database.db);
    expect(left.rows).toEqual([{ event_id: 'new' }]);
  });
});
