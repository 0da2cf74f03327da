import { deriveId, headers as vigilHeaders, ingestSubmittedSubject, intakeMac } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { headers as natsHeaders } from 'nats';
import { TEST_INTAKE_KEY, TestStack, loginFailed, type TestOrg } from '../src';

/**
 * "Bad input harms nothing else": an event ingest could not store must be refused where it enters
 * (HTTP or NATS) with its own reason, and never take its valid neighbours with it.
 */
describe('poison neighbours and absurd times', () => {
  let stack: TestStack;
  let org: TestOrg;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'ingest'] });
    org = await stack.createOrg('Poison', ['sec@poison.test']);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const source = 'https://app.example.test/login';
  const storedIds = async (producerIds: string[]) => {
    const ids = producerIds.map((id) => deriveId(org.orgId, source, id));
    const rows = await stack.db.query<{ event_id: string }>('select event_id from ingest.raw_events where org_id = $1 and event_id = any($2::uuid[])', [org.orgId, ids]);
    return producerIds.filter((_, i) => rows.some((r) => r.event_id === ids[i]));
  };
  const deadLetters = async (durable: string) => {
    const jsm = await (await stack.natsConnection()).jetstreamManager();
    const out: { reason: string; data: string }[] = [];
    const info = await jsm.streams.info('VIGIL_DEAD_LETTERS');
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage('VIGIL_DEAD_LETTERS', { seq }).catch(() => undefined);
      if (m?.subject === `deadletter.${durable}`) out.push({ reason: m.header.get('Vigil-Dead-Letter-Reason'), data: Buffer.from(m.data).toString('utf8') });
    }
    return out;
  };

  it('refuses a U+0000 or lone-surrogate string per event over HTTP and stores the valid neighbours', async () => {
    const before = loginFailed('203.0.113.10', { id: 'nul-before' });
    const nul = loginFailed('203.0.113.10', { id: 'nul-middle', username: 'a\u0000b' });
    const surrogate = loginFailed('203.0.113.10', { id: 'lone-surrogate', username: 'x\ud800y' });
    const after = loginFailed('203.0.113.10', { id: 'nul-after' });
    const res = await stack.api('/v1/events', { key: org.key, body: [before, nul, surrogate, after] });

    expect(res.status).toBe(207);
    expect(res.body).toMatchObject({ accepted: 2, rejected: 2 });
    expect(res.body.results[1].errors).toEqual([{ pointer: '/1/data/username', message: expect.stringMatching(/U\+0000/) }]);
    expect(res.body.results[2].errors).toEqual([{ pointer: '/2/data/username', message: expect.stringMatching(/surrogate/) }]);
    await stack.settle();
    expect(await storedIds(['nul-before', 'nul-middle', 'lone-surrogate', 'nul-after'])).toEqual(['nul-before', 'nul-after']);
    expect(await deadLetters('ingest-submitted')).toEqual([]);
  });

  it('refuses events dated far in the future or the distant past, naming /time', async () => {
    const future = loginFailed('203.0.113.11', { id: 'year-2999', at: new Date('2999-01-01T00:00:00Z') });
    const epoch = loginFailed('203.0.113.11', { id: 'year-1970', at: new Date('1970-01-01T00:00:00Z') });
    const skewed = loginFailed('203.0.113.11', { id: 'ten-minutes-ahead', at: new Date(Date.now() + 10 * 60_000) });
    const slightlyAhead = loginFailed('203.0.113.11', { id: 'one-minute-ahead', at: new Date(Date.now() + 60_000) });
    const lastWeek = loginFailed('203.0.113.11', { id: 'last-week', at: new Date(Date.now() - 7 * 24 * 60 * 60_000) });
    const res = await stack.api('/v1/events', { key: org.key, body: [future, epoch, skewed, slightlyAhead, lastWeek] });

    expect(res.status).toBe(207);
    expect(res.body).toMatchObject({ accepted: 2, rejected: 3 });
    expect(res.body.results[0].errors).toEqual([{ pointer: '/0/time', message: expect.stringMatching(/in the future/) }]);
    expect(res.body.results[1].errors).toEqual([{ pointer: '/1/time', message: expect.stringMatching(/in the past/) }]);
    expect(res.body.results[2].errors).toEqual([{ pointer: '/2/time', message: expect.stringMatching(/in the future/) }]);
    await stack.settle();
    expect(await storedIds(['year-2999', 'year-1970', 'ten-minutes-ahead', 'one-minute-ahead', 'last-week'])).toEqual(['one-minute-ahead', 'last-week']);
  });

  it('on the raw NATS subject, dead-letters only the poison message of a burst and stores its neighbours', async () => {
    const js = (await stack.natsConnection()).jetstream();
    const subject = ingestSubmittedSubject(org.orgId);
    const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
    const burst: [string, Uint8Array][] = [
      ['bus-1', encode(loginFailed('203.0.113.12', { id: 'bus-1' }))],
      ['bus-nul', encode(loginFailed('203.0.113.12', { id: 'bus-nul', username: 'a\u0000b' }))],
      ['bus-2', encode(loginFailed('203.0.113.12', { id: 'bus-2' }))],
      ['bus-2999', encode(loginFailed('203.0.113.12', { id: 'bus-2999', at: new Date('2999-01-01T00:00:00Z') }))],
      // Bytes that are not UTF-8 at all (a lone continuation byte inside a string).
      ['bus-bad-utf8', Buffer.concat([Buffer.from('{"specversion":"1.0","id":"bus-bad-utf8","source":"s","type":"login.failed","data":{"ip":"203.0.113.12","username":"'), Buffer.from([0x80]), Buffer.from('"}}')])],
      ['bus-3', encode(loginFailed('203.0.113.12', { id: 'bus-3' }))],
    ];
    // Published back to back so ingest takes them as one micro-batch.
    await Promise.all(burst.map(([id, data]) => js.publish(subject, data, { msgID: `test-${id}` })));

    await waitFor(async () => (await deadLetters('ingest-submitted')).length >= 3, { timeoutMs: 30_000, description: 'three dead letters' });
    await stack.settle();
    expect(await storedIds(burst.map(([id]) => id))).toEqual(['bus-1', 'bus-2', 'bus-3']);
    const reasons = (await deadLetters('ingest-submitted')).map((d) => d.reason);
    expect(reasons).toHaveLength(3);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\/data\/username: contains U\+0000/),
        expect.stringMatching(/^\/time: is more than .* in the future/),
        'payload is not valid UTF-8',
      ]),
    );
  });

  it('validates every batch on ingest.submitted in full unless the gateway sealed it with the shared key', async () => {
    const js = (await stack.natsConnection()).jetstream();
    const subject = ingestSubmittedSubject(org.orgId);
    const other = await stack.createOrg('Poison other', ['sec@poison-other.test']);
    // Each batch: a valid event and one dated 2999, which validation refuses and a seal vouches for.
    const at = new Date();
    // The same bytes for the same name, so a seal computed apart from the message still fits it.
    const batch = (name: string) => Buffer.from(JSON.stringify([loginFailed('203.0.113.13', { id: `${name}-ok`, at }), { ...loginFailed('203.0.113.13', { id: `${name}-2999`, at: new Date('2999-01-01T00:00:00Z') }), orgid: org.orgId }]));
    const send = async (name: string, mac?: string) => {
      const h = natsHeaders();
      if (mac !== undefined) h.set(vigilHeaders.intakeMac, mac);
      const data = batch(name);
      await js.publish(subject, data, { msgID: `test-seal-${name}`, headers: h });
      return data;
    };
    await send('unsealed');
    await send('forged', intakeMac('not-the-shared-key-0123456789abcdef0123456789', subject, batch('forged')));
    await send('other-org', intakeMac(TEST_INTAKE_KEY, ingestSubmittedSubject(other.orgId), batch('other-org')));
    // Sealed over other bytes than it carries (an edited message).
    await send('edited', intakeMac(TEST_INTAKE_KEY, subject, batch('edited-before')));
    await send('sealed', intakeMac(TEST_INTAKE_KEY, subject, batch('sealed')));

    await waitFor(async () => (await storedIds(['sealed-ok', 'sealed-2999'])).length === 2, { timeoutMs: 30_000, description: 'the sealed batch stored' });
    await waitFor(async () => (await deadLetters('ingest-submitted')).filter((d) => d.data.includes('203.0.113.13')).length >= 4, { timeoutMs: 30_000, description: 'four dead letters' });
    await stack.settle();
    const names = ['unsealed', 'forged', 'other-org', 'edited', 'sealed'];
    expect(await storedIds(names.flatMap((n) => [`${n}-ok`, `${n}-2999`]))).toEqual(['unsealed-ok', 'forged-ok', 'other-org-ok', 'edited-ok', 'sealed-ok', 'sealed-2999']);
    const parked = (await deadLetters('ingest-submitted')).filter((d) => d.data.includes('203.0.113.13'));
    expect(parked.map((d) => JSON.parse(d.data).id).sort()).toEqual(['edited-2999', 'forged-2999', 'other-org-2999', 'unsealed-2999']);
    for (const d of parked) expect(d.reason).toMatch(/^\/1\/time: is more than .* in the future/);
  });
});
