import { waitFor } from '@vigil/testing';
import { TestStack, loginFailed, type TestOrg } from '../src';

/**
 * Per-org rule settings through the gateway: listed with their defaults, replaced with PUT (admin
 * scope, validated by detection against the rule's schema, audited), in force for the next event
 * without a restart, and one org's settings never touch another's.
 */
describe('detection rules API (gateway -> detection over request/reply)', () => {
  let stack: TestStack;
  let acme: TestOrg;
  let other: TestOrg;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'ingest', 'detection', 'incident'] });
    [acme, other] = await Promise.all([stack.createOrg('Acme rules', ['sec@rules.test']), stack.createOrg('Other rules', ['sec@other-rules.test'])]);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const incidentsOf = (org: TestOrg) => stack.count('select count(*) as n from incident.incidents where org_id = $1', [org.orgId]);

  it('lists every rule with its defaults', async () => {
    const res = await stack.api('/v1/detection/rules', { key: acme.key });
    expect(res.status).toBe(200);
    const ids = res.body.rules.map((r: { id: string }) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['brute_force.ip', 'brute_force.account', 'credential_stuffing.ip', 'account_takeover.success_after_failures', 'credential_exposure.account']));
    const bf = res.body.rules.find((r: { id: string }) => r.id === 'brute_force.ip');
    expect(bf).toMatchObject({ category: 'brute_force', severity: 'medium', eventTypes: ['login.failed'], overridden: false, settings: { enabled: true, threshold: 5, windowSeconds: 900, allowIps: [] } });
  });

  it('refuses settings that break the rule\'s schema with a problem naming each field', async () => {
    const res = await stack.api('/v1/detection/rules/brute_force.ip', { key: acme.key, method: 'PUT', body: { threshold: 0, allowIps: ['10.0.0.0/33'], windowSeconds: 60 } });
    expect(res.status).toBe(400);
    expect(res.contentType).toMatch(/application\/problem\+json/);
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/allowIps/0', '/threshold']);
    expect((await stack.api('/v1/detection/rules/brute_force.ip', { key: acme.key })).body.overridden).toBe(false);
    expect((await stack.api('/v1/detection/rules/no_such.rule', { key: acme.key })).status).toBe(404);
    expect((await stack.api('/v1/detection/rules/Not A Rule', { key: acme.key })).status).toBe(400);
  });

  it('needs the admin scope', async () => {
    const created = await stack.api('/v1/api-keys', { key: acme.key, body: { name: 'producer', scopes: ['events:write'] } });
    expect(created.status).toBe(201);
    expect((await stack.api('/v1/detection/rules', { key: created.body.secret })).status).toBe(403);
    expect((await stack.api('/v1/detection/rules/brute_force.ip', { key: created.body.secret, method: 'PUT', body: { threshold: 2 } })).status).toBe(403);
  });

  it('applies a new threshold to the next failures without a restart, for that org only, and audits the change', async () => {
    const put = await stack.api('/v1/detection/rules/brute_force.ip', { key: acme.key, method: 'PUT', body: { threshold: 3 } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: 'brute_force.ip', overridden: true, settings: { threshold: 3, windowSeconds: 900 }, updatedBy: expect.stringMatching(/^api-key:/) });
    expect((await stack.api('/v1/detection/rules/brute_force.ip', { key: other.key })).body).toMatchObject({ overridden: false, settings: { threshold: 5 } });

    for (const org of [acme, other]) {
      const res = await stack.api('/v1/events', { key: org.key, body: [1, 2, 3].map(() => loginFailed('198.51.100.33')) });
      expect(res.status).toBe(202);
    }
    await waitFor(async () => (await incidentsOf(acme)) === 1, { timeoutMs: 60_000, description: 'acme to get an incident from 3 failures' });
    await stack.settle();
    expect(await incidentsOf(acme)).toBe(1);
    expect(await incidentsOf(other)).toBe(0);
    const audited = await stack.count("select count(*) as n from gateway.audit_log where org_id = $1 and method = 'PUT' and route = '/v1/detection/rules/:id' and status = 200", [acme.orgId]);
    expect(audited).toBe(1);
  });
});
