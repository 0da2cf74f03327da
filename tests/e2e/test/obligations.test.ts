import { streams } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { TestStack, type TestOrg } from '../src';

const HOUR = 3_600_000;

/**
 * Legal clocks over the real gateway, incident service, PostgreSQL and NATS: the regime table, an
 * incident's obligations (who, by when, from which fact, citing the rule), reports made under them,
 * the compliance profile, and the deadline monitor publishing each miss once.
 */
describe('regulatory obligations', () => {
  let stack: TestStack;
  let org: TestOrg;
  let other: TestOrg;

  beforeAll(async () => {
    // The monitor looks every 300 ms here (60 s in production), so its passes can be counted.
    stack = await TestStack.start({ services: ['gateway', 'incident'], env: { incident: { VIGIL_DEADLINE_MONITOR_MS: '300' } } });
    [org, other] = await Promise.all([stack.createOrg('Obligations', ['dpo@obligations.test']), stack.createOrg('Other', ['dpo@other.test'])]);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const create = async (body: Record<string, unknown>, key = org.key) => {
    const res = await stack.api('/v1/incidents', { key, body: { title: 'Customer database copied', category: 'data_breach', ...body } });
    expect(res.status).toBe(201);
    return res.body as { id: string; number: string };
  };
  const obligationsOf = async (ref: string, key = org.key) => stack.api(`/v1/incidents/${ref}/obligations`, { key });
  /** incident.deadline_missed events published for an incident, per rule. */
  const missed = async (incidentId: string) => {
    const jsm = await (await stack.natsConnection()).jetstreamManager();
    const info = await jsm.streams.info(streams.incidents.name);
    const perRule = new Map<string, number>();
    for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(streams.incidents.name, { seq }).catch(() => undefined);
      if (!m?.subject.startsWith('incident.deadline_missed.')) continue;
      const e = m.json() as { data: { incidentId: string; ruleId: string } };
      if (e.data.incidentId === incidentId) perRule.set(e.data.ruleId, (perRule.get(e.data.ruleId) ?? 0) + 1);
    }
    return perRule;
  };

  it('serves the regime table, every rule citing its source', async () => {
    const res = await stack.api('/v1/regimes', { key: org.key });
    expect(res.status).toBe(200);
    const ids = res.body.regimes.map((r: { id: string }) => r.id);
    expect(ids).toEqual(expect.arrayContaining(['eu-gdpr', 'uk-gdpr', 'us-ca', 'us-hipaa', 'eu-nis2', 'ph-npc', 'br-lgpd', 'ca-pipeda', 'sg-pdpa', 'us-nydfs']));
    for (const regime of res.body.regimes) for (const rule of regime.rules) expect(rule.citation.reference).toEqual(expect.any(String));
  });

  it('computes the GDPR Art. 33 deadline from awareness, 72 hours through the weekend', async () => {
    // Friday 17:00 in Brussels (16:00 UTC): due Monday 17:00 local.
    const incident = await create({ discoveredAt: '2026-11-20T16:00:00.000Z', affectedByRegion: [{ country: 'BE', count: 40 }], dataCategories: ['email', 'name'] });
    const res = await obligationsOf(incident.number);
    expect(res.status).toBe(200);
    const art33 = res.body.obligations.find((o: { ruleId: string }) => o.ruleId === 'eu-gdpr.art33.authority');
    expect(art33).toMatchObject({ applies: true, audience: 'authority', due: '2026-11-23T16:00:00.000Z', clockStart: { fact: 'awareness', at: '2026-11-20T16:00:00.000Z' }, citation: { reference: expect.stringMatching(/Art\. 33/) } });
    // E-mail addresses of 40 people, unencrypted: the authority, not (yet) the people.
    expect(res.body.recommendation).toMatchObject({ action: 'notify_authority', rationale: [expect.stringMatching(/authority must be told under EU GDPR/)] });
    expect(res.body.recommendation.remediation).toEqual(expect.arrayContaining([expect.stringMatching(/^Preserve evidence/), expect.stringMatching(/^Encrypt the exposed data/)]));
  });

  it('publishes a missed deadline once however many passes the monitor makes, and asks a late report for its reasons', async () => {
    const incident = await create({ discoveredAt: new Date(Date.now() - 5 * 24 * HOUR).toISOString(), affectedByRegion: [{ country: 'FR', count: 12 }], dataCategories: ['email'] });
    await waitFor(async () => ((await missed(incident.id)).get('eu-gdpr.art33.authority') ?? 0) > 0, { timeoutMs: 20_000, description: 'the monitor to report the missed Art. 33 deadline' });
    // Let the monitor pass over it many more times.
    const notices = await stack.count('select count(*) as n from incident.deadline_notices where incident_id = $1', [incident.id]);
    await new Promise((r) => setTimeout(r, 2_000));
    const perRule = await missed(incident.id);
    expect(perRule.get('eu-gdpr.art33.authority')).toBe(1);
    expect([...perRule.values()].every((n) => n === 1)).toBe(true);
    expect(await stack.count('select count(*) as n from incident.deadline_notices where incident_id = $1', [incident.id])).toBe(notices);

    const report = { ruleId: 'eu-gdpr.art33.authority', reportedAt: new Date().toISOString(), reference: 'CNIL-2026-0042' };
    const noReasons = await stack.api(`/v1/incidents/${incident.id}/obligations/reports`, { key: org.key, body: report });
    expect(noReasons.status).toBe(422);
    expect(noReasons.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: '/reasonsForDelay' })]));

    const done = await stack.api(`/v1/incidents/${incident.id}/obligations/reports`, { key: org.key, body: { ...report, reasonsForDelay: 'Forensics took five days to confirm which records were copied.' } });
    expect(done.status).toBe(201);
    const art33 = done.body.obligations.find((o: { ruleId: string }) => o.ruleId === 'eu-gdpr.art33.authority');
    expect(art33.report).toMatchObject({ reference: 'CNIL-2026-0042', late: true });
    const again = await stack.api(`/v1/incidents/${incident.id}/obligations/reports`, { key: org.key, body: { ...report, reasonsForDelay: 'again' } });
    expect(again.status).toBe(422);
    expect(again.body.errors).toEqual([{ pointer: '/ruleId', message: expect.stringMatching(/already reported \(reference CNIL-2026-0042\)/) }]);
    const view = await stack.api(`/v1/incidents/${incident.id}`, { key: org.key });
    expect(view.body.timeline.map((t: { kind: string }) => t.kind)).toContain('obligation.reported');
    expect(view.body.reportedToAuthorities).toBe(true);
  });

  it('applies entity-scoped regimes only once the compliance profile says the org is bound by them', async () => {
    const body = { discoveredAt: new Date(Date.now() - HOUR).toISOString(), affectedByRegion: [{ country: 'US', region: 'US-TX', count: 700 }], dataCategories: ['health', 'name'] };
    const before = await create(body);
    const hipaa = (res: { body: { obligations: { ruleId: string; applies: boolean }[] } }) => res.body.obligations.find((o) => o.ruleId === 'us-hipaa.individuals')?.applies;
    expect(hipaa(await obligationsOf(before.id))).toBe(false);

    const readOnly = await stack.api('/v1/api-keys', { key: org.key, body: { name: 'reader', scopes: ['incidents:read'] } });
    const denied = await stack.api('/v1/compliance-profile', { key: readOnly.body.secret, method: 'PUT', body: { flags: { hipaaCoveredEntity: true } } });
    expect(denied.status).toBe(403);
    const bad = await stack.api('/v1/compliance-profile', { key: org.key, method: 'PUT', body: { flags: { hipaaCoveredEntity: 'yes' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ pointer: '/flags/hipaaCoveredEntity' })]);
    const set = await stack.api('/v1/compliance-profile', { key: org.key, method: 'PUT', body: { flags: { hipaaCoveredEntity: true } } });
    expect(set.status).toBe(200);
    expect(set.body.flags).toMatchObject({ hipaaCoveredEntity: true, nis2Entity: false });
    expect(hipaa(await obligationsOf(before.id))).toBe(true);
    // Another organisation's profile is its own.
    expect((await stack.api('/v1/compliance-profile', { key: other.key })).body.flags.hipaaCoveredEntity).toBe(false);
  });

  it('gives a drill no obligations and hides an incident from other organisations', async () => {
    const drill = await create({ discoveredAt: new Date(Date.now() - 4 * 24 * HOUR).toISOString(), affectedByRegion: [{ country: 'DE', count: 5000 }], dataCategories: ['payment_card'], drill: true });
    const res = await obligationsOf(drill.id);
    expect(res.body).toMatchObject({ drill: true, obligations: [] });
    expect((await obligationsOf(drill.id, other.key)).status).toBe(404);
    const report = await stack.api(`/v1/incidents/${drill.id}/obligations/reports`, { key: other.key, body: { ruleId: 'eu-gdpr.art33.authority', reportedAt: new Date().toISOString(), reference: 'x' } });
    expect(report.status).toBe(404);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await stack.count('select count(*) as n from incident.deadline_notices where incident_id = $1', [drill.id])).toBe(0);
  });
});
