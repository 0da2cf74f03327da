import { randomUUID } from 'node:crypto';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { connect, type JetStreamClient, type NatsConnection } from 'nats';
import { firstValueFrom } from 'rxjs';
import {
  createEvent,
  detectionTriggeredV1,
  eventSubject,
  findTransition,
  incidentAddAffectedPeopleCommandV1,
  incidentAssignCommandV1,
  incidentCreateCommandV1,
  incidentGetQueryV1,
  incidentListQueryV1,
  incidentNoteCommandV1,
  incidentStatusChangedV1,
  incidentTaskUpdateCommandV1,
  incidentTransitionCommandV1,
  incidentUpdateCommandV1,
  incidentVerifyTimelineQueryV1,
  INCIDENT_STATUSES,
  streams,
  type IncidentStatus,
  type IncidentViewV1,
  type QueryDefinition,
  type QueryReply,
  type QueryRequest,
} from '@vigil/contracts';
import { decodeEvent, publishEvent } from '@vigil/messaging';
import { bootstrapService, createLogger, loadConfig } from '@vigil/platform';
import { createTestDatabase, startNats, waitFor, type TestDatabase, type TestNats } from '@vigil/testing';
import { AppModule } from '../src/app.module';
import { incidentEnvSchema } from '../src/config';

/**
 * The incident service against real PostgreSQL and NATS, driven the way the gateway drives it: its
 * request/reply commands over core NATS, and detection.triggered events on JetStream.
 */
const WAIT = { timeoutMs: 30_000, intervalMs: 100 };
const actor = { type: 'api-key' as const, id: 'key-1' };

let db: TestDatabase;
let nats: TestNats;
let app: Awaited<ReturnType<typeof bootstrapService>>;
let client: ClientProxy;
let nc: NatsConnection;
let js: JetStreamClient;

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase({ schemas: ['incident'] }), startNats()]);
  const config = loadConfig(incidentEnvSchema, { PORT: '0', DATABASE_URL: db.urlFor('incident'), NATS_URL: nats.url, LOG_LEVEL: 'silent', INCIDENT_MERGE_QUIET_HOURS: '6' }, 'incident');
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

/** The incident a command answered, or the refusal. */
async function command<Q extends QueryDefinition>(q: Q, req: QueryRequest<Q>): Promise<IncidentViewV1> {
  const r = (await ask(q, req)) as { incident?: IncidentViewV1; error?: string; detail?: string };
  if (!r.incident) throw new Error(`${r.error}: ${r.detail}`);
  return r.incident;
}

const create = (orgId: string, body: Partial<QueryRequest<typeof incidentCreateCommandV1>['body']> = {}) =>
  command(incidentCreateCommandV1, { orgId, actor, body: { title: 'Customer database exposed', discoveredAt: '2026-12-04T09:00:00.000Z', ...body } });
const transition = (orgId: string, ref: string, body: QueryRequest<typeof incidentTransitionCommandV1>['body']) => ask(incidentTransitionCommandV1, { orgId, actor, ref, body });

/** Walks a new incident to `status` along allowed transitions. */
async function incidentIn(orgId: string, status: IncidentStatus): Promise<IncidentViewV1> {
  let i = await create(orgId);
  const path: Record<IncidentStatus, IncidentStatus[]> = {
    investigating: [],
    contained: ['contained'],
    resolved: ['contained', 'resolved'],
    closed: ['contained', 'resolved', 'closed'],
  };
  for (const to of path[status]) i = await command(incidentTransitionCommandV1, { orgId, actor, ref: i.id, body: { to, ...(to === 'closed' ? { lessonsLearned: 'rotate keys sooner' } : {}) } });
  return i;
}

