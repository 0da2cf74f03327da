import { TestStack, type TestOrg } from '../src';

/**
 * Issue 8 through the gateway's HTTP API: notification requests, drill reports and playbook
 * templates, with their scopes (403), tenant isolation (404) and problem+json with pointers.
 */
describe('incident response over HTTP', () => {
  let stack: TestStack;
  let acme: TestOrg;
  let globex: TestOrg;
  let readOnly: string;
  let writer: string;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'incident'] });
    [acme, globex] = await Promise.all([stack.createOrg('Acme', ['sec@acme.test']), stack.createOrg('Globex', ['sec@globex.test'])]);
    readOnly = (await stack.api('/v1/api-keys', { key: acme.key, body: { name: 'viewer', scopes: ['incidents:read'] } })).body.secret;
    writer = (await stack.api('/v1/api-keys', { key: acme.key, body: { name: 'responder', scopes: ['incidents:read', 'incidents:write'] } })).body.secret;
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const create = (key: string, body: Record<string, unknown> = {}) =>
    stack.api('/v1/incidents', { key, body: { title: 'CRM export leaked', discoveredAt: '2026-01-04T09:00:00Z', affectedPeople: [{ subjectId: 'c1' }, { subjectId: 'c2' }], ...body } });

  it('records a notification request (201), refuses it without the scope (403) and for another org (404)', async () => {
    const i = (await create(writer, { drill: true })).body;
    const path = `/v1/incidents/${i.number}/notification-requests`;
    const made = await stack.api(path, { key: writer, body: { channel: 'both', message: 'Please reset your password.' } });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ incidentId: i.id, channel: 'both', count: 2, allPeople: true, drill: true, message: 'Please reset your password.' });
    expect((await stack.api(path, { key: readOnly, body: { channel: 'email' } })).status).toBe(403);
    expect((await stack.api(`/v1/incidents/${i.id}/notification-requests`, { key: globex.key, body: { channel: 'email' } })).status).toBe(404);

    const bad = await stack.api(path, { key: writer, body: { channel: 'pigeon', subjectIds: [], extra: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.contentType).toContain('application/problem+json');
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/', '/channel', '/subjectIds']);
    const unknown = await stack.api(path, { key: writer, body: { channel: 'email', subjectIds: ['c1', 'x9'] } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ pointer: '/subjectIds/1', message: 'not an affected person of this incident' }]);
  });

  it('reports how long a drill took; a real incident has no drill report (409)', async () => {
    const drill = (await create(writer, { drill: true })).body;
    for (const to of ['contained', 'resolved']) expect((await stack.api(`/v1/incidents/${drill.id}/transitions`, { key: writer, body: { to } })).status).toBe(200);
    const report = await stack.api(`/v1/incidents/${drill.id}/drill-report`, { key: readOnly });
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ number: drill.number, discoveredAt: '2026-01-04T09:00:00.000Z', totalSeconds: null, steps: [{ status: 'contained' }, { status: 'resolved' }, { status: 'closed', at: null }] });
    // Discovered on 4 January, contained now: every step is long after discovery, and detection's 1 h deadline has passed.
    expect(report.body.steps[0].elapsedSeconds).toBe(Math.floor((Date.parse(report.body.steps[0].at) - Date.parse('2026-01-04T09:00:00Z')) / 1000));
    expect(report.body.tasks[0]).toMatchObject({ phase: 'detection', deadline: 'overdue', completedAt: null });

    const real = (await create(writer)).body;
    const refused = await stack.api(`/v1/incidents/${real.id}/drill-report`, { key: readOnly });
    expect(refused.status).toBe(409);
    expect(refused.contentType).toContain('application/problem+json');
    expect((await stack.api(`/v1/incidents/${drill.id}/drill-report`, { key: globex.key })).status).toBe(404);
  });

  it('keeps a playbook template per org (admin to change it) and starts new incidents from it', async () => {
    const tasks = [
      { phase: 'detection', title: 'Call the DPO', dueAfterHours: 1 },
      { phase: 'notification', title: 'Tell the customers', dueAfterHours: 48 },
    ];
    expect((await stack.api('/v1/playbook-template', { key: writer, method: 'PUT', body: { tasks } })).status).toBe(403);
    const bad = await stack.api('/v1/playbook-template', { key: acme.key, method: 'PUT', body: { tasks: [{ phase: 'party', title: 'x', dueAfterHours: 1.5 }] } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/tasks/0/dueAfterHours', '/tasks/0/phase']);
    const saved = await stack.api('/v1/playbook-template', { key: acme.key, method: 'PUT', body: { tasks } });
    expect(saved).toMatchObject({ status: 200, body: { custom: true, tasks } });
    expect((await stack.api('/v1/playbook-template', { key: readOnly })).body).toEqual(saved.body);

    const i = (await create(writer)).body;
    expect(i.tasks.map((t: { title: string; dueAt: string }) => [t.title, t.dueAt])).toEqual([
      ['Call the DPO', '2026-01-04T10:00:00.000Z'],
      ['Tell the customers', '2026-01-06T09:00:00.000Z'],
    ]);
    expect((await create(globex.key)).body.tasks).toHaveLength(6);
    expect((await stack.api('/v1/playbook-template', { key: globex.key })).body).toMatchObject({ custom: false });
  });
});
