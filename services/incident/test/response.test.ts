import { randomUUID } from 'node:crypto';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { connect, type JetStreamClient, type NatsConnection } from 'nats';
import { firstValueFrom } from 'rxjs';
import {
  eventSubject,
  incidentAddAffectedPeopleCommandV1,
  incidentCreateCommandV1,
  incidentDrillReportQueryV1,
  incidentGetQueryV1,
  incidentNotificationRequestCommandV1,
  incidentNotificationRequestedV1,
  incidentTaskUpdateCommandV1,
  incidentTransitionCommandV1,
  incidentUpdateCommandV1,
  playbookTemplateGetQueryV1,
  playbookTemplatePutCommandV1,
  streams,
  type IncidentViewV1,
  type QueryDefinition,
  type QueryReply,
  type QueryRequest,
} from '@vigil/contracts';
import { decodeEvent } from '@vigil/messaging';
import { bootstrapService, createLogger, loadConfig } from '@vigil/platform';
import { createTestDatabase, startNats, waitFor, type TestDatabase, type TestNats } from '@vigil/testing';
import { AppModule } from '../src/app.module';
import { incidentEnvSchema } from '../src/config';

/**
 * Issue 8 against real PostgreSQL and NATS, driven over the incident service's request/reply
 * commands: notification requests (and their event), drill reports, the response-target status and
 * per-org playbook templates.
 */
const HOUR = 3_600_000;
const actor = { type: 'api-key' as const, id: 'key-1' };

let db: TestDatabase;
let nats: TestNats;
let app: Awaited<ReturnType<typeof bootstrapService>>;
let client: ClientProxy;
let nc: NatsConnection;
let js: JetStreamClient;

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase({ schemas: ['incident'] }), startNats()]);
  const config = loadConfig(incidentEnvSchema, { PORT: '0', DATABASE_URL: db.urlFor('incident'), NATS_URL: nats.url, LOG_LEVEL: 'silent' }, 'incident');
  const log = createLogger('incident', config.LOG_LEVEL);
  app = await bootstrapService(AppModule(config, log), { config, log, rpcQueue: 'incident' });
  client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: [nats.url] } });
  await client.connect();
  nc = await connect({ servers: nats.url });
  js = nc.jetstream();
}, 60_000);

afterAll(async () => {
  await client?.close();
  await app?.close();
  await nc?.close();
  await nats?.stop();
  await db?.drop();
});

async function ask<Q extends QueryDefinition>(q: Q, req: QueryRequest<Q>): Promise<QueryReply<Q>> {
  return q.reply.parse(await firstValueFrom(client.send(q.subject, req))) as QueryReply<Q>;
}

async function command<Q extends QueryDefinition>(q: Q, req: QueryRequest<Q>): Promise<IncidentViewV1> {
  const r = (await ask(q, req)) as { incident?: IncidentViewV1; error?: string; detail?: string };
  if (!r.incident) throw new Error(`${r.error}: ${r.detail}`);
  return r.incident;
}

const create = (orgId: string, body: Partial<QueryRequest<typeof incidentCreateCommandV1>['body']> = {}) =>
  command(incidentCreateCommandV1, { orgId, actor, body: { title: 'Payroll export leaked', discoveredAt: '2026-01-04T09:00:00.000Z', ...body } });
const get = async (orgId: string, ref: string) => {
  const r = await ask(incidentGetQueryV1, { orgId, ref });
  if (!('incident' in r) || !r.incident) throw new Error(`no incident ${ref}`);
  return r.incident;
};
const to = (orgId: string, ref: string, status: 'contained' | 'resolved' | 'closed' | 'investigating', extra: Record<string, string> = {}) =>
  command(incidentTransitionCommandV1, { orgId, actor, ref, body: { to: status, ...extra } });
const people = (n: number) => Array.from({ length: n }, (_, i) => ({ subjectId: `emp-${i}`, contact: `emp${i}@example.test` }));
const notify = (orgId: string, ref: string, body: QueryRequest<typeof incidentNotificationRequestCommandV1>['body']) => ask(incidentNotificationRequestCommandV1, { orgId, actor, ref, body });