describe('lifecycle transitions (every pair)', () => {
  const org = randomUUID();
  const pairs = INCIDENT_STATUSES.flatMap((from) => INCIDENT_STATUSES.map((to) => [from, to] as const));

  it.each(pairs)('%s -> %s', async (from, to) => {
    const i = await incidentIn(org, from);
    expect(i.status).toBe(from);
    const rule = findTransition(from, to);
    const body = { to, ...(rule?.kind === 'reopen' ? { reason: 'attacker came back' } : {}), ...(to === 'closed' ? { lessonsLearned: 'MFA for admins' } : {}) };
    const reply = (await transition(org, i.id, body)) as { incident?: IncidentViewV1; error?: string; errors?: { pointer: string }[] };
    if (!rule) {
      expect(reply).toMatchObject({ error: 'conflict', errors: [{ pointer: '/to' }] });
      expect((await command(incidentGetQueryV1 as never, { orgId: org, ref: i.id } as never)).status).toBe(from);
      return;
    }
    const after = reply.incident!;
    expect(after.status).toBe(to);
    const stamp = { investigating: after.reopenedAt, contained: after.containedAt, resolved: after.resolvedAt, closed: after.closedAt }[to];
    // Set by the transition itself, at the moment of the change the timeline records.
    expect(stamp).toBe(after.timeline.at(-1)!.at);
    expect(after.timeline.at(-1)).toMatchObject({ kind: 'incident.status_changed', actor, detail: { from, to, kind: rule.kind } });
  });

  it('refuses a reopen without a reason and a close without lessons learned (422 with pointers)', async () => {
    const closed = await incidentIn(org, 'closed');
    expect(await transition(org, closed.id, { to: 'investigating' })).toMatchObject({ error: 'unprocessable', errors: [{ pointer: '/reason' }] });
    const resolved = await incidentIn(org, 'resolved');
    expect(await transition(org, resolved.id, { to: 'closed' })).toMatchObject({ error: 'unprocessable', errors: [{ pointer: '/lessonsLearned' }] });
    const early = await incidentIn(org, 'contained');
    expect(await transition(org, early.id, { to: 'resolved', lessonsLearned: 'too soon' })).toMatchObject({ error: 'unprocessable', errors: [{ pointer: '/lessonsLearned' }] });
    const done = await command(incidentTransitionCommandV1, { orgId: org, actor, ref: resolved.id, body: { to: 'closed', lessonsLearned: 'alert on exports', postMortem: 'root cause: leaked key' } });
    expect(done).toMatchObject({ status: 'closed', lessonsLearned: 'alert on exports', postMortem: 'root cause: leaked key' });
  });

  it('announces each transition once as incident.status_changed through the outbox', async () => {
    const o = randomUUID();
    const i = await incidentIn(o, 'resolved');
    const subject = eventSubject('incident.status_changed', o);
    const seen = await waitFor(
      async () => {
        const info = await (await nc.jetstreamManager()).streams.info(streams.incidents.name, { subjects_filter: subject });
        return (info.state.subjects?.[subject] ?? 0) === 2 ? true : undefined;
      },
      { ...WAIT, description: 'two status changes published' },
    );
    expect(seen).toBe(true);
    const consumer = await js.consumers.get(streams.incidents.name, { filterSubjects: subject });
    const events = [];
    for await (const m of await consumer.fetch({ max_messages: 2, expires: 5_000 })) {
      events.push(decodeEvent(m, incidentStatusChangedV1).data);
      if (events.length === 2) break;
    }
    expect(events.map((e) => [e.from, e.to, e.snapshot.status, e.snapshot.number])).toEqual([
      ['investigating', 'contained', 'contained', i.number],
      ['contained', 'resolved', 'resolved', i.number],
    ]);
    expect(events[1]!.snapshot.seq).toBeGreaterThan(events[0]!.snapshot.seq);
  });
});

describe('numbers', () => {
  it('gives 100 parallel creates 100 distinct numbers, 0001..0100 of the day', async () => {
    const org = randomUUID();
    const created = await Promise.all(Array.from({ length: 100 }, (_, n) => create(org, { title: `parallel ${n}` })));
    const numbers = created.map((i) => i.number);
    expect(new Set(numbers).size).toBe(100);
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    expect([...numbers].sort()).toEqual(Array.from({ length: 100 }, (_, n) => `INC-${day}-${String(n + 1).padStart(4, '0')}`));
  });
});

