import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { apiKeyCreatedV1, apiKeyListV1, apiKeyViewV1, createEvent, detectionTriggeredV1, eventSubject, newId, type ApiKeyCreatedV1 } from '@vigil/contracts';
import { encodeEvent, publishRaw } from '@vigil/messaging';
import { repoRoot, waitFor } from '@vigil/testing';
import { TestStack, loginFailed, type TestOrg } from '../src';

const run = promisify(execFile);

/**
 * API key management end to end (gateway, ingest and incident as real processes, real NATS and
 * PostgreSQL): keys made by an org's admin are shown once and stored hashed, work at once, stop at once
 * when revoked or rotated, stay inside their org, keep to their event-type allow-list and rate limit.
 */
describe('API keys: create, list, revoke, rotate; scopes, allow-list, rate limit, tenant isolation', () => {
  let stack: TestStack;
  let acme: TestOrg;
  let other: TestOrg;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'ingest', 'incident'] });
    [acme, other] = await Promise.all([stack.createOrg('Acme', ['sec@acme.test']), stack.createOrg('Other', ['sec@other.test'])]);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const create = async (key: string, body: unknown): Promise<ApiKeyCreatedV1> => {
    const res = await stack.api('/v1/api-keys', { key, body });
    expect(res.status).toBe(201);
    return apiKeyCreatedV1.parse(res.body);
  };
  const list = async (key: string) => {
    const res = await stack.api('/v1/api-keys', { key });
    expect(res.status).toBe(200);
    return apiKeyListV1.parse(res.body).items;
  };
  const submit = (key: string, events: unknown[]) => stack.api('/v1/events', { key, body: events });
  const cli = async (...args: string[]) =>
    run(process.execPath, [join(repoRoot(), 'services/gateway/dist/cli.js'), 'keys', ...args], { env: { ...process.env, DATABASE_URL: stack.db.urlFor('gateway') } });
  const keyIdOf = async (secret: string) =>
    (await stack.db.query<{ id: string }>('select id from gateway.api_keys where key_hash = $1', [createHash('sha256').update(secret).digest()]))[0]!.id;

  it('creates a key whose secret works at once, is shown once and stored only as its SHA-256; last use is recorded', async () => {
    const created = await create(acme.key, { name: 'web app producer', scopes: ['events:write'] });
    expect(created.secret).toMatch(/^vgl_[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ name: 'web app producer', scopes: ['events:write'], eventTypes: null, rateLimitPerMinute: 6000, lastUsedAt: null, revokedAt: null });
    expect(created.secret.startsWith(created.prefix)).toBe(true);

    const [row] = await stack.db.query<{ key_hash: Buffer; prefix: string }>('select key_hash, prefix from gateway.api_keys where id = $1', [created.id]);
    expect(row!.key_hash.equals(createHash('sha256').update(created.secret).digest())).toBe(true);
    expect(await stack.count("select count(*) as n from gateway.api_keys where position(convert_to($1, 'UTF8') in key_hash) > 0 or prefix = $1 or name = $1", [created.secret])).toBe(0);

    expect((await submit(created.secret, [loginFailed('203.0.113.10')])).status).toBe(202);
    await waitFor(async () => (await list(acme.key)).find((k) => k.id === created.id)?.lastUsedAt != null, { description: 'last_used_at to be set' });

    // Listed without its secret, anywhere in the body.
    const res = await stack.api('/v1/api-keys', { key: acme.key });
    expect(JSON.stringify(res.body)).not.toContain(created.secret);
    const listed = apiKeyListV1.parse(res.body).items.find((k) => k.id === created.id)!;
    expect(listed).not.toHaveProperty('secret');
    expect(listed).toMatchObject({ id: created.id, prefix: created.prefix, scopes: ['events:write'], createdAt: created.createdAt, revokedAt: null });
    // The org's first admin key is listed too.
    expect((await list(acme.key)).map((k) => k.id)).toContain(await keyIdOf(acme.key));
  });

  it('refuses bad requests with problem+json naming each field', async () => {
    const cases: [unknown, string][] = [
      [{ name: '', scopes: ['events:write'] }, '/name'],
      [{ name: 'x', scopes: [] }, '/scopes'],
      [{ name: 'x', scopes: ['root'] }, '/scopes/0'],
      [{ name: 'x', scopes: ['events:write'], eventTypes: ['login.teleported'] }, '/eventTypes/0'],
      [{ name: 'x', scopes: ['incidents:read'], eventTypes: ['login.failed'] }, '/eventTypes'],
      [{ name: 'x', scopes: ['events:write'], rateLimitPerMinute: 0 }, '/rateLimitPerMinute'],
      [{ name: 'x', scopes: ['events:write'], secret: 'vgl_mine' }, '/'],
    ];
    for (const [body, pointer] of cases) {
      const res = await stack.api('/v1/api-keys', { key: acme.key, body });
      expect({ body, status: res.status, type: res.contentType }).toEqual({ body, status: 400, type: expect.stringContaining('application/problem+json') });
      expect({ body, pointers: res.body.errors.map((e: { pointer: string }) => e.pointer) }).toEqual({ body, pointers: expect.arrayContaining([pointer]) });
    }
    // The new scopes exist.
    const writer = await create(acme.key, { name: 'responder', scopes: ['incidents:write', 'notifications:send'] });
    expect(writer.scopes).toEqual(['incidents:write', 'notifications:send']);
  });

  it('revokes: 401 at once, idempotent, visible in the list; DELETE does the same', async () => {
    const a = await create(acme.key, { name: 'to revoke', scopes: ['events:write'] });
    expect((await submit(a.secret, [loginFailed('203.0.113.11')])).status).toBe(202); // cached by the guard now
    const res = await stack.api(`/v1/api-keys/${a.id}/revoke`, { key: acme.key, method: 'POST' });
    expect(res.status).toBe(200);
    expect(apiKeyViewV1.parse(res.body).revokedAt).not.toBeNull();
    const after = await submit(a.secret, [loginFailed('203.0.113.11')]);
    expect(after.status).toBe(401);
    expect(after.contentType).toContain('application/problem+json');

    const again = await stack.api(`/v1/api-keys/${a.id}/revoke`, { key: acme.key, method: 'POST' });
    expect(again.status).toBe(200);
    expect(again.body.revokedAt).toBe(res.body.revokedAt);
    expect((await list(acme.key)).find((k) => k.id === a.id)!.revokedAt).toBe(res.body.revokedAt);

    const b = await create(acme.key, { name: 'to delete', scopes: ['incidents:read'] });
    expect((await stack.api('/v1/incidents/INC-20261123-0001', { key: b.secret })).status).not.toBe(401);
    expect((await stack.api(`/v1/api-keys/${b.id}`, { key: acme.key, method: 'DELETE' })).status).toBe(200);
    expect((await stack.api('/v1/incidents/INC-20261123-0001', { key: b.secret })).status).toBe(401);
    expect((await stack.api('/v1/api-keys/not-a-uuid/revoke', { key: acme.key, method: 'POST' })).status).toBe(400);
    expect((await stack.api(`/v1/api-keys/${newId()}/revoke`, { key: acme.key, method: 'POST' })).status).toBe(404);
  });

  it('rotates: same key, new secret shown once; the old secret is refused at once', async () => {
    const k = await create(acme.key, { name: 'rotating', scopes: ['events:write'], eventTypes: ['login.failed'], rateLimitPerMinute: 1000 });
    expect((await submit(k.secret, [loginFailed('203.0.113.12')])).status).toBe(202);
    const res = await stack.api(`/v1/api-keys/${k.id}/rotate`, { key: acme.key, method: 'POST' });
    expect(res.status).toBe(200);
    const rotated = apiKeyCreatedV1.parse(res.body);
    expect(rotated).toMatchObject({ id: k.id, name: 'rotating', scopes: ['events:write'], eventTypes: ['login.failed'], rateLimitPerMinute: 1000, revokedAt: null });
    expect(rotated.secret).not.toBe(k.secret);
    expect(rotated.rotatedAt).not.toBeNull();
    expect((await submit(k.secret, [loginFailed('203.0.113.12')])).status).toBe(401);
    expect((await submit(rotated.secret, [loginFailed('203.0.113.12')])).status).toBe(202);
    expect(await keyIdOf(rotated.secret)).toBe(k.id);

    await stack.api(`/v1/api-keys/${k.id}/revoke`, { key: acme.key, method: 'POST' });
    expect((await stack.api(`/v1/api-keys/${k.id}/rotate`, { key: acme.key, method: 'POST' })).status).toBe(409);
  });

  it('refuses every key management call to a key without the admin scope (403)', async () => {
    const producer = await create(acme.key, { name: 'producer', scopes: ['events:write', 'incidents:read', 'reports:read', 'incidents:write', 'notifications:send'] });
    const target = (await list(acme.key))[0]!.id;
    for (const [method, path, body] of [
      ['GET', '/v1/api-keys', undefined],
      ['POST', '/v1/api-keys', { name: 'mine', scopes: ['admin'] }],
      ['POST', `/v1/api-keys/${target}/revoke`, undefined],
      ['DELETE', `/v1/api-keys/${target}`, undefined],
      ['POST', `/v1/api-keys/${target}/rotate`, undefined],
    ] as const) {
      const res = await stack.api(path, { key: producer.secret, method, ...(body ? { body } : {}) });
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 403 });
      expect(res.contentType).toContain('application/problem+json');
    }
  });

  it("keeps orgs apart: another org's key id is 404 to revoke or rotate and never listed; its incidents are 404", async () => {
    const otherProducer = await create(other.key, { name: 'other producer', scopes: ['events:write'] });
    expect((await list(acme.key)).map((k) => k.id)).not.toContain(otherProducer.id);
    for (const [method, path] of [['POST', `/v1/api-keys/${otherProducer.id}/revoke`], ['DELETE', `/v1/api-keys/${otherProducer.id}`], ['POST', `/v1/api-keys/${otherProducer.id}/rotate`]] as const) {
      const res = await stack.api(path, { key: acme.key, method });
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 404 });
    }
    expect((await submit(otherProducer.secret, [loginFailed('203.0.113.13')])).status).toBe(202);

    // An incident of the other org (detection.triggered straight to NATS; the incident service opens it).
    const detectionId = newId();
    const event = createEvent(detectionTriggeredV1, {
      id: detectionId,
      orgid: other.orgId,
      source: 'vigil://detection',
      data: {
        detectionId,
        ruleId: 'brute_force.ip',
        ruleVersion: 1,
        correlationKey: 'brute_force.ip:192.0.2.201',
        severity: 'medium',
        title: 'Brute force attack detected from 192.0.2.201',
        summary: '5 failed logins',
        windowStart: new Date().toISOString(),
        windowEnd: new Date().toISOString(),
        count: 5,
        threshold: 5,
        evidence: { ip: '192.0.2.201', eventIds: [] },
      },
    });
    await publishRaw((await stack.natsConnection()).jetstream(), eventSubject(event.type, other.orgId), event.id, encodeEvent(event));
    const incident = await waitFor(async () => (await stack.db.query<{ id: string; number: string }>('select id, number from incident.incidents where org_id = $1', [other.orgId]))[0], {
      timeoutMs: 30_000,
      description: "the other org's incident",
    });
    expect((await stack.api(`/v1/incidents/${incident.id}`, { key: other.key })).status).toBe(200);
    const reader = await create(acme.key, { name: 'reader', scopes: ['incidents:read'] });
    for (const key of [acme.key, reader.secret]) {
      for (const ref of [incident.id, incident.number]) expect((await stack.api(`/v1/incidents/${ref}`, { key })).status).toBe(404);
    }
  });

  it('rejects, per event, types outside the key\'s allow-list with pointer /<i>/type; the rest of the batch is stored', async () => {
    const failedOnly = await create(acme.key, { name: 'failed logins only', scopes: ['events:write'], eventTypes: ['login.failed'] });
    const succeeded = { ...loginFailed('203.0.113.14'), type: 'login.succeeded', data: { ip: '203.0.113.14', username: 'alice@example.test' } };
    const good = loginFailed('203.0.113.15');
    const res = await submit(failedOnly.secret, [succeeded, good]);
    expect(res.status).toBe(207);
    expect(res.body).toMatchObject({ accepted: 1, rejected: 1 });
    expect(res.body.results[0].errors).toEqual([{ pointer: '/0/type', message: 'this API key may only submit login.failed events' }]);
    expect(res.body.results[1]).toMatchObject({ status: 'accepted' });
    // The same event is fine for a key without an allow-list.
    expect((await submit(acme.key, [succeeded])).status).toBe(202);
    const all = await submit(failedOnly.secret, [succeeded]);
    expect(all.status).toBe(400);
    expect(all.body.errors).toEqual([expect.objectContaining({ pointer: '/0/type' })]);
  });

  it('answers a key past its rate limit with 429 problem+json and Retry-After; other keys are unaffected', async () => {
    const slow = await create(acme.key, { name: 'slow', scopes: ['events:write'], rateLimitPerMinute: 2 });
    const post = () => fetch(`${stack.gatewayUrl}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${slow.secret}`, 'content-type': 'application/json' }, body: JSON.stringify([loginFailed('203.0.113.16')]) });
    expect((await post()).status).toBe(202);
    expect((await post()).status).toBe(202);
    const limited = await post();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toContain('application/problem+json');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30); // 2 per minute: a token every 30 s
    expect(((await limited.json()) as { status: number; detail: string })).toMatchObject({ status: 429, detail: expect.stringContaining('2 requests per minute') });
    // Every authenticated route counts.
    expect((await stack.api('/v1/incidents/INC-20261123-0001', { key: slow.secret })).status).toBe(429);
    // Others are not limited by it.
    expect((await submit(acme.key, [loginFailed('203.0.113.17')])).status).toBe(202);
    expect((await stack.api('/v1/api-keys', { key: acme.key })).status).toBe(200);
  });

  it("refuses revoking the org's last active admin key (409), allows it once there is another", async () => {
    const org = await stack.createOrg('Lonely', ['sec@lonely.test']);
    const firstId = await keyIdOf(org.key);
    const res = await stack.api(`/v1/api-keys/${firstId}/revoke`, { key: org.key, method: 'POST' });
    expect(res.status).toBe(409);
    expect(res.contentType).toContain('application/problem+json');
    expect((await stack.api('/v1/api-keys', { key: org.key })).status).toBe(200);

    const second = await create(org.key, { name: 'second admin', scopes: ['admin'] });
    expect((await stack.api(`/v1/api-keys/${firstId}/revoke`, { key: second.secret, method: 'POST' })).status).toBe(200);
    expect((await stack.api('/v1/api-keys', { key: org.key })).status).toBe(401);
    expect((await stack.api(`/v1/api-keys/${second.id}`, { key: second.secret, method: 'DELETE' })).status).toBe(409);
  });

  it('audits every key management call', async () => {
    await waitFor(
      async () => {
        const rows = await stack.db.query<{ method: string; route: string; status: number }>('select method, route, status from gateway.audit_log where org_id = $1 and route like $2', [acme.orgId, '/v1/api-keys%']);
        const seen = new Set(rows.map((r) => `${r.method} ${r.route} ${r.status}`));
        return ['POST /v1/api-keys 201', 'GET /v1/api-keys 200', 'POST /v1/api-keys/:id/revoke 200', 'DELETE /v1/api-keys/:id 200', 'POST /v1/api-keys/:id/rotate 200', 'POST /v1/api-keys 400', 'POST /v1/api-keys/:id/rotate 409'].every((s) => seen.has(s));
      },
      { description: 'key management calls to be audited' },
    );
  });

  it('manages keys from the CLI: create with scopes and allow-list, list, revoke, rotate', async () => {
    const { stdout } = await cli('create', '--org', acme.orgId, '--name', 'from cli', '--scope', 'events:write', '--event-type', 'login.failed', '--rate-limit', '100');
    const secret = /api key: (vgl_\S+)/.exec(stdout)![1]!;
    const id = await keyIdOf(secret);
    expect((await submit(secret, [loginFailed('203.0.113.18')])).status).toBe(202);
    expect((await list(acme.key)).find((k) => k.id === id)).toMatchObject({ name: 'from cli', scopes: ['events:write'], eventTypes: ['login.failed'], rateLimitPerMinute: 100 });

    const listed = apiKeyListV1.parse(JSON.parse((await cli('list', '--org', acme.orgId, '--json')).stdout));
    expect(listed.items.map((k) => k.id)).toContain(id);
    expect((await cli('list', '--org', acme.orgId)).stdout).not.toContain(secret);

    const rotated = /api key: (vgl_\S+)/.exec((await cli('rotate', id)).stdout)![1]!;
    expect(await keyIdOf(rotated)).toBe(id);
    expect((await cli('revoke', id)).stdout).toContain('revoked');
    // The CLI writes the database; the running gateway's cache lets the old entry live at most 5 s.
    await waitFor(async () => (await submit(rotated, [loginFailed('203.0.113.18')])).status === 401, { timeoutMs: 15_000, description: 'the CLI-revoked key to be refused' });

    await expect(cli('create', '--org', acme.orgId, '--name', 'bad', '--scope', 'root')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--scope') });
    await expect(cli('revoke', await keyIdOf(other.key))).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('last active admin key') });
  });
});
