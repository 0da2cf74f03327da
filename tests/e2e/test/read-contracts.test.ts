import type { Subscription } from 'nats';
import { breachSummaryQueryV1, incidentGetQueryV1, incidentViewExampleV1, newId } from '@vigil/contracts';
import { TestStack, type TestOrg } from '../src';

/**
 * The gateway reads every query reply with its contract: what it answers is exactly what the contract
 * (and the OpenAPI document) says, and a replier that breaks the contract is a 502, never passed on.
 * The replier here is a stand-in on the real NATS server, speaking Nest's request/reply framing, so a
 * test can make it answer what the real services never would.
 */
describe('query replies are read with their contracts', () => {
  let stack: TestStack;
  let org: TestOrg;
  let replier: Subscription | undefined;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway'] });
    org = await stack.createOrg('Contracts', ['sec@contracts.test']);
  }, 120_000);

  afterEach(() => {
    replier?.unsubscribe();
    replier = undefined;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  /** Answers one query subject with `reply(request data)`; returns what it was asked. */
  async function standIn(subject: string, reply: (data: unknown) => unknown): Promise<unknown[]> {
    const nc = await stack.natsConnection();
    const asked: unknown[] = [];
    replier = nc.subscribe(subject, {
      callback: (_err, msg) => {
        const packet = JSON.parse(new TextDecoder().decode(msg.data)) as { id: string; data: unknown };
        asked.push(packet.data);
        msg.respond(new TextEncoder().encode(JSON.stringify({ id: packet.id, response: reply(packet.data), isDisposed: true })));
      },
    });
    await nc.flush();
    return asked;
  }

  const incident = (orgId: string) => ({
    ...incidentViewExampleV1,
    id: newId(),
    number: 'INC-20261201-0001',
    timeline: [{ seq: 1, at: '2026-12-01T10:00:01.000Z', kind: 'incident.created', actor: { type: 'service', id: 'incident' }, detail: { orgId } }],
  });

  it('asks with the contract request and answers the contract reply, nothing more', async () => {
    const asked = await standIn(incidentGetQueryV1.subject, (data) => ({ incident: { ...incident((data as { orgId: string }).orgId), internalNote: 'not for the API' } }));
    const res = await stack.api('/v1/incidents/INC-20261201-0001', { key: org.key });
    expect(res.status).toBe(200);
    expect(asked).toEqual([{ orgId: org.orgId, ref: 'INC-20261201-0001' }]);
    expect(incidentGetQueryV1.request.parse(asked[0])).toEqual(asked[0]);
    expect(res.body.number).toBe('INC-20261201-0001');
    expect(res.body).not.toHaveProperty('internalNote');
  });

  it('answers 404 for a miss and 400 for a request the replier refused', async () => {
    await standIn(incidentGetQueryV1.subject, () => ({ incident: null }));
    expect((await stack.api('/v1/incidents/INC-20261201-0002', { key: org.key })).status).toBe(404);
    replier?.unsubscribe();
    await standIn(breachSummaryQueryV1.subject, () => ({ error: 'bad-request', detail: 'orgId: invalid' }));
    const refused = await stack.api('/v1/reports/breach-summary', { key: org.key });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toBe('orgId: invalid');
  });

  it('turns a reply that breaks the contract into 502 problem+json', async () => {
    await standIn(incidentGetQueryV1.subject, (data) => ({ incident: { ...incident((data as { orgId: string }).orgId), severity: 'apocalyptic' } }));
    const res = await stack.api('/v1/incidents/INC-20261201-0001', { key: org.key });
    expect(res.status).toBe(502);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.body.detail).toMatch(/breaks its contract/);
    replier?.unsubscribe();

    await standIn(breachSummaryQueryV1.subject, () => ({ report: { totals: { incidents: 'many' } } }));
    expect((await stack.api('/v1/reports/breach-summary', { key: org.key })).status).toBe(502);
  });
});
