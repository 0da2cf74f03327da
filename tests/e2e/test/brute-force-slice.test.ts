import { createEvent, detectionTriggeredV1, eventSubject, newId } from '@vigil/contracts';
import { encodeEvent, publishRaw } from '@vigil/messaging';
import { waitFor } from '@vigil/testing';
import { TestStack, loginFailed, type TestOrg } from '../src';

/**
 * The walking skeleton end to end: gateway -> ingest -> detection -> incident -> notification + reporting,
 * every service its own process, over a private NATS server, a fresh database and a real SMTP sink.
 */
describe('brute-force slice (all six services)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.start();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const incidentsOf = (org: TestOrg) => stack.count('select count(*) as n from incident.incidents where org_id = $1', [org.orgId]);
  const mailsTo = (address: string) => stack.smtp.messages.filter((m) => m.to.includes(address));

  async function submit(org: TestOrg, events: unknown[]) {
    const res = await stack.api('/v1/events', { key: org.key, body: events });
    expect(res.status).toBe(202);
    return res.body;
  }

  it('turns 5 failed logins from one IP into one incident, one admin email and a report line', async () => {
    const org = await stack.createOrg('Acme', ['sec@acme.test']);
    const batch = Array.from({ length: 5 }, () => loginFailed('203.0.113.7'));
    const accepted = await submit(org, batch);
    expect(accepted).toMatchObject({ accepted: 5, rejected: 0 });

    const [mail] = await stack.smtp.waitForMessages(1, (m) => m.to.includes('sec@acme.test'), 60_000);
    await stack.settle();

    expect(await incidentsOf(org)).toBe(1);
    const summary = await stack.api('/v1/reports/breach-summary', { key: org.key });
    expect(summary.status).toBe(200);
    expect(summary.body.totals.incidents).toBe(1);
    const listed = summary.body.incidents[0];
    expect(listed.number).toMatch(/^INC-\d{8}-0001$/);

    const incident = await stack.api(`/v1/incidents/${listed.number}`, { key: org.key });
    expect(incident.status).toBe(200);
    expect(incident.body).toMatchObject({ number: listed.number, severity: 'medium', status: 'investigating', category: 'brute_force' });
    expect(incident.body.origin.ip).toBe('203.0.113.7');
    expect((await stack.api(`/v1/incidents/${listed.id}`, { key: org.key })).body.number).toBe(listed.number);

    expect(mail!.subject).toContain(listed.number);
    expect(mailsTo('sec@acme.test')).toHaveLength(1);

    // The same batch again (a producer retry): every event is a duplicate and nothing new happens.
    const again = await submit(org, batch);
    expect(again).toMatchObject({ accepted: 0, duplicates: 5, rejected: 0 });
    await stack.settle();
    expect(await stack.count('select count(*) as n from ingest.raw_events where org_id = $1', [org.orgId])).toBe(5);
    expect(await incidentsOf(org)).toBe(1);
    expect(mailsTo('sec@acme.test')).toHaveLength(1);
  });

  it('keeps 50 failures from one IP in one window as one incident, and writes never fail', async () => {
    const org = await stack.createOrg('Fifty', ['soc@fifty.test']);
    const start = Date.now() - 10 * 60_000;
    // Ten accounts, five tries each: brute force by IP only (not on an account, not credential stuffing).
    const events = Array.from({ length: 50 }, (_, i) => loginFailed('198.51.100.23', { at: new Date(start + i * 10_000), username: `user${i % 10}@fifty.test` }));
    for (let i = 0; i < 50; i += 10) expect((await submit(org, events.slice(i, i + 10))).accepted).toBe(10);
    await stack.smtp.waitForMessages(1, (m) => m.to.includes('soc@fifty.test'), 60_000);
    await stack.settle();

    expect(await stack.count('select count(*) as n from ingest.raw_events where org_id = $1', [org.orgId])).toBe(50);
    expect(await stack.count("select count(*) as n from detection.observed_events where org_id = $1 and type = 'login.failed'", [org.orgId])).toBe(50);
    expect(await incidentsOf(org)).toBe(1);
    expect(mailsTo('soc@fifty.test')).toHaveLength(1);
    expect(await stack.deadLetterCount()).toBe(0);
  });

  it('opens one incident per attacking IP: 3 IPs -> 3 incidents', async () => {
    const org = await stack.createOrg('Three', ['ir@three.test']);
    const ips = ['192.0.2.10', '192.0.2.11', '2001:db8::bad'];
    await submit(org, ips.flatMap((ip) => Array.from({ length: 5 }, () => loginFailed(ip))));
    await stack.smtp.waitForMessages(3, (m) => m.to.includes('ir@three.test'), 60_000);
    await stack.settle();

    expect(await incidentsOf(org)).toBe(3);
    const numbers = await stack.db.query<{ number: string }>('select number from incident.incidents where org_id = $1 order by number', [org.orgId]);
    expect(numbers.map((n) => n.number.slice(-4))).toEqual(['0001', '0002', '0003']);
    expect(mailsTo('ir@three.test')).toHaveLength(3);
    expect((await stack.api('/v1/reports/breach-summary', { key: org.key })).body.totals.incidents).toBe(3);
  });

  it('raises nothing for 4 failures', async () => {
    const org = await stack.createOrg('Four', ['ops@four.test']);
    await submit(org, Array.from({ length: 4 }, () => loginFailed('203.0.113.99')));
    await waitFor(async () => (await stack.count("select count(*) as n from detection.observed_events where org_id = $1 and type = 'login.failed'", [org.orgId])) === 4, {
      timeoutMs: 30_000,
      description: 'detection to see the 4 failures',
    });
    await stack.settle();
    expect(await incidentsOf(org)).toBe(0);
    expect(mailsTo('ops@four.test')).toHaveLength(0);
    expect((await stack.api('/v1/reports/breach-summary', { key: org.key })).body.totals.incidents).toBe(0);
  });

  it('creates no second incident for a redelivered detection.triggered (same event id)', async () => {
    const org = await stack.createOrg('Replay', ['dpo@replay.test']);
    const detectionId = newId();
    const event = createEvent(detectionTriggeredV1, {
      id: detectionId,
      orgid: org.orgId,
      source: 'vigil://detection',
      data: {
        detectionId,
        ruleId: 'brute_force.ip',
        ruleVersion: 1,
        correlationKey: 'brute_force.ip:192.0.2.200',
        severity: 'medium',
        title: 'Brute force attack detected from 192.0.2.200',
        summary: '5 failed logins',
        windowStart: new Date().toISOString(),
        windowEnd: new Date().toISOString(),
        count: 5,
        threshold: 5,
        evidence: { ip: '192.0.2.200', eventIds: [] },
      },
    });
    const js = (await stack.natsConnection()).jetstream();
    const subject = eventSubject(event.type, org.orgId);
    // Distinct Nats-Msg-Ids get past JetStream's publish dedup, as a redelivery or a replay would:
    // only the incident service's inbox stands between these copies and a second incident.
    for (const copy of ['a', 'b', 'c']) await publishRaw(js, subject, `${event.id}:${copy}`, encodeEvent(event));
    await stack.smtp.waitForMessages(1, (m) => m.to.includes('dpo@replay.test'), 60_000);
    await stack.settle();

    expect(await incidentsOf(org)).toBe(1);
    expect(await stack.count("select count(*) as n from incident.inbox where consumer = 'incident-detection-triggered' and event_id = $1", [event.id])).toBe(1);
    expect(mailsTo('dpo@replay.test')).toHaveLength(1);
  });

  it('isolates tenants: one org cannot read another org\'s incident', async () => {
    const a = await stack.createOrg('Tenant A', ['a@tenant-a.test']);
    const b = await stack.createOrg('Tenant B', ['b@tenant-b.test']);
    await submit(a, Array.from({ length: 5 }, () => loginFailed('203.0.113.50')));
    await stack.smtp.waitForMessages(1, (m) => m.to.includes('a@tenant-a.test'), 60_000);
    await stack.settle();
    const [row] = await stack.db.query<{ id: string; number: string }>('select id, number from incident.incidents where org_id = $1', [a.orgId]);

    expect((await stack.api(`/v1/incidents/${row!.id}`, { key: a.key })).status).toBe(200);
    const foreign = await stack.api(`/v1/incidents/${row!.id}`, { key: b.key });
    expect(foreign.status).toBe(404);
    expect(foreign.contentType).toContain('application/problem+json');
    expect((await stack.api('/v1/reports/breach-summary', { key: b.key })).body.totals.incidents).toBe(0);
    // B's identical IP activity is B's own: same IP, separate window, separate (no) incident.
    expect(await incidentsOf(b)).toBe(0);
  });
});
