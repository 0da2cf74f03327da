import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deadLetterPageV1, deadLetterViewV1, newId } from '@vigil/contracts';
import { repoRoot, waitFor } from '@vigil/testing';
import { TestStack, type TestOrg } from '../src';

const run = promisify(execFile);

/**
 * Dead letters you can see and replay: a message ingest can't process lands in the gateway's
 * dead_letters table, visible to its org's admins only, and replay republishes it (gateway + ingest as
 * real processes, real NATS and PostgreSQL). Also: the OpenAPI document describes every answer.
 */
describe('dead letters: recorded, listed per org, replayed', () => {
  let stack: TestStack;
  let acme: TestOrg;
  let other: TestOrg;
  let readerKey: string;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'ingest'] });
    [acme, other] = await Promise.all([stack.createOrg('Acme', ['sec@acme.test']), stack.createOrg('Other', ['sec@other.test'])]);
    // A key without admin: the CLI only makes admin keys, so write one the way the gateway stores keys.
    readerKey = `vgl_${randomBytes(32).toString('base64url')}`;
    await stack.db.query('insert into gateway.api_keys (id, org_id, name, prefix, key_hash, scopes) values ($1, $2, $3, $4, $5, $6)', [
      newId(),
      acme.orgId,
      'reader',
      readerKey.slice(0, 12),
      createHash('sha256').update(readerKey).digest(),
      ['incidents:read', 'reports:read', 'events:write'],
    ]);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const publish = async (subject: string, payload: string) => {
    const js = (await stack.natsConnection()).jetstream();
    await js.publish(subject, new TextEncoder().encode(payload));
  };
  const list = async (key: string, query = '') => {
    const res = await stack.api(`/v1/dead-letters${query}`, { key });
    expect(res.status).toBe(200);
    return deadLetterPageV1.parse(res.body);
  };
  const withPayload = async (key: string, payload: string) => (await list(key, '?limit=100')).items.filter((d) => d.payload === payload);
  const cli = async (...args: string[]) =>
    run(process.execPath, [join(repoRoot(), 'services/gateway/dist/cli.js'), 'dead-letters', ...args], {
      env: { ...process.env, DATABASE_URL: stack.db.urlFor('gateway'), NATS_URL: stack.nats.url },
    });

  const badIp = JSON.stringify({ specversion: '1.0', id: 'evt-bad-ip', source: 'https://app.acme.test', type: 'login.failed', data: { ip: 'not-an-ip' } });
  let recorded: ReturnType<typeof deadLetterViewV1.parse>;

  it("lists an invalid event published straight to NATS for its org's admins, with reason and subject", async () => {
    await publish(`ingest.submitted.${acme.orgId}`, badIp);
    const [d] = await waitFor(async () => {
      const found = await withPayload(acme.key, badIp);
      return found.length ? found : undefined;
    }, { timeoutMs: 30_000, description: 'the dead letter to be listed' });
    expect(d).toMatchObject({
      orgId: acme.orgId,
      consumer: 'ingest-submitted',
      originalSubject: `ingest.submitted.${acme.orgId}`,
      originalStream: 'VIGIL_INGEST',
      payloadEncoding: 'utf8',
      payloadBytes: Buffer.byteLength(badIp),
      deliveries: 1,
      replayCount: 0,
      replayedAt: null,
    });
    expect(d!.reason).toMatch(/\/data\/ip/);
    recorded = d!;

    const one = await stack.api(`/v1/dead-letters/${d!.id}`, { key: acme.key });
    expect(one.status).toBe(200);
    expect(deadLetterViewV1.parse(one.body)).toEqual(d);
  });

  it('shows bytes that are not UTF-8 as base64, and filters by consumer', async () => {
    const bytes = Uint8Array.from([0xff, 0x00, 0xfe]);
    await (await stack.natsConnection()).jetstream().publish(`ingest.submitted.${acme.orgId}`, bytes);
    const d = await waitFor(async () => (await list(acme.key, '?limit=100')).items.find((x) => x.payloadEncoding === 'base64'), { timeoutMs: 30_000, description: 'binary dead letter' });
    expect(Buffer.from(d.payload, 'base64')).toEqual(Buffer.from(bytes));
    expect(d.reason).toBe('payload is not valid UTF-8');
    expect((await list(acme.key, '?consumer=ingest-submitted')).items.length).toBeGreaterThanOrEqual(2);
    expect((await list(acme.key, '?consumer=someone-else')).items).toEqual([]);
  });

  it('pages newest first with nextCursor and refuses bad parameters as problem+json', async () => {
    const first = await list(acme.key, '?limit=1');
    expect(first.items).toHaveLength(1);
    expect(first.items[0]!.payloadEncoding).toBe('base64'); // the newest
    const second = await list(acme.key, `?limit=1&cursor=${first.nextCursor}`);
    expect(second.items[0]!.id).toBe(recorded.id);

    for (const query of ['?limit=101', '?limit=0', '?cursor=bm9wZQ']) {
      const res = await stack.api(`/v1/dead-letters${query}`, { key: acme.key });
      expect(res.status).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
    }
    expect((await stack.api('/v1/dead-letters?limit=101', { key: acme.key })).body.errors[0].pointer).toBe('/limit');
    expect((await stack.api('/v1/dead-letters/not-a-uuid', { key: acme.key })).status).toBe(400);
  });

  it("never shows one org's dead letters to another, nor those with no org", async () => {
    expect(await withPayload(other.key, badIp)).toEqual([]);
    for (const [method, path] of [['GET', `/v1/dead-letters/${recorded.id}`], ['POST', `/v1/dead-letters/${recorded.id}/replay`], ['GET', `/v1/dead-letters/${newId()}`]] as const) {
      const res = await stack.api(path, { key: other.key, method });
      expect(res.status).toBe(404);
      expect(res.contentType).toContain('application/problem+json');
    }

    // A subject with no org and a payload with none: recorded, but only operators (CLI) see it.
    const orphan = `orphan-${newId()}`;
    await publish('ingest.submitted.nobody', orphan);
    await waitFor(async () => (await stack.count("select count(*) as n from gateway.dead_letters where encode(payload, 'escape') = $1", [orphan])) === 1, {
      timeoutMs: 30_000,
      description: 'the orphan dead letter to be recorded',
    });
    expect(await withPayload(acme.key, orphan)).toEqual([]);
    expect(await withPayload(other.key, orphan)).toEqual([]);

    const everyone = deadLetterPageV1.parse(JSON.parse((await cli('list', '--json', '--limit', '100')).stdout));
    expect(everyone.items.find((d) => d.payload === orphan)).toMatchObject({ orgId: null, originalSubject: 'ingest.submitted.nobody' });
    const acmeOnly = deadLetterPageV1.parse(JSON.parse((await cli('list', '--json', '--org', acme.orgId)).stdout));
    expect(acmeOnly.items.map((d) => d.id)).toContain(recorded.id);
    expect(acmeOnly.items.every((d) => d.orgId === acme.orgId)).toBe(true);
    expect((await cli('list', '--consumer', 'ingest-submitted')).stdout).toContain(orphan);
  });

  it('refuses a key without the admin scope with 403', async () => {
    for (const [method, path] of [['GET', '/v1/dead-letters'], ['GET', `/v1/dead-letters/${recorded.id}`], ['POST', `/v1/dead-letters/${recorded.id}/replay`]] as const) {
      const res = await stack.api(path, { key: readerKey, method });
      expect(res.status).toBe(403);
      expect(res.contentType).toContain('application/problem+json');
    }
  });

  it('replays: the original bytes go back to ingest, which dead-letters them again; the call is audited', async () => {
    const res = await stack.api(`/v1/dead-letters/${recorded.id}/replay`, { key: acme.key, method: 'POST' });
    expect(res.status).toBe(202);
    const replayed = deadLetterViewV1.parse(res.body);
    expect(replayed).toMatchObject({ id: recorded.id, replayCount: 1 });
    expect(replayed.replayedAt).not.toBeNull();

    // Still invalid, so ingest (which received it again) parks it again: a second record, same bytes and origin.
    const again = await waitFor(async () => {
      const found = await withPayload(acme.key, badIp);
      return found.length === 2 ? found : undefined;
    }, { timeoutMs: 30_000, description: 'the replayed message to be dead-lettered again' });
    expect(again[0]).toMatchObject({ originalSubject: recorded.originalSubject, reason: recorded.reason, replayCount: 0 });
    expect(again[0]!.id).not.toBe(recorded.id);
    expect((await stack.api(`/v1/dead-letters/${recorded.id}`, { key: acme.key })).body.replayCount).toBe(1);

    // The republished copy is in the ingest stream, marked as a replay of this record.
    const jsm = await (await stack.natsConnection()).jetstreamManager();
    // Found by its message id: the admin call itself also sends an admin.action to the same subject.
    const info = await jsm.streams.info('VIGIL_INGEST');
    let copy: Awaited<ReturnType<typeof jsm.streams.getMessage>> | undefined;
    for (let seq = info.state.last_seq; seq >= info.state.first_seq && !copy; seq--) {
      const m = await jsm.streams.getMessage('VIGIL_INGEST', { seq }).catch(() => undefined);
      if (m?.header?.get('Nats-Msg-Id') === `replay:${recorded.id}:1`) copy = m;
    }
    if (!copy) throw new Error('the replayed copy is not in VIGIL_INGEST');
    expect(copy.subject).toBe(`ingest.submitted.${acme.orgId}`);
    expect(copy.header.get('Vigil-Replay-Of')).toBe(recorded.id);
    expect(copy.header.get('Nats-Msg-Id')).toBe(`replay:${recorded.id}:1`);
    expect(new TextDecoder().decode(copy.data)).toBe(badIp);

    await waitFor(
      async () =>
        (await stack.count("select count(*) as n from gateway.audit_log where org_id = $1 and method = 'POST' and route = '/v1/dead-letters/:id/replay' and status = 202", [acme.orgId])) === 1,
      { description: 'the replay to be audited' },
    );
  });

  it('replays from the CLI too', async () => {
    const { stdout } = await cli('replay', recorded.id);
    expect(stdout).toContain(`replayed to ingest.submitted.${acme.orgId} (replay 2)`);
    await waitFor(async () => (await withPayload(acme.key, badIp)).length === 3, { timeoutMs: 30_000, description: 'a third dead letter after the CLI replay' });
    await expect(cli('replay', newId())).rejects.toMatchObject({ code: 1 });
  });

  it('describes a response body for every route, and every error as problem+json, in its OpenAPI document', async () => {
    const doc = (await stack.api('/v1/openapi.json')).body;
    const schemas = doc.components.schemas as Record<string, unknown>;
    const refs: string[] = [];
    const collectRefs = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(collectRefs);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === '$ref') refs.push(String(v));
          else collectRefs(v);
        }
      }
    };
    const operations = Object.entries(doc.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, op })),
    );
    expect(operations.map((o) => `${o.method} ${o.path}`)).toEqual(
      expect.arrayContaining(['get /v1/dead-letters', 'get /v1/dead-letters/{id}', 'post /v1/dead-letters/{id}/replay', 'get /v1/incidents/{ref}', 'get /v1/reports/breach-summary', 'post /v1/events']),
    );
    for (const { path, method, op } of operations) {
      const success = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
      expect({ route: `${method} ${path}`, hasSuccess: success.length > 0 }).toEqual({ route: `${method} ${path}`, hasSuccess: true });
      for (const [status, response] of Object.entries(op.responses)) {
        const route = `${method} ${path} ${status}`;
        if (status.startsWith('2')) expect({ route, schema: response.content?.['application/json']?.schema }).toEqual({ route, schema: expect.anything() });
        else expect({ route, schema: response.content?.['application/problem+json']?.schema }).toEqual({ route, schema: { $ref: '#/components/schemas/Problem' } });
      }
      collectRefs(op);
    }
    collectRefs(schemas);
    for (const ref of refs) expect(schemas[ref.replace('#/components/schemas/', '')]).toBeDefined();
    expect((schemas.DeadLetter as { required: string[] }).required).toEqual(expect.arrayContaining(['id', 'reason', 'payload', 'payloadEncoding', 'replayCount']));
    expect((schemas.Incident as { required: string[] }).required).toEqual(expect.arrayContaining(['number', 'severity', 'timeline']));
  });
});
