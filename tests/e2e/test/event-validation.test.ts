import { Client } from 'pg';
import { TestStack, loginFailed, type TestOrg } from '../src';
import { waitFor } from '@vigil/testing';

/** Bad input gets a clear problem+json answer and harms nothing else (gateway + ingest as real processes). */
describe('POST /v1/events input validation', () => {
  let stack: TestStack;
  let org: TestOrg;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'ingest'] });
    org = await stack.createOrg('Validation', ['sec@validation.test']);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const stored = (eventId: string) => stack.count('select count(*) as n from ingest.raw_events where org_id = $1 and event_id = $2', [org.orgId, eventId]);

  it('answers a body that is not JSON with 400 problem+json', async () => {
    const res = await stack.api('/v1/events', { key: org.key, rawBody: '[{"specversion": "1.0",' });
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(res.body.detail).toMatch(/not valid JSON/i);
  });

  it('answers JSON that is not a batch with 400 problem+json', async () => {
    for (const body of [{ specversion: '1.0' }, 'login.failed', 42, null]) {
      const res = await stack.api('/v1/events', { key: org.key, body });
      expect(res.status).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body.detail).toMatch(/JSON array of CloudEvents/);
    }
    const empty = await stack.api('/v1/events', { key: org.key, body: [] });
    expect(empty.status).toBe(400);
    expect(empty.body.detail).toMatch(/empty/);
  });

  it('accepts the valid events of a mixed batch and names each bad field by JSON pointer', async () => {
    const good1 = loginFailed('203.0.113.1');
    const good2 = loginFailed('2001:db8::1');
    const badIp = { ...loginFailed('x'), data: { ip: 'not-an-ip' } };
    const badType = { ...loginFailed('203.0.113.2'), type: 'login.teleported' };
    const noSource = { ...loginFailed('203.0.113.3'), source: undefined };
    const extraField = { ...loginFailed('203.0.113.4'), data: { ip: '203.0.113.4', password: 'hunter2' } };
    const res = await stack.api('/v1/events', { key: org.key, body: [good1, badIp, good2, badType, noSource, extraField] });

    expect(res.status).toBe(207);
    expect(res.body).toMatchObject({ accepted: 2, rejected: 4 });
    const byIndex = (i: number) => res.body.results[i];
    expect(byIndex(0).status).toBe('accepted');
    expect(byIndex(2).status).toBe('accepted');
    expect(byIndex(1).errors).toEqual([expect.objectContaining({ pointer: '/1/data/ip' })]);
    expect(byIndex(3).errors).toEqual([expect.objectContaining({ pointer: '/3/type' })]);
    expect(byIndex(4).errors).toEqual([expect.objectContaining({ pointer: '/4/source' })]);
    expect(byIndex(5).errors[0].pointer).toBe('/5/data');
    expect(byIndex(5).errors[0].message).toMatch(/password/);

    await waitFor(async () => (await stored(byIndex(0).eventId)) === 1 && (await stored(byIndex(2).eventId)) === 1, {
      timeoutMs: 30_000,
      description: 'ingest to store the two valid events',
    });
    expect(await stack.count('select count(*) as n from ingest.raw_events where org_id = $1', [org.orgId])).toBe(2);
  });

  it('answers a batch with no valid event with 400 problem+json listing every error', async () => {
    const res = await stack.api('/v1/events', { key: org.key, body: [{ specversion: '0.3' }, { ...loginFailed('203.0.113.5'), time: 'yesterday' }] });
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/0/specversion', '/0/id', '/1/time']));
  });

  it('refuses oversized bodies with 413 problem+json and keeps serving', async () => {
    const huge = JSON.stringify(Array.from({ length: 1001 }, () => loginFailed('203.0.113.6')));
    const tooMany = await stack.api('/v1/events', { key: org.key, rawBody: huge });
    expect(tooMany.status).toBe(413);
    const tooBig = await stack.postOversized('/v1/events', org.key, `[${'"x",'.repeat(2_000_000)}"x"]`);
    expect(tooBig.status).toBe(413);
    expect(tooBig.contentType).toContain('application/problem+json');
    expect((await stack.api('/v1/events', { key: org.key, body: [loginFailed('203.0.113.7')] })).status).toBe(202);
  });

  it('serves its OpenAPI description, generated from the contracts', async () => {
    const res = await stack.api('/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/events', '/v1/incidents/{ref}', '/v1/reports/breach-summary']));
    expect(res.body.components.schemas['login.failed.v1'].required).toContain('ip');
  });

  it('refuses missing, malformed and unknown API keys with 401', async () => {
    const body = [loginFailed('203.0.113.8')];
    expect((await stack.api('/v1/events', { body })).status).toBe(401);
    expect((await stack.api('/v1/events', { key: 'vgl_short', body })).status).toBe(401);
    const unknown = await stack.api('/v1/events', { key: 'vgl_' + 'A'.repeat(43), body });
    expect(unknown.status).toBe(401);
    expect(unknown.contentType).toContain('application/problem+json');
  });

  it('dead-letters, with the reason, an invalid event published straight to NATS', async () => {
    const js = (await stack.natsConnection()).jetstream();
    const before = await stack.deadLetterCount();
    await js.publish(`ingest.submitted.${org.orgId}`, new TextEncoder().encode('{"specversion":"1.0","type":"login.failed"}'));
    await waitFor(async () => (await stack.deadLetterCount()) === before + 1, { timeoutMs: 30_000, description: 'dead letter' });
    const jsm = await (await stack.natsConnection()).jetstreamManager();
    const msg = await jsm.streams.getMessage('VIGIL_DEAD_LETTERS', { last_by_subj: 'deadletter.ingest-submitted' });
    expect(msg.header.get('Vigil-Dead-Letter-Reason')).toMatch(/\/id/);
  });

  it('refuses the incident role any access to ingest\'s and gateway\'s tables', async () => {
    const asIncident = new Client({ connectionString: stack.db.urlFor('incident') });
    await asIncident.connect();
    try {
      await expect(asIncident.query('select * from ingest.raw_events')).rejects.toThrow(/permission denied for schema ingest/);
      await expect(asIncident.query('select * from gateway.api_keys')).rejects.toThrow(/permission denied for schema gateway/);
      await expect(asIncident.query('create table public.sneaky (x int)')).rejects.toThrow(/permission denied/);
      // Its own schema works.
      await asIncident.query('create table incident.role_probe (x int)');
      await expect(asIncident.query('select * from incident.role_probe')).resolves.toBeDefined();
    } finally {
      await asIncident.end();
    }
  });

  it('keeps raw events append-only, even for ingest\'s own role', async () => {
    const asIngest = new Client({ connectionString: stack.db.urlFor('ingest') });
    await asIngest.connect();
    try {
      await expect(asIngest.query("update ingest.raw_events set type = 'x'")).rejects.toThrow(/append-only/);
      await expect(asIngest.query('delete from ingest.raw_events')).rejects.toThrow(/append-only/);
    } finally {
      await asIngest.end();
    }
  });

  // Last: it takes NATS away from this file's stack.
  it('answers /healthz while alive and /readyz 503 naming the dependency that is down', async () => {
    for (const name of ['gateway', 'ingest'] as const) {
      const svc = stack.services.get(name)!;
      expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${svc.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: 'ok', nats: 'ok' } });
    }
    await stack.nats.stop();
    const gateway = stack.services.get('gateway')!;
    const down = await waitFor(
      async () => {
        const res = await fetch(`${gateway.url}/readyz`);
        return res.status === 503 ? ((await res.json()) as { checks: { postgres: string; nats: string } }) : undefined;
      },
      { timeoutMs: 30_000, description: 'gateway /readyz to report NATS down' },
    );
    expect(down.checks.postgres).toBe('ok');
    expect(down.checks.nats).not.toBe('ok');
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
  });
});