describe('severity from facts', () => {
  const org = randomUUID();

  it.each([
    [9, 'low'],
    [10, 'medium'],
    [100, 'medium'],
    [101, 'high'],
    [1000, 'high'],
    [1001, 'critical'],
  ] as const)('%i people stated at creation -> %s, with its response target', async (affectedCount, severity) => {
    const i = await create(org, { affectedCount, dataCategories: ['email', 'name'] });
    expect(i.severity).toBe(severity);
    const hours = { critical: 0, high: 4, medium: 24, low: 48 }[severity];
    const due = Date.parse('2026-12-04T09:00:00.000Z') + hours * 3_600_000;
    // Not contained: pending until the target passes, overdue after.
    expect(i.responseTarget).toEqual({ hours, dueAt: new Date(due).toISOString(), status: due >= Date.now() ? 'pending' : 'overdue' });
  });

  it('payment data is critical for a single person', async () => {
    expect((await create(org, { affectedCount: 1, dataCategories: ['payment_card'] })).severity).toBe('critical');
  });

  it('is recomputed as facts change, and as affected people rows are added', async () => {
    const i = await create(org, { affectedCount: 5 });
    expect(i.severity).toBe('low');
    const raised = await command(incidentUpdateCommandV1, { orgId: org, actor, ref: i.id, body: { affectedByRegion: [{ country: 'DE', count: 60 }, { country: 'FR', count: 41 }] } });
    expect(raised).toMatchObject({ severity: 'high', severityComputed: 'high' });
    expect(raised.timeline.at(-1)).toMatchObject({ kind: 'incident.updated', detail: { changes: { severity: { before: 'low', after: 'high' } } } });

    const small = await create(org, {});
    const people = Array.from({ length: 10 }, (_, n) => ({ subjectId: `user-${n}`, contact: `u${n}@example.test`, country: 'PH' }));
    const added = await ask(incidentAddAffectedPeopleCommandV1, { orgId: org, actor, ref: small.id, body: { people: [...people, people[0]!] } });
    expect(added).toEqual({ result: { added: 10, duplicates: 1, total: 10 } });
    const again = await ask(incidentAddAffectedPeopleCommandV1, { orgId: org, actor, ref: small.id, body: { people } });
    expect(again).toEqual({ result: { added: 0, duplicates: 10, total: 10 } });
    const after = await command(incidentGetQueryV1 as never, { orgId: org, ref: small.id } as never);
    expect(after).toMatchObject({ severity: 'medium', affectedPeopleRows: 10 });
  });

  it('moves open playbook deadlines with a corrected discovery time, not completed ones', async () => {
    const i = await create(org, {});
    const detection = i.tasks.find((t) => t.phase === 'detection')!;
    await command(incidentTaskUpdateCommandV1, { orgId: org, actor, ref: i.id, taskId: detection.id, body: { completed: true } });
    const moved = await command(incidentUpdateCommandV1, { orgId: org, actor, ref: i.id, body: { discoveredAt: '2026-12-03T09:00:00.000Z' } });
    expect(moved.tasks.map((t) => [t.phase, t.dueAt])).toEqual([
      ['detection', '2026-12-04T10:00:00.000Z'],
      ['containment', '2026-12-03T13:00:00.000Z'],
      ['assessment', '2026-12-04T09:00:00.000Z'],
      ['notification', '2026-12-06T09:00:00.000Z'],
      ['remediation', null],
      ['closure', null],
    ]);
  });

  it('keeps a manual override (with its reason) while the computed severity moves', async () => {
    const i = await create(org, { affectedCount: 2 });
    const overridden = await command(incidentUpdateCommandV1, { orgId: org, actor, ref: i.id, body: { severityOverride: { severity: 'critical', reason: 'regulator already asking' } } });
    expect(overridden).toMatchObject({ severity: 'critical', severityComputed: 'low', severityOverride: { severity: 'critical', reason: 'regulator already asking', by: actor } });
    const moved = await command(incidentUpdateCommandV1, { orgId: org, actor, ref: i.id, body: { affectedCount: 50 } });
    expect(moved).toMatchObject({ severity: 'critical', severityComputed: 'medium', severityOverride: { reason: 'regulator already asking' } });
    const cleared = await command(incidentUpdateCommandV1, { orgId: org, actor, ref: i.id, body: { severityOverride: null } });
    expect(cleared).toMatchObject({ severity: 'medium', severityOverride: null });
    expect(await ask(incidentUpdateCommandV1, { orgId: org, actor, ref: i.id, body: { severityOverride: { severity: 'low' } } } as never)).toMatchObject({
      error: 'bad-request',
      errors: [{ pointer: '/severityOverride/reason' }],
    });
  });
});

