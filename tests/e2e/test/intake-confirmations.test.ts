import { streams } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { TestStack, loginFailed, type TestOrg } from '../src';

/**
 * Ingest's confirmations back to the gateway, which all arrive on one subscription of the gateway
 * process: each request must get its own (the duplicates it names), and a request whose confirmation
 * never comes is answered anyway once the bound has passed.
 */
describe('intake confirmations', () => {
  let stack: TestStack;
  let org: TestOrg;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'ingest'] });
    org = await stack.createOrg('Confirmations', ['sec@confirmations.test']);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const post = (ids: string[]) => stack.api('/v1/events', { key: org.key, body: ids.map((id) => loginFailed('203.0.113.40', { id })) });
  const statuses = (res: { body: { results: { status: string }[] } }) => res.body.results.map((r) => r.status);

  it('names to each of many concurrent requests its own duplicates, where they overlap too', async () => {
    const stored = Array.from({ length: 12 }, (_, i) => `conc-old-${i}`);
    expect((await post(stored)).body).toMatchObject({ accepted: 12, duplicates: 0 });
    // Request i: stored events i and i+1 (shared with request i+1) at positions of its own, between new ones.
    const requests = Array.from({ length: 10 }, (_, i) => [...Array.from({ length: i % 3 }, (_, k) => `conc-new-${i}-${k}`), `conc-old-${i}`, `conc-new-${i}-x`, `conc-old-${i + 1}`]);
    const answers = await Promise.all(requests.map(post));
    answers.forEach((res, i) => {
      expect(res.status).toBe(202);
      expect(statuses(res)).toEqual(requests[i]!.map((id) => (id.startsWith('conc-old-') ? 'duplicate' : 'accepted')));
    });
  });

  it('confirms each message of a request split in two, and stores multi-byte text exactly as sent', async () => {
    // About 200 KB each as JSON: six do not fit one message (max_payload 1 MiB), so the batch goes as two.
    const big = (i: number) => ({ ...loginFailed('203.0.113.41', { id: `split-${i}` }), note: `${i}:${'ü🦊中"\\'.repeat(15_000)}` });
    expect((await stack.api('/v1/events', { key: org.key, body: [big(0), big(5)] })).body).toMatchObject({ accepted: 2 });
    const jsm = await (await stack.natsConnection()).jetstreamManager();
    const before = (await jsm.streams.info(streams.ingest.name)).state.last_seq;
    const res = await stack.api('/v1/events', { key: org.key, body: [0, 1, 2, 3, 4, 5].map(big) });
    expect((await jsm.streams.info(streams.ingest.name)).state.last_seq - before).toBe(2);
    // Events 0 and 5 are in different messages: each message's confirmation names its own.
    expect(statuses(res)).toEqual(['duplicate', 'accepted', 'accepted', 'accepted', 'accepted', 'duplicate']);
    const rows = await stack.db.query<{ producer_id: string; note: string }>("select producer_id, envelope->>'note' as note from ingest.raw_events where producer_id like 'split-%' order by producer_id");
    expect(rows).toEqual([0, 1, 2, 3, 4, 5].map((i) => ({ producer_id: `split-${i}`, note: big(i).note })));
  });

  it('answers a request whose confirmation never comes once the bound has passed, and confirms the next ones', async () => {
    await stack.services.get('ingest')!.stop();
    await stack.services.get('gateway')!.stop();
    await stack.startService('gateway', { VIGIL_INGEST_CONFIRM_MS: '1500' });
    const started = Date.now();
    const unconfirmed = await post(['never-1', 'never-2']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    // Stored in JetStream: accepted, without the duplicates only ingest could name.
    expect(unconfirmed.status).toBe(202);
    expect(unconfirmed.body).toMatchObject({ accepted: 2, duplicates: 0, rejected: 0 });

    // Ingest comes back and confirms the old message to a request that stopped waiting long ago.
    await stack.startService('ingest');
    await waitFor(async () => (await stack.count("select count(*) as n from ingest.raw_events where producer_id like 'never-%'")) === 2, { timeoutMs: 30_000, description: 'ingest to catch up' });
    const next = await post(['never-2', 'after-1']);
    expect(statuses(next)).toEqual(['duplicate', 'accepted']);
  });

  // Last: it takes the ingest stream away.
  it('answers 503 when JetStream does not store the batch', async () => {
    await (await (await stack.natsConnection()).jetstreamManager()).streams.delete(streams.ingest.name);
    const res = await post(['nostream-1']);
    expect(res.status).toBe(503);
    expect(res.body.detail).toMatch(/could not be handed to storage; retry the whole batch/);
  });
});