/** Every incident.notification_requested event of the org on the stream, decoded. */
async function requestedEvents(orgId: string, expected: number) {
  const subject = eventSubject('incident.notification_requested', orgId);
  await waitFor(
    async () => {
      const info = await (await nc.jetstreamManager()).streams.info(streams.incidents.name, { subjects_filter: subject });
      return (info.state.subjects?.[subject] ?? 0) >= expected || undefined;
    },
    { timeoutMs: 30_000, intervalMs: 100, description: `${expected} notification requests published` },
  );
  const consumer = await js.consumers.get(streams.incidents.name, { filterSubjects: subject });
  const events = [];
  for await (const m of await consumer.fetch({ max_messages: expected + 1, expires: 2_000 })) events.push(decodeEvent(m, incidentNotificationRequestedV1));
  return events;
}

describe('notification requests', () => {
  it('records each request with its own id and announces it once, drill flag and counts included', async () => {
    const org = randomUUID();
    const i = await create(org, { affectedPeople: people(3) });
    const all = await notify(org, i.number, { channel: 'email', message: 'Your payslip data was exposed.' });
    const some = await notify(org, i.id, { channel: 'in_app', subjectIds: ['emp-2', 'emp-0', 'emp-2'] });
    if (!('request' in all) || !('request' in some)) throw new Error(`refused: ${JSON.stringify([all, some])}`);
    expect(all.request).toMatchObject({ incidentId: i.id, number: i.number, channel: 'email', count: 3, allPeople: true, drill: false, requestedBy: actor, message: 'Your payslip data was exposed.' });
    expect(some.request).toMatchObject({ channel: 'in_app', count: 2, allPeople: false, message: null });
    expect(some.request.id).not.toBe(all.request.id);

    const events = await requestedEvents(org, 2);
    expect(events).toHaveLength(2);
    expect(events.map((e) => e.data)).toEqual([
      expect.objectContaining({ requestId: all.request.id, incidentId: i.id, number: i.number, requestedBy: actor, channel: 'email', count: 3, allPeople: true, drill: false }),
      expect.objectContaining({ requestId: some.request.id, channel: 'in_app', count: 2, allPeople: false, drill: false }),
    ]);
    expect(events.map((e) => e.subject)).toEqual([i.number, i.number]);

    const view = await get(org, i.id);
    expect(view.timeline.filter((t) => t.kind === 'notification.requested').map((t) => t.detail)).toEqual([
      expect.objectContaining({ requestId: all.request.id, count: 3 }),
      expect.objectContaining({ requestId: some.request.id, subjectIds: ['emp-2', 'emp-0'] }),
    ]);
  });

  it('counts the people recorded when asked, added later included', async () => {
    const org = randomUUID();
    const i = await create(org, { affectedPeople: people(1) });
    await ask(incidentAddAffectedPeopleCommandV1, { orgId: org, actor, ref: i.id, body: { people: people(4) } });
    expect(await notify(org, i.id, { channel: 'email' })).toMatchObject({ request: { count: 4, allPeople: true } });
  });

  it('says drill=true for a drill', async () => {
    const org = randomUUID();
    const i = await create(org, { drill: true, affectedPeople: people(1) });
    expect(await notify(org, i.id, { channel: 'both' })).toMatchObject({ request: { drill: true, count: 1 } });
    const [event] = await requestedEvents(org, 1);
    expect(event!.data).toMatchObject({ drill: true, channel: 'both', snapshot: { drill: true } });
  });

  it('refuses unknown subjects (422, pointers), nobody recorded or a closed incident (409), another org (404)', async () => {
    const org = randomUUID();
    const i = await create(org, { affectedPeople: people(2) });
    expect(await notify(org, i.id, { channel: 'email', subjectIds: ['emp-1', 'ghost', 'emp-0', 'nobody'] })).toMatchObject({
      error: 'unprocessable',
      errors: [{ pointer: '/subjectIds/1' }, { pointer: '/subjectIds/3' }],
    });
    const empty = await create(org, {});
    expect(await notify(org, empty.id, { channel: 'email' })).toMatchObject({ error: 'conflict' });
    expect(await notify(randomUUID(), i.id, { channel: 'email' })).toMatchObject({ error: 'not-found' });
    expect(await notify(org, i.id, { channel: 'sms' } as never)).toMatchObject({ error: 'bad-request', errors: [{ pointer: '/channel' }] });
    for (const s of ['contained', 'resolved'] as const) await to(org, i.id, s);
    await to(org, i.id, 'closed', { lessonsLearned: 'encrypt exports' });
    expect(await notify(org, i.id, { channel: 'email' })).toMatchObject({ error: 'conflict' });
    // None of the refusals left a trace.
    expect((await get(org, i.id)).timeline.filter((t) => t.kind === 'notification.requested')).toEqual([]);
  });
});

