import { TestStack, type TestOrg } from '../src';

/**
 * POST /v1/incidents with an Idempotency-Key: a client that lost the answer and retries (or retries
 * ten times at once) gets the incident it created, never a second one; the key is per organisation.
 */
describe('creating an incident with an Idempotency-Key', () => {
  let stack: TestStack;
  let acme: TestOrg;
  let globex: TestOrg;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'incident'] });
    [acme, globex] = await Promise.all([stack.createOrg('Acme Idem', ['sec@acme-idem.test']), stack.createOrg('Globex Idem', ['sec@globex-idem.test'])]);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const post = async (key: string, idempotencyKey: string | undefined, body: Record<string, unknown> = {}) => {
    const res = await fetch(`${stack.gatewayUrl}/v1/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(idempotencyKey !== undefined ? { 'idempotency-key': idempotencyKey } : {}) },
      body: JSON.stringify({ title: 'Payroll file e-mailed outside', discoveredAt: '2026-11-25T08:00:00Z', ...body }),
    });
    return { status: res.status, body: (await res.json()) as { id: string; number: string; errors?: unknown[] } };
  };
  const count = (org: TestOrg) => stack.count('select count(*) as n from incident.incidents where org_id = $1', [org.orgId]);

  it('creates one incident for a retried request, and one for ten concurrent ones', async () => {
    const first = await post(acme.key, 'retry-1');
    const again = await post(acme.key, 'retry-1');
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.number).toBe(first.body.number);

    const burst = await Promise.all(Array.from({ length: 10 }, () => post(acme.key, 'burst-1', { title: 'Burst' })));
    expect(new Set(burst.map((r) => r.status))).toEqual(new Set([201]));
    expect(new Set(burst.map((r) => r.body.id)).size).toBe(1);
    expect(await count(acme)).toBe(2);
  });

  it('refuses the same key for another incident, keeps keys per organisation, and without a key creates each time', async () => {
    const taken = await post(acme.key, 'retry-1', { title: 'Something else' });
    expect(taken.status).toBe(409);
    expect(taken.body.errors).toEqual([expect.objectContaining({ pointer: '/title' })]);
    const before = await count(acme);

    const other = await post(globex.key, 'retry-1');
    expect(other.status).toBe(201);
    expect(await count(globex)).toBe(1);

    await post(acme.key, undefined);
    await post(acme.key, undefined);
    expect(await count(acme)).toBe(before + 2);
    expect((await post(acme.key, 'bad key with spaces')).status).toBe(400);
  });
});
