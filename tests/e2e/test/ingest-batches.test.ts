import { deriveId, ingestSubmittedSubject, streams } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { TestStack, loginFailed, type TestOrg } from '../src';

/**
 * The intake hop: the gateway hands a request to ingest as one JetStream message; ingest stores the
 * events, publishes each new one on its type's subject, and only then acks. These tests break it the
 * ways a bad night would: poison neighbours inside one message, a row PostgreSQL refuses, a crash
 * between commit and publish, ingest away while requests come in.
 */
describe('ingest batch messages', () => {
  let stack: TestStack;
  let org: TestOrg;
  const source = 'https://app.example.test/login';

  beforeAll(async () => {
    stack = await TestStack.start({
      services: ['gateway', 'ingest'],
      // A short ack wait: the crash's redelivery comes in seconds.
      env: { ingest: { VIGIL_CONSUMER_ACK_WAIT_MS: '2000' } },
    });
    org = await stack.createOrg('Batches', ['sec@batches.test']);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const idOf = (producerId: string) => deriveId(org.orgId, source, producerId);
  const storedIds = async (producerIds: string[]) => {
    const rows = await stack.db.query<{ event_id: string }>('select event_id from ingest.raw_events where org_id = $1 and event_id = any($2::uuid[])', [org.orgId, producerIds.map(idOf)]);
    return producerIds.filter((id) => rows.some((r) => r.event_id === idOf(id)));
  };
  /** How many times each event was published downstream (login.failed.<org> in the security stream). */
  const publishedTimes = async (producerIds: string[]) => {
    const jsm = await (await stack.natsConnection()).jetstreamManager();
    const info = await jsm.streams.info(streams.security.name);
    const counts = new Map<string, number>();
    for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(streams.security.name, { seq }).catch(() => undefined);
      if (m?.subject !== `login.failed.${org.orgId}`) continue;
      // A message carries one event or a CloudEvents batch of them.
      for (const { id } of [m.json<{ id: string } | { id: string }[]>()].flat()) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return producerIds.map((id) => counts.get(idOf(id)) ?? 0);
  };
  const deadLetters = async () => {
    const jsm = await (await stack.natsConnection()).jetstreamManager();
    const info = await jsm.streams.info(streams.deadLetters.name);
    const out: { msgId: string; reason: string }[] = [];
    for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(streams.deadLetters.name, { seq }).catch(() => undefined);
      if (m?.subject === 'deadletter.ingest-submitted') out.push({ msgId: m.header.get('Nats-Msg-Id'), reason: m.header.get('Vigil-Dead-Letter-Reason') });
    }
    return out;
  };

  it('stores and publishes the valid events of a batch message on the bus and parks each bad one alone', async () => {
    const js = (await stack.natsConnection()).jetstream();
    const batch = [loginFailed('203.0.113.30', { id: 'bus-1' }), { ...loginFailed('203.0.113.30', { id: 'bus-bad' }), time: '2999-01-01T00:00:00Z' }, loginFailed('203.0.113.30', { id: 'bus-2' })];
    const ack = await js.publish(ingestSubmittedSubject(org.orgId), new TextEncoder().encode(JSON.stringify(batch)), { msgID: 'bus-batch-1' });
    await stack.settle();

    expect(await storedIds(['bus-1', 'bus-bad', 'bus-2'])).toEqual(['bus-1', 'bus-2']);
    expect(await publishedTimes(['bus-1', 'bus-2'])).toEqual([1, 1]);
    const parked = (await deadLetters()).filter((d) => d.msgId.startsWith(`ingest-submitted:${ack.seq}:`));
    expect(parked).toEqual([{ msgId: `ingest-submitted:${ack.seq}:1`, reason: expect.stringMatching(/^\/1\/time: /) }]);
  });

  it('parks the one event PostgreSQL refuses and stores its neighbours in the same request', async () => {
    // A constraint only this test knows: the row passes every contract check and fails in the database.
    await stack.db.query("alter table ingest.raw_events add constraint test_refuse_row check (producer_id <> 'pg-refuses-me') not valid");
    try {
      const ids = ['pg-a', 'pg-b', 'pg-refuses-me', 'pg-c', 'pg-d'];
      const res = await stack.api('/v1/events', { key: org.key, body: ids.map((id) => loginFailed('203.0.113.31', { id })) });
      expect(res.status).toBe(207);
      expect(res.body).toMatchObject({ accepted: 4, duplicates: 0, rejected: 1 });
      expect(res.body.results[2]).toMatchObject({ status: 'rejected', errors: [{ pointer: '/2', message: expect.stringMatching(/dead letter.*test_refuse_row/) }] });
      await stack.settle();
      expect(await storedIds(ids)).toEqual(['pg-a', 'pg-b', 'pg-c', 'pg-d']);
      expect(await publishedTimes(['pg-a', 'pg-b', 'pg-c', 'pg-d'])).toEqual([1, 1, 1, 1]);
    } finally {
      await stack.db.query('alter table ingest.raw_events drop constraint test_refuse_row');
    }
  });

  it('names events stored by an earlier request as duplicates, and stores each once', async () => {
    const first = await stack.api('/v1/events', { key: org.key, body: ['dup-a', 'dup-b'].map((id) => loginFailed('203.0.113.32', { id })) });
    expect(first.body).toMatchObject({ accepted: 2, duplicates: 0 });
    // Not the same request again (that JetStream itself recognises): an overlapping one.
    const second = await stack.api('/v1/events', { key: org.key, body: ['dup-b', 'dup-c'].map((id) => loginFailed('203.0.113.32', { id })) });
    expect(second.body.results.map((r: { status: string }) => r.status)).toEqual(['duplicate', 'accepted']);
    await stack.settle();
    expect(await publishedTimes(['dup-a', 'dup-b', 'dup-c'])).toEqual([1, 1, 1]);
  });

  for (const point of ['before-commit', 'after-commit'] as const) {
    it(`publishes each event exactly once when ingest is killed ${point}`, async () => {
      await stack.services.get('ingest')!.stop();
      const crashing = await stack.startService('ingest', { VIGIL_CONSUMER_ACK_WAIT_MS: '2000', VIGIL_FAULT_KILL: `ingest-submitted:${point}` });
      // The request can't be confirmed (ingest dies first): don't wait the test default for it.
      await stack.services.get('gateway')!.stop();
      await stack.startService('gateway', { VIGIL_INGEST_CONFIRM_MS: '2000' });
      const ids = Array.from({ length: 20 }, (_, i) => `crash-${point}-${i}`);
      const res = await stack.api('/v1/events', { key: org.key, body: ids.map((id) => loginFailed('203.0.113.33', { id })) });
      // Durable in JetStream before the crash: accepted, even though ingest never confirmed.
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ accepted: 20, duplicates: 0, rejected: 0 });
      const exit = await crashing.exited;
      expect(exit.signal).toBe('SIGKILL');
      expect((await storedIds(ids)).length).toBe(point === 'after-commit' ? 20 : 0);

      await stack.startService('ingest', { VIGIL_CONSUMER_ACK_WAIT_MS: '2000' });
      await stack.settle();
      expect(await storedIds(ids)).toEqual(ids);
      expect(await publishedTimes(ids)).toEqual(ids.map(() => 1));
    });
  }

  it('publishes each event with where its IP is, without changing what the chain stores', async () => {
    const ips = { 'geo-public-v4': '81.2.69.142', 'geo-public-v6': '2001:67c:2e8::1', 'geo-private': '10.1.2.3', 'geo-documentation': '203.0.113.35' };
    const res = await stack.api('/v1/events', { key: org.key, body: Object.entries(ips).map(([id, ip]) => loginFailed(ip, { id })) });
    expect(res.body).toMatchObject({ accepted: 4 });
    await stack.settle();
    const jsm = await (await stack.natsConnection()).jetstreamManager();
    const enrichment = new Map<string, unknown>();
    const info = await jsm.streams.info(streams.security.name);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(streams.security.name, { seq }).catch(() => undefined);
      if (m?.subject !== `login.failed.${org.orgId}`) continue;
      for (const e of [m.json<{ id: string; enrichment?: unknown } | { id: string; enrichment?: unknown }[]>()].flat()) enrichment.set(e.id, e.enrichment);
    }
    expect(enrichment.get(idOf('geo-public-v4'))).toEqual({ geo: expect.objectContaining({ kind: 'public', country: 'GB', latitude: expect.any(Number), longitude: expect.any(Number) }) });
    expect(enrichment.get(idOf('geo-public-v6'))).toEqual({ geo: expect.objectContaining({ kind: 'public', country: 'NL' }) });
    expect(enrichment.get(idOf('geo-private'))).toEqual({ geo: { kind: 'private' } });
    expect(enrichment.get(idOf('geo-documentation'))).toEqual({ geo: { kind: 'documentation' } });
    const [row] = await stack.db.query<{ envelope: Record<string, unknown> }>('select envelope from ingest.raw_events where org_id = $1 and event_id = $2', [org.orgId, idOf('geo-public-v4')]);
    expect(row!.envelope).not.toHaveProperty('enrichment');
  });

  it('accepts while ingest is away and stores everything once it is back', async () => {
    await stack.services.get('ingest')!.stop();
    await stack.services.get('gateway')!.stop();
    await stack.startService('gateway', { VIGIL_INGEST_CONFIRM_MS: '2000' });
    const ids = ['away-1', 'away-2', 'away-3'];
    const res = await stack.api('/v1/events', { key: org.key, body: ids.map((id) => loginFailed('203.0.113.34', { id })) });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 3 });
    expect(await storedIds(ids)).toEqual([]);
    await stack.startService('ingest');
    await waitFor(async () => (await storedIds(ids)).length === 3, { timeoutMs: 30_000, description: 'ingest to catch up' });
    await stack.settle();
    expect(await publishedTimes(ids)).toEqual([1, 1, 1]);
  });
});
