import { waitFor } from '@vigil/testing';
import { TestStack, type TestOrg } from '../src';

/**
 * The incident lifecycle through the gateway's HTTP API (gateway -> incident over core NATS, events to
 * reporting over JetStream): create, list, transitions allowed and refused, scopes, problem+json with
 * pointers, tenant isolation, timeline verification after tampering, and reporting's copy following.
 */
describe('incident lifecycle over HTTP', () => {
  let stack: TestStack;
  let acme: TestOrg;
  let globex: TestOrg;
  let readOnly: string;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'incident', 'reporting'] });
    [acme, globex] = await Promise.all([stack.createOrg('Acme', ['sec@acme.test']), stack.createOrg('Globex', ['sec@globex.test'])]);
    const key = await stack.api('/v1/api-keys', { key: acme.key, body: { name: 'console viewer', scopes: ['incidents:read'] } });
    readOnly = key.body.secret;
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const create = (key: string, body: Record<string, unknown> = {}) =>
    stack.api('/v1/incidents', { key, body: { title: 'Support mailbox compromised', discoveredAt: '2026-01-04T09:00:00Z', dataCategories: ['email', 'name'], affectedCount: 40, ...body } });
  const transition = (ref: string, body: Record<string, unknown>, key = acme.key) => stack.api(`/v1/incidents/${ref}/transitions`, { key, body });

  it('creates, lists and walks an incident through its lifecycle; refusals are problem+json with pointers', async () => {
    const created = await create(acme.key, { affectedByRegion: [{ country: 'DE', count: 25 }, { country: 'US', region: 'US-CA', count: 15 }], jurisdictions: ['DE', 'US-CA'] });
    expect(created.status).toBe(201);
    const i = created.body;
    expect(i).toMatchObject({ number: expect.stringMatching(/^INC-\d{8}-\d{4}$/), status: 'investigating', severity: 'medium', responseTarget: { hours: 24 }, origin: { kind: 'manual' } });
    expect(i.tasks.map((t: { phase: string }) => t.phase)).toEqual(['detection', 'containment', 'assessment', 'notification', 'remediation', 'closure']);
    // Discovered on 4 January: the 1 h detection task is long overdue; remediation has no clock.
    expect(i.tasks[0]).toMatchObject({ dueAt: '2026-01-04T10:00:00.000Z', overdue: true });
    expect(i.tasks[4]).toMatchObject({ dueAt: null, overdue: false });

    const forbidden = await transition(i.number, { to: 'closed', lessonsLearned: 'x' });
    expect(forbidden.status).toBe(409);
    expect(forbidden.contentType).toContain('application/problem+json');
    expect(forbidden.body).toMatchObject({ status: 409, errors: [{ pointer: '/to' }] });

    expect((await transition(i.id, { to: 'contained' })).body).toMatchObject({ status: 'contained', containedAt: expect.any(String) });
    const noReason = await transition(i.id, { to: 'investigating' });
    expect(noReason.status).toBe(422);
    expect(noReason.body.errors).toEqual([{ pointer: '/reason', message: 'required to reopen' }]);
    expect((await transition(i.id, { to: 'investigating', reason: 'second mailbox found' })).body).toMatchObject({ status: 'investigating', reopenedAt: expect.any(String) });
    for (const to of ['contained', 'resolved']) expect((await transition(i.id, { to })).status).toBe(200);
    expect((await transition(i.id, { to: 'closed' })).status).toBe(422);
    const closed = await transition(i.id, { to: 'closed', lessonsLearned: 'MFA on shared mailboxes' });
    expect(closed.body).toMatchObject({ status: 'closed', lessonsLearned: 'MFA on shared mailboxes' });
    expect(closed.body.timeline.map((t: { kind: string }) => t.kind).filter((k: string) => k === 'incident.status_changed')).toHaveLength(5);

    const listed = await stack.api('/v1/incidents?status=closed&limit=1', { key: readOnly });
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ items: [expect.objectContaining({ id: i.id, status: 'closed' })], nextCursor: null });
    const badList = await stack.api('/v1/incidents?severity=huge&limit=500', { key: acme.key });
    expect(badList.status).toBe(400);
    expect(badList.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/limit', '/severity/0']);

    // Every call was audited.
    await waitFor(async () => (await stack.count("select count(*) as n from gateway.audit_log where org_id = $1 and route = '/v1/incidents/:ref/transitions'", [acme.orgId])) === 8 || undefined, {
      timeoutMs: 10_000,
      intervalMs: 100,
      description: 'transitions audited',
    });
  });

  it('validates bodies with JSON pointers and enforces scopes', async () => {
    const bad = await create(acme.key, { title: 'nul\u0000byte', dataCategories: ['email', 'bogus'], affectedCount: -1, colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ pointer: '/title' })]);
    const bad2 = await create(acme.key, { dataCategories: ['email', 'bogus'], affectedCount: -1, colour: 'red', discoveredAt: undefined });
    expect(bad2.status).toBe(400);
    expect(bad2.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/', '/affectedCount', '/dataCategories/1', '/discoveredAt']);

    expect((await create(readOnly)).status).toBe(403);
    const i = (await create(acme.key)).body;
    expect((await stack.api(`/v1/incidents/${i.id}`, { key: readOnly })).status).toBe(200);
    expect((await transition(i.id, { to: 'contained' }, readOnly)).status).toBe(403);
    const override = await stack.api(`/v1/incidents/${i.id}`, { key: acme.key, method: 'PATCH', body: { severityOverride: { severity: 'high' } } } as never);
    expect(override.status).toBe(400);
    expect(override.body.errors).toEqual([expect.objectContaining({ pointer: '/severityOverride/reason' })]);
  });

  it("keeps each org's incidents to itself", async () => {
    const i = (await create(acme.key)).body;
    for (const path of [`/v1/incidents/${i.id}`, `/v1/incidents/${i.number}`, `/v1/incidents/${i.id}/timeline/verify`]) {
      expect((await stack.api(path, { key: globex.key })).status).toBe(404);
    }
    expect((await transition(i.id, { to: 'contained' }, globex.key)).status).toBe(404);
    expect((await stack.api(`/v1/incidents/${i.id}/affected-people`, { key: globex.key, body: { people: [{ subjectId: 'u1' }] } })).status).toBe(404);
    expect((await stack.api('/v1/incidents', { key: globex.key })).body.items.map((x: { id: string }) => x.id)).not.toContain(i.id);
    expect((await stack.api(`/v1/incidents/${i.id}`, { key: acme.key })).body.status).toBe('investigating');
  });

  it('verifies the timeline and names the entry a database owner edited', async () => {
    const i = (await create(acme.key)).body;
    expect((await stack.api(`/v1/incidents/${i.id}/notes`, { key: acme.key, body: { text: 'legal informed' } })).status).toBe(201);
    expect((await stack.api(`/v1/incidents/${i.id}/assignment`, { key: acme.key, body: { assignee: 'dana@acme.test' } })).body.assignee).toBe('dana@acme.test');
    const people = await stack.api(`/v1/incidents/${i.id}/affected-people`, { key: acme.key, body: { people: [{ subjectId: 'u1', contact: 'u1@acme.test', country: 'DE' }, { subjectId: 'u2' }] } });
    expect(people.body).toEqual({ added: 2, duplicates: 0, total: 2 });
    expect((await stack.api(`/v1/incidents/${i.id}/timeline/verify`, { key: readOnly })).body).toEqual({ intact: true, checked: 4 });
    await stack.db.query(
      `set session_replication_role = replica; update incident.incident_timeline set detail = '{"text":"nothing to report"}' where incident_id = '${i.id}' and seq = 2; set session_replication_role = origin`,
    );
    expect((await stack.api(`/v1/incidents/${i.id}/timeline/verify`, { key: readOnly })).body).toEqual({ intact: false, checked: 2, firstBrokenSeq: 2, reason: 'altered' });
  });

  it('imports affected people from a streamed CSV: invalid rows reported by line, a resend adds nothing', async () => {
    const i = (await create(acme.key, { affectedCount: null })).body;
    const rows = Array.from({ length: 5000 }, (_, n) => `user-${n},"Person ${n}, <p${n}@acme.test>",${n % 2 ? 'DE' : 'US'},${n % 2 ? '' : 'US-CA'},email;name`);
    rows[100] = 'user-100,x,Germany,,email'; // line 102: not a country code
    rows[200] = 'user-200,x,DE,,email;shoe_size'; // line 202: not a data category
    const csv = ['subjectId,contact,country,region,dataCategories', ...rows].join('\r\n') + '\r\n';
    const path = `/v1/incidents/${i.id}/affected-people/import`;
    const first = await stack.api(path, { key: acme.key, rawBody: csv, contentType: 'text/csv' });
    expect(first.status).toBe(207);
    expect(first.body).toMatchObject({ added: 4998, duplicates: 0, total: 4998, rejected: 2 });
    expect(first.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/102/country', '/202/dataCategories/1']);
    const again = await stack.api(path, { key: acme.key, rawBody: csv, contentType: 'text/csv' });
    expect(again.body).toMatchObject({ added: 0, duplicates: 4998, total: 4998 });
    const after = (await stack.api(`/v1/incidents/${i.id}`, { key: acme.key })).body;
    expect(after).toMatchObject({ affectedPeopleRows: 4998, severity: 'critical' });
    expect(await stack.count("select count(*) as n from incident.incident_affected_people where incident_id = $1 and country = 'US' and region = 'US-CA' and data_categories = '{email,name}'", [i.id])).toBe(2498); // even rows, less the two replaced

    const badHeader = await stack.api(path, { key: acme.key, rawBody: 'id,email\nu1,a@b.test\n', contentType: 'text/csv' });
    expect(badHeader.status).toBe(400);
    expect(badHeader.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/1/0', '/1/1', '/1']);
    const broken = await stack.api(path, { key: acme.key, rawBody: 'subjectId,contact\nu9,"never closed\n', contentType: 'text/csv' });
    expect(broken.status).toBe(400);
    expect(broken.body.errors).toEqual([{ pointer: '/2', message: expect.stringMatching(/never closed/) }]);
    expect((await stack.api(path, { key: acme.key, body: { people: [] } })).status).toBe(415);

    // A JSON batch larger than one NATS message (10,000 people, ~3.5 MB) is sent in chunks that fit.
    const big = (await create(acme.key)).body;
    const people = Array.from({ length: 10_000 }, (_, n) => ({ subjectId: `bulk-${n}`, contact: `${'x'.repeat(300)}-${n}@acme.test`, country: 'FR' }));
    const bulk = await stack.api(`/v1/incidents/${big.id}/affected-people`, { key: acme.key, body: { people } });
    expect(bulk).toMatchObject({ status: 200, body: { added: 10_000, duplicates: 0, total: 10_000 } });
    expect((await stack.api(path, { key: readOnly, rawBody: csv, contentType: 'text/csv' })).status).toBe(403);
    expect((await stack.api(path.replace(i.id, (await create(globex.key)).body.id), { key: acme.key, rawBody: csv, contentType: 'text/csv' })).status).toBe(404);
  });

  it("moves reporting's copy out of investigating", async () => {
    const i = (await create(acme.key, { title: 'Laptop stolen', affectedCount: 2000 })).body;
    expect(i.severity).toBe('critical');
    await transition(i.id, { to: 'contained' });
    await stack.settle();
    const report = await stack.api('/v1/reports/breach-summary', { key: acme.key });
    expect(report.body.incidents.find((x: { id: string }) => x.id === i.id)).toMatchObject({ status: 'contained', severity: 'critical' });
  });
});