describe('timeline', () => {
  it('is append-only, hash-chained, and verify names the entry edited as the database owner', async () => {
    const org = randomUUID();
    const i = await create(org, {});
    await command(incidentAssignCommandV1, { orgId: org, actor, ref: i.id, body: { assignee: 'dana@example.test' } });
    await command(incidentNoteCommandV1, { orgId: org, actor, ref: i.id, body: { text: 'firewall logs pulled' } });
    const task = i.tasks.find((t) => t.phase === 'containment')!;
    const withTask = await command(incidentTaskUpdateCommandV1, { orgId: org, actor, ref: i.id, taskId: task.id, body: { completed: true } });
    expect(withTask.tasks.find((t) => t.id === task.id)).toMatchObject({ completedAt: expect.any(String), overdue: false });
    await command(incidentTransitionCommandV1, { orgId: org, actor, ref: i.id, body: { to: 'contained' } });
    const view = await command(incidentGetQueryV1 as never, { orgId: org, ref: i.id } as never);
    expect(view.timeline.map((t) => [t.seq, t.kind])).toEqual([
      [1, 'incident.created'],
      [2, 'incident.assigned'],
      [3, 'note'],
      [4, 'task.updated'],
      [5, 'incident.status_changed'],
    ]);
    expect(await ask(incidentVerifyTimelineQueryV1, { orgId: org, ref: i.id })).toEqual({ verification: { intact: true, checked: 5 } });

    // The trigger refuses rewriting history, even to the superuser.
    await expect(db.query('update incident.incident_timeline set detail = $2 where incident_id = $1 and seq = 3', [i.id, '{}'])).rejects.toThrow(/append-only/);
    await expect(db.query('delete from incident.incident_timeline where incident_id = $1', [i.id])).rejects.toThrow(/append-only/);

    // An owner who switches triggers off (one session, one simple query) can, and verification names the entry.
    await db.query(
      `set session_replication_role = replica; update incident.incident_timeline set detail = '{"text":"nothing found"}' where incident_id = '${i.id}' and seq = 3; set session_replication_role = origin`,
    );
    expect(await ask(incidentVerifyTimelineQueryV1, { orgId: org, ref: i.id })).toEqual({ verification: { intact: false, checked: 3, firstBrokenSeq: 3, reason: 'altered' } });
  });
});

describe('tenant isolation', () => {
  it("another org can neither read, list nor change an org's incident", async () => {
    const a = randomUUID();
    const b = randomUUID();
    const i = await create(a, {});
    expect(await ask(incidentGetQueryV1, { orgId: b, ref: i.id })).toEqual({ incident: null });
    expect(await ask(incidentGetQueryV1, { orgId: b, ref: i.number })).toEqual({ incident: null });
    expect(await transition(b, i.id, { to: 'contained' })).toMatchObject({ error: 'not-found' });
    expect(await ask(incidentNoteCommandV1, { orgId: b, actor, ref: i.id, body: { text: 'x' } })).toMatchObject({ error: 'not-found' });
    expect(await ask(incidentVerifyTimelineQueryV1, { orgId: b, ref: i.id })).toMatchObject({ error: 'not-found' });
    expect(await ask(incidentListQueryV1, { orgId: b, params: {} })).toEqual({ page: { items: [], nextCursor: null } });
    expect((await command(incidentGetQueryV1 as never, { orgId: a, ref: i.id } as never)).status).toBe('investigating');
  });
});

describe('list', () => {
  it('filters by status, severity and drill, and pages with nextCursor', async () => {
    const org = randomUUID();
    for (let n = 0; n < 5; n++) await create(org, { title: `real ${n}`, affectedCount: 500 });
    await create(org, { title: 'tabletop', drill: true });
    const contained = await incidentIn(org, 'contained');
    const page1 = await ask(incidentListQueryV1, { orgId: org, params: { limit: '3', drill: 'false' } });
    if (!('page' in page1)) throw new Error('no page');
    expect(page1.page.items).toHaveLength(3);
    expect(page1.page.items[0]!.id).toBe(contained.id);
    const page2 = await ask(incidentListQueryV1, { orgId: org, params: { limit: '3', drill: 'false', cursor: page1.page.nextCursor! } });
    if (!('page' in page2)) throw new Error('no page');
    expect(page2.page.items).toHaveLength(3);
    expect(page2.page.nextCursor).toBeNull();
    expect(new Set([...page1.page.items, ...page2.page.items].map((i) => i.id)).size).toBe(6);
    const drills = await ask(incidentListQueryV1, { orgId: org, params: { drill: 'true' } });
    expect('page' in drills && drills.page.items.map((i) => i.title)).toEqual(['tabletop']);
    const filtered = await ask(incidentListQueryV1, { orgId: org, params: { status: 'contained', severity: 'low' } });
    expect('page' in filtered && filtered.page.items.map((i) => i.id)).toEqual([contained.id]);
    expect(await ask(incidentListQueryV1, { orgId: org, params: { status: 'open' } })).toMatchObject({ error: 'bad-request', errors: [{ pointer: '/status/0' }] });
    expect(await ask(incidentListQueryV1, { orgId: org, params: { cursor: 'bogus' } })).toMatchObject({ error: 'bad-request', errors: [{ pointer: '/cursor' }] });
  });
});

