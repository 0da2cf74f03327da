import fc from 'fast-check';
import { deriveId, headers as vigilHeaders, streams } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { TestStack, loginFailed, type ServiceName, type TestOrg } from '../src';
import { Materialiser, type GeneratedEvent } from '../src/hostile/events';
import { httpRecipe, materialiseHttp, materialiseNats, natsRecipe, type HttpCase, type NatsCase } from '../src/hostile/requests';
import { Violations, excerpt } from '../src/hostile/violations';

/**
 * "Keep every promise under fire": generated malformed and hostile events and bodies, over HTTP and
 * straight onto the NATS subject. No 5xx, no crash; every input refused with a reason or stored; every
 * valid event of a request stored, exactly once. A failure prints the seed; rerun with
 * VIGIL_FC_SEED=<seed> to replay the same inputs.
 */
const SEED = Number(process.env.VIGIL_FC_SEED ?? 20261125);
const HTTP_REQUESTS = 190;
const NATS_RUNS = 110;
const NATS_PER_RUN = 20;
const BODY_LIMIT = 5 * 1024 * 1024;

const wellFormed = (s: string) => !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));

describe(`hostile input (seed ${SEED})`, () => {
  let stack: TestStack;
  let httpOrg: TestOrg;
  let natsOrg: TestOrg;
  let bystander: TestOrg;
  const exited = new Set<ServiceName>();
  const violations = new Violations(SEED);
  const counts = { httpRequests: 0, httpInputs: 0, natsMessages: 0 };

  /** What the gateway said about each event id over HTTP: the database must agree. */
  const httpModel = { accepted: new Set<string>(), refused: new Set<string>(), uncertain: new Set<string>() };

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'ingest'] });
    [httpOrg, natsOrg, bystander] = await Promise.all([
      stack.createOrg('Hostile HTTP', ['sec@hostile-http.test']),
      stack.createOrg('Hostile NATS', ['sec@hostile-nats.test']),
      stack.createOrg('Bystander', ['sec@bystander.test']),
    ]);
    for (const [name, proc] of stack.services) void proc.exited.then(() => exited.add(name));
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  afterEach(() => {
    // Each test reports its own broken promises.
    violations.clear();
  });

  const storedIds = async (orgId: string) => {
    const rows = await stack.db.query<{ event_id: string; n: string }>('select event_id, count(*) as n from ingest.raw_events where org_id = $1 group by event_id', [orgId]);
    for (const r of rows) if (Number(r.n) !== 1) violations.add('event stored more than once', `${r.event_id} ×${r.n}`);
    return new Set(rows.map((r) => r.event_id));
  };

  /** Every dead letter of ingest's consumer, by the stream sequence of the message it parks. */
  const deadLetters = async () => {
    const jsm = await (await stack.natsConnection()).jetstreamManager();
    const info = await jsm.streams.info(streams.deadLetters.name);
    const out = new Map<number, { reason: string; subject: string }>();
    const seqs: number[] = [];
    for (let s = info.state.first_seq; info.state.messages > 0 && s <= info.state.last_seq; s++) seqs.push(s);
    for (let i = 0; i < seqs.length; i += 100) {
      const msgs = await Promise.all(seqs.slice(i, i + 100).map((seq) => jsm.streams.getMessage(streams.deadLetters.name, { seq }).catch(() => undefined)));
      for (const m of msgs) {
        if (m?.subject !== 'deadletter.ingest-submitted') continue;
        // `ingest-submitted:<seq>` for a whole message, `…:<seq>:<index>` for one event of a batch message.
        const parked = Number(/^ingest-submitted:(\d+)(?::\d+)?$/.exec(m.header.get('Nats-Msg-Id'))?.[1]);
        out.set(parked, { reason: m.header.get(vigilHeaders.deadLetterReason), subject: m.header.get(vigilHeaders.deadLetterSubject) });
      }
    }
    return out;
  };

  async function send(c: HttpCase, contentType: string): Promise<{ status: number; contentType: string; text: string }> {
    if (c.oversized) {
      const r = await stack.postOversized('/v1/events', httpOrg.key, c.body.toString('utf8'));
      return { status: r.status, contentType: r.contentType, text: JSON.stringify(r.body) };
    }
    const res = await fetch(`${stack.gatewayUrl}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${httpOrg.key}`, 'content-type': contentType }, body: c.body });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
  }

  /** Vigil's id for a producer's (source, id), when both are valid Unicode (uuid v5 can't hash lone surrogates). */
  const vigilId = (orgId: string, key: GeneratedEvent['key']) => (key && wellFormed(key.source) && wellFormed(key.id) ? deriveId(orgId, key.source, key.id) : undefined);
  const idOf = (e: GeneratedEvent) => vigilId(httpOrg.orgId, e.key);

  function checkBatch(c: HttpCase, events: GeneratedEvent[], res: { status: number; text: string }, tag: string, m: Materialiser): void {
    let body: any;
    try {
      body = JSON.parse(res.text);
    } catch {
      violations.add('response is not JSON', `${tag}: ${res.status} ${excerpt(res.text)}`);
    }
    if (res.status >= 500 || !Array.isArray(body?.results)) {
      if (res.status >= 500) violations.add(`${res.status} for a ${c.kind}`, `${tag}: ${excerpt(res.text, 300)}`);
      else {
        const valid = events.filter((e) => e.expect === 'accept' || e.expect === 'duplicate').length;
        const suspects = [...new Set(events.filter((e) => e.expect !== 'accept' && e.expect !== 'duplicate').map((e) => e.kind))];
        violations.add(`batch refused as a whole: ${res.status} ${body?.detail}`, `${tag}: ${valid} valid events lost with it; hostile kinds in the batch: ${suspects.join(' | ')}`);
      }
      // A 5xx promises nothing either way about what was stored.
      if (res.status >= 500) for (const e of events) if (idOf(e)) httpModel.uncertain.add(idOf(e)!);
      return;
    }
    if (body.results.length !== events.length) violations.add('results do not match the batch', `${tag}: ${body.results.length} results for ${events.length} events`);
    const tally = { accepted: 0, duplicate: 0, rejected: 0 };
    events.forEach((e, i) => {
      const r = body.results[i];
      const where = `${tag} event ${i} (${e.kind}) ${excerpt(e.text)}`;
      if (r?.index !== i) return violations.add('result missing or out of order', where);
      const id = idOf(e);
      if (r.status === 'rejected') {
        tally.rejected++;
        const errors: { pointer?: unknown; message?: unknown }[] = Array.isArray(r.errors) ? r.errors : [];
        const pointsHere = (x: { pointer?: unknown; message?: unknown }) =>
          typeof x.message === 'string' && x.message.length > 0 && typeof x.pointer === 'string' && (x.pointer === `/${i}` || x.pointer.startsWith(`/${i}/`));
        if (!errors.length || !errors.every(pointsHere)) violations.add('rejected without a reason pointing into the event', `${where}: ${JSON.stringify(r.errors)}`);
        if (e.expect === 'accept' || e.expect === 'duplicate') {
          const first = errors[0];
          violations.add(`valid event rejected: ${String(first?.pointer).replace(/^\/\d+/, '')} ${first?.message}`, where);
        }
        if (id && !httpModel.accepted.has(id)) httpModel.refused.add(id);
        return;
      }
      if (r.status !== 'accepted' && r.status !== 'duplicate') return violations.add('unknown result status', `${where}: ${JSON.stringify(r)}`);
      tally[r.status === 'accepted' ? 'accepted' : 'duplicate']++;
      if (e.expect === 'reject') violations.add(`hostile event ${r.status}: ${e.kind}`, where);
      if (typeof r.eventId !== 'string') return violations.add('accepted without an event id', where);
      if (id && r.eventId !== id) violations.add('event id is not derived from (org, source, id)', `${where}: ${r.eventId}, expected ${id}`);
      const seen = httpModel.accepted.has(r.eventId);
      if (r.status === 'accepted' && seen) violations.add('an id accepted twice (a repeat must be a duplicate)', where);
      if (r.status === 'duplicate' && !seen) violations.add('duplicate of an id never accepted', where);
      httpModel.accepted.add(r.eventId);
      if (e.expect === 'accept' && r.status === 'accepted' && e.key) m.accepted.push({ key: e.key, text: e.text });
    });
    const expected = tally.rejected === 0 ? 202 : tally.rejected === events.length ? 400 : 207;
    if (res.status !== expected) violations.add(`status ${res.status} where the results say ${expected}`, tag);
    if (body.accepted !== tally.accepted || body.duplicates !== tally.duplicate || body.rejected !== tally.rejected) {
      violations.add('summary counts disagree with the results', `${tag}: ${JSON.stringify({ accepted: body.accepted, duplicates: body.duplicates, rejected: body.rejected })} vs ${JSON.stringify(tally)}`);
    }
  }

  function checkWholeBody(c: HttpCase, res: { status: number; contentType: string; text: string }, tag: string): void {
    if (res.status === c.status) {
      if (!res.contentType.includes('application/problem+json')) violations.add(`${c.kind}: ${res.status} without problem+json`, `${tag}: ${res.contentType}`);
      let detail: unknown;
      try {
        detail = JSON.parse(res.text)?.detail;
      } catch {
        /* reported below */
      }
      if (typeof detail !== 'string' || !detail) violations.add(`${c.kind}: refused without a reason`, `${tag}: ${excerpt(res.text)}`);
      return;
    }
    violations.add(`${c.kind}: answered ${res.status}, not ${c.status}`, `${tag}: ${excerpt(c.body)} -> ${excerpt(res.text, 300)}`);
    // Whatever the gateway claims to have accepted must still be stored.
    try {
      for (const r of JSON.parse(res.text)?.results ?? []) if (typeof r?.eventId === 'string' && r.status !== 'rejected') httpModel.accepted.add(r.eventId);
    } catch {
      /* not JSON: nothing claimed */
    }
  }

  it('answers every generated request without a 5xx, refusing each hostile event or body with a reason', async () => {
    const started = Date.now();
    const m = new Materialiser('h', httpOrg.orgId, bystander.orgId);
    await fc.assert(
      fc.asyncProperty(httpRecipe, async (recipe) => {
        const c = materialiseHttp(recipe, m, BODY_LIMIT);
        counts.httpRequests++;
        counts.httpInputs += c.inputs;
        const tag = `request ${counts.httpRequests} (${c.kind}, ${c.body.length} bytes)`;
        // Both media types the gateway parses as JSON.
        const contentType = counts.httpRequests % 2 ? 'application/json' : 'application/cloudevents-batch+json';
        let res;
        try {
          res = await send(c, contentType);
        } catch (err) {
          violations.add('request failed without an answer', `${tag}: ${String(err)}`);
          return;
        }
        try {
          if (c.events) checkBatch(c, c.events, res, tag, m);
          else checkWholeBody(c, res, tag);
        } catch (err) {
          violations.add('the oracle itself failed', `${tag}: ${String(err)}`);
        }
      }),
      { seed: SEED, numRuns: HTTP_REQUESTS, endOnFailure: true },
    );
    console.log(`hostile HTTP: ${counts.httpInputs} inputs in ${counts.httpRequests} requests, ${Date.now() - started} ms`);
    expect(violations.report()).toBe('');
  }, 300_000);

  it('stores every event it accepted over HTTP exactly once, nothing it refused, and dead-letters nothing', async () => {
    await stack.settle(120_000);
    const stored = await storedIds(httpOrg.orgId);
    for (const id of httpModel.accepted) if (!stored.has(id)) violations.add('accepted over HTTP but never stored', id);
    for (const id of stored) {
      if (!httpModel.accepted.has(id) && !httpModel.uncertain.has(id)) violations.add(httpModel.refused.has(id) ? 'refused over HTTP but stored' : 'stored but never accepted', id);
    }
    // Everything the gateway accepts, ingest can store: nothing from HTTP ends as a dead letter.
    for (const [seq, d] of await deadLetters()) violations.add('dead-lettered after the gateway accepted it', `stream seq ${seq}: ${d.reason}`);
    expect(await stack.count('select count(*) as n from ingest.raw_events where org_id = $1', [bystander.orgId])).toBe(0);
    expect(httpModel.accepted.size).toBeGreaterThan(1000);
    expect(violations.report()).toBe('');
  }, 180_000);

  it('on the raw NATS subject, stores each valid message and dead-letters each other one with a reason', async () => {
    const started = Date.now();
    const nc = await stack.natsConnection();
    const js = nc.jetstream();
    const m = new Materialiser('n', natsOrg.orgId, bystander.orgId);
    const published: { seq: number; c: NatsCase }[] = [];
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(natsRecipe(nc.info!.max_payload), { minLength: NATS_PER_RUN, maxLength: NATS_PER_RUN }), async (recipes) => {
        run++;
        const earlier: GeneratedEvent[] = [];
        const cases = recipes.map((r) => materialiseNats(r, m, earlier));
        // Back to back, so ingest takes them in micro-batches with hostile neighbours.
        const acks = await Promise.allSettled(cases.map((c, i) => js.publish(`ingest.submitted.${c.subjectToken ?? natsOrg.orgId}`, c.data, { msgID: `hostile-${SEED}-${run}-${i}` })));
        acks.forEach((a, i) => {
          const c = cases[i]!;
          if (a.status === 'rejected') return violations.add('the test could not publish', `${c.kind} (${c.data.length} bytes): ${String(a.reason)}`);
          published.push({ seq: a.value.seq, c });
          if (c.expect === 'store' && c.kind === 'valid' && c.key) m.accepted.push({ key: c.key, text: Buffer.from(c.data).toString('utf8') });
        });
      }),
      { seed: SEED, numRuns: NATS_RUNS, endOnFailure: true },
    );
    counts.natsMessages = published.length;

    const jsm = await nc.jetstreamManager();
    const idle = async () => {
      const ci = await jsm.consumers.info(streams.ingest.name, 'ingest-submitted');
      return ci.num_pending === 0 && ci.num_ack_pending === 0;
    };
    try {
      await waitFor(async () => (await idle()) && (await idle()), { timeoutMs: 60_000, intervalMs: 250, description: 'ingest to finish the raw NATS messages' });
    } catch {
      const ci = await jsm.consumers.info(streams.ingest.name, 'ingest-submitted');
      violations.add('ingest never finished the raw NATS messages', `after 60 s: ${ci.num_pending} pending, ${ci.num_ack_pending} unacknowledged, ${ci.num_redelivered} redelivered`);
    }

    const stored = await storedIds(natsOrg.orgId);
    const parked = await deadLetters();
    const publishedSeqs = new Set(published.map((p) => p.seq));
    for (const [seq, d] of parked) if (!publishedSeqs.has(seq)) violations.add('dead letter of a message this test did not publish', `stream seq ${seq}: ${d.reason}`);
    const fate = { stored: 0, duplicate: 0, deadLettered: 0 };
    for (const { seq, c } of published) {
      const id = c.subjectToken ? undefined : vigilId(natsOrg.orgId, c.key);
      const isStored = id !== undefined && stored.has(id);
      const dead = parked.get(seq);
      const where = `seq ${seq} (${c.kind}) ${excerpt(c.data)}`;
      if (dead && !dead.reason) violations.add('dead-lettered without a reason', where);
      if (dead && dead.subject !== `ingest.submitted.${c.subjectToken ?? natsOrg.orgId}`) violations.add('dead letter names the wrong subject', `${where}: ${dead.subject}`);
      const got = dead && isStored ? 'stored and dead-lettered' : dead ? 'dead-lettered' : isStored ? 'stored' : 'neither stored nor dead-lettered';
      if (dead) fate.deadLettered++;
      else if (isStored && c.expect === 'duplicate') fate.duplicate++;
      else if (isStored) fate.stored++;
      const ok =
        c.expect === 'store' ? got === 'stored' : c.expect === 'duplicate' ? got === 'stored' : c.expect === 'dead-letter' ? got === 'dead-lettered' : got === 'stored' || got === 'dead-lettered';
      if (!ok) violations.add(`NATS ${c.kind}: expected ${c.expect}, got ${got}`, dead ? `${where}: ${dead.reason}` : where);
    }
    console.log(`hostile NATS: ${published.length} messages, ${fate.stored} stored, ${fate.duplicate} duplicates, ${fate.deadLettered} dead-lettered, ${Date.now() - started} ms`);
    if (fate.stored + fate.duplicate + fate.deadLettered !== published.length) {
      violations.add('stored + duplicates + dead-lettered != published', `${fate.stored} + ${fate.duplicate} + ${fate.deadLettered} != ${published.length}`);
    }
    expect(violations.report()).toBe('');
  }, 300_000);

  it('is still up afterwards: both processes alive and ready, and a valid batch is accepted', async () => {
    expect([...exited]).toEqual([]);
    for (const name of ['gateway', 'ingest'] as const) expect((await fetch(`${stack.services.get(name)!.url}/readyz`)).status).toBe(200);
    const after = await stack.api('/v1/events', { key: httpOrg.key, body: [loginFailed('203.0.113.200', { id: `after-hostile-${SEED}` })] });
    expect(after.status).toBe(202);
    await waitFor(async () => (await stack.count('select count(*) as n from ingest.raw_events where event_id = $1', [after.body.results[0].eventId])) === 1, {
      timeoutMs: 30_000,
      description: 'the follow-up event to be stored',
    });
    const total = counts.httpInputs + counts.natsMessages;
    console.log(`hostile input: ${total} generated inputs (${counts.httpInputs} over HTTP in ${counts.httpRequests} requests, ${counts.natsMessages} on NATS)`);
    expect(total).toBeGreaterThanOrEqual(10_000);
  }, 60_000);
});