describe('drill report', () => {
  it('times each step from discovery, each task against its deadline, the first notification and the total', async () => {
    const org = randomUUID();
    const discovered = new Date(Math.floor(Date.now() / 1000) * 1000 - 2 * HOUR);
    const i = await create(org, { drill: true, discoveredAt: discovered.toISOString(), affectedPeople: people(2) });
    const task = (phase: string) => i.tasks.find((t) => t.phase === phase)!;
    // Detection was due an hour ago (missed); assessment is due in 22 h (met).
    for (const phase of ['detection', 'assessment']) await command(incidentTaskUpdateCommandV1, { orgId: org, actor, ref: i.id, taskId: task(phase).id, body: { completed: true } });
    const contained = await to(org, i.id, 'contained');
    await to(org, i.id, 'investigating', { reason: 'second host found' });
    await to(org, i.id, 'contained');
    await notify(org, i.id, { channel: 'email' });
    await notify(org, i.id, { channel: 'in_app' });
    await to(org, i.id, 'resolved');
    const closed = await to(org, i.id, 'closed', { lessonsLearned: 'practise more' });

    const reply = await ask(incidentDrillReportQueryV1, { orgId: org, ref: i.number });
    if (!('report' in reply)) throw new Error(JSON.stringify(reply));
    const r = reply.report;
    const secs = (at: string) => Math.floor((Date.parse(at) - discovered.getTime()) / 1000);
    const requests = closed.timeline.filter((t) => t.kind === 'notification.requested');
    const statusAt = (s: string) => closed.timeline.find((t) => t.kind === 'incident.status_changed' && (t.detail as { to: string }).to === s)!.at;

    // The first containment counts, not the one after the reopen (which containedAt holds).
    expect(statusAt('contained')).toBe(contained.containedAt);
    expect(closed.containedAt).not.toBe(contained.containedAt);
    expect(r.steps).toEqual([
      { status: 'contained', at: contained.containedAt, elapsedSeconds: secs(contained.containedAt!) },
      { status: 'resolved', at: closed.resolvedAt, elapsedSeconds: secs(closed.resolvedAt!) },
      { status: 'closed', at: closed.closedAt, elapsedSeconds: secs(closed.closedAt!) },
    ]);
    expect(r.steps.every((s) => s.elapsedSeconds! >= 2 * 3600)).toBe(true);
    expect(r.totalSeconds).toBe(secs(closed.closedAt!));
    expect(r.notificationRequestedAt).toBe(requests[0]!.at);
    expect(r.notificationRequestedAfterSeconds).toBe(secs(requests[0]!.at));
    expect(r.tasks.map((t) => [t.phase, t.deadline, t.completedAt === null ? null : t.elapsedSeconds])).toEqual([
      ['detection', 'missed', secs(closed.tasks[0]!.completedAt!)],
      ['containment', 'pending', null],
      ['assessment', 'met', secs(closed.tasks[2]!.completedAt!)],
      ['notification', 'pending', null],
      ['remediation', null, null],
      ['closure', null, null],
    ]);
  });

  it('is refused for a real incident (409) and for another org (404); an open drill has no total', async () => {
    const org = randomUUID();
    const real = await create(org, {});
    expect(await ask(incidentDrillReportQueryV1, { orgId: org, ref: real.id })).toMatchObject({ error: 'conflict' });
    const drill = await create(org, { drill: true });
    expect(await ask(incidentDrillReportQueryV1, { orgId: randomUUID(), ref: drill.id })).toMatchObject({ error: 'not-found' });
    expect(await ask(incidentDrillReportQueryV1, { orgId: org, ref: drill.id })).toMatchObject({
      report: { totalSeconds: null, notificationRequestedAt: null, steps: [{ at: null }, { at: null }, { at: null }] },
    });
  });
});