describe('detections: one attack = one incident', () => {
  const detection = (orgId: string, key: string, windowStart: string, windowEnd: string, eventIds: string[], severity: 'medium' | 'high' = 'medium') =>
    createEvent(detectionTriggeredV1, {
      orgid: orgId,
      source: 'vigil://detection',
      data: {
        detectionId: randomUUID(),
        ruleId: 'brute_force.ip',
        ruleVersion: 1,
        correlationKey: key,
        severity,
        title: 'Brute force from 203.0.113.7',
        summary: '5 failed logins',
        windowStart,
        windowEnd,
        count: eventIds.length,
        threshold: 5,
        evidence: { ip: '203.0.113.7', eventIds },
      },
    });

  const incidentsOf = (orgId: string) =>
    db.query<{ id: string; number: string; status: string; trigger_count: number; severity: string }>(
      'select id, number, status, trigger_count, severity from incident.incidents where org_id = $1 order by created_at',
      [orgId],
    );

  async function deliver(e: ReturnType<typeof detection>) {
    await publishEvent(js, eventSubject('detection.triggered', e.orgid), e);
    await waitFor(async () => (await db.query('select 1 from incident.inbox where event_id = $1', [e.id])).length === 1 || undefined, { ...WAIT, description: `detection ${e.id} handled` });
  }

  it('merges further triggers while open (count, last seen, evidence), opens a new one after the quiet period or after closing', async () => {
    const org = randomUUID();
    const key = 'brute_force.ip:203.0.113.7';
    const first = detection(org, key, '2026-12-04T10:00:00Z', '2026-12-04T10:05:00Z', ['e1', 'e2']);
    await deliver(first);
    await deliver(first); // a redelivery: the inbox makes it a no-op
    await deliver(detection(org, key, '2026-12-04T11:00:00Z', '2026-12-04T11:04:00Z', ['e3', 'e2'], 'high'));
    let rows = await incidentsOf(org);
    expect(rows).toHaveLength(1);
    const merged = await command(incidentGetQueryV1 as never, { orgId: org, ref: rows[0]!.id } as never);
    expect(merged.origin).toMatchObject({ kind: 'detection', triggerCount: 2, lastSeenAt: '2026-12-04T11:04:00.000Z', evidenceEventIds: ['e3', 'e2', 'e1'] });
    expect(merged).toMatchObject({ severity: 'high', detectionCount: 2 });
    expect(merged.timeline.map((t) => t.kind)).toEqual(['incident.created', 'detection.merged']);

    // More than the 6 h quiet period after the last seen: a new attack, a new incident.
    await deliver(detection(org, key, '2026-12-04T17:05:00Z', '2026-12-04T17:08:00Z', ['e4']));
    rows = await incidentsOf(org);
    expect(rows.map((r) => r.trigger_count)).toEqual([2, 1]);

    // Close both: the next trigger opens a third even within the quiet period.
    for (const r of rows) {
      for (const to of ['contained', 'resolved', 'closed'] as const) {
        await command(incidentTransitionCommandV1, { orgId: org, actor, ref: r.id, body: { to, ...(to === 'closed' ? { lessonsLearned: 'block at the edge' } : {}) } });
      }
    }
    await deliver(detection(org, key, '2026-12-04T17:10:00Z', '2026-12-04T17:12:00Z', ['e5']));
    rows = await incidentsOf(org);
    expect(rows.map((r) => r.status)).toEqual(['closed', 'closed', 'investigating']);
  });
});