describe('response-target status', () => {
  it('is pending, then met when contained in time; overdue, then missed when contained late', async () => {
    const org = randomUUID();
    // Low severity: 48 h target.
    const fresh = await create(org, { discoveredAt: new Date(Date.now() - HOUR).toISOString() });
    expect(fresh.responseTarget).toMatchObject({ hours: 48, status: 'pending' });
    expect((await to(org, fresh.id, 'contained')).responseTarget.status).toBe('met');
    // Reopened: still met, the first containment answered the target.
    expect((await to(org, fresh.id, 'investigating', { reason: 'another host' })).responseTarget.status).toBe('met');
    const old = await create(org, { discoveredAt: '2026-01-04T09:00:00.000Z' });
    expect(old.responseTarget).toEqual({ hours: 48, dueAt: '2026-01-06T09:00:00.000Z', status: 'overdue' });
    expect((await to(org, old.id, 'contained')).responseTarget.status).toBe('missed');
  });
});

describe('playbook templates', () => {
  const template = [
    { phase: 'detection' as const, title: 'Page the on-call lead', dueAfterHours: 0 },
    { phase: 'containment' as const, title: 'Revoke the leaked tokens', dueAfterHours: 2 },
    { phase: 'containment' as const, title: 'Rotate the signing keys', dueAfterHours: 6 },
    { phase: 'closure' as const, title: 'Board summary', dueAfterHours: null },
  ];

  it("new incidents follow the org's template; open ones and other orgs keep theirs; deadlines move with discovery", async () => {
    const org = randomUUID();
    const other = randomUUID();
    expect(await ask(playbookTemplateGetQueryV1, { orgId: org })).toMatchObject({ template: { custom: false, updatedAt: null, tasks: { length: 6 } } });
    const before = await create(org, {});
    const saved = await ask(playbookTemplatePutCommandV1, { orgId: org, actor, body: { tasks: template } });
    expect(saved).toMatchObject({ template: { custom: true, tasks: template, updatedAt: expect.any(String) } });
    expect(await ask(playbookTemplateGetQueryV1, { orgId: org })).toEqual(saved);

    const after = await create(org, {});
    expect(after.tasks.map((t) => [t.phase, t.title, t.dueAt])).toEqual([
      ['detection', 'Page the on-call lead', '2026-01-04T09:00:00.000Z'],
      ['containment', 'Revoke the leaked tokens', '2026-01-04T11:00:00.000Z'],
      ['containment', 'Rotate the signing keys', '2026-01-04T15:00:00.000Z'],
      ['closure', 'Board summary', null],
    ]);
    expect(new Set(after.tasks.map((t) => t.id)).size).toBe(4);
    expect((await get(org, before.id)).tasks).toHaveLength(6);
    expect((await create(other, {})).tasks.map((t) => t.phase)).toEqual(['detection', 'containment', 'assessment', 'notification', 'remediation', 'closure']);
    expect(await ask(playbookTemplateGetQueryV1, { orgId: other })).toMatchObject({ template: { custom: false } });

    await command(incidentTaskUpdateCommandV1, { orgId: org, actor, ref: after.id, taskId: after.tasks[1]!.id, body: { completed: true } });
    const moved = await command(incidentUpdateCommandV1, { orgId: org, actor, ref: after.id, body: { discoveredAt: '2026-01-05T09:00:00.000Z' } });
    expect(moved.tasks.map((t) => t.dueAt)).toEqual(['2026-01-05T09:00:00.000Z', '2026-01-04T11:00:00.000Z', '2026-01-05T15:00:00.000Z', null]);
  });

  it('validates the template: at most 50 tasks, the seed phases, pointers into the body', async () => {
    const org = randomUUID();
    const many = Array.from({ length: 51 }, (_, n) => ({ phase: 'remediation' as const, title: `step ${n}`, dueAfterHours: null }));
    expect(await ask(playbookTemplatePutCommandV1, { orgId: org, actor, body: { tasks: many } } as never)).toMatchObject({ error: 'bad-request', errors: [{ pointer: '/tasks' }] });
    const bad = { tasks: [{ phase: 'celebration', title: ' ', dueAfterHours: -1 }] };
    const reply = (await ask(playbookTemplatePutCommandV1, { orgId: org, actor, body: bad } as never)) as { errors: { pointer: string }[] };
    expect(reply.errors.map((e) => e.pointer).sort()).toEqual(['/tasks/0/dueAfterHours', '/tasks/0/phase', '/tasks/0/title']);
    expect(await ask(playbookTemplateGetQueryV1, { orgId: org })).toMatchObject({ template: { custom: false } });
  });
});
