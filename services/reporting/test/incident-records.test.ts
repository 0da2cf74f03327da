import { randomUUID } from 'node:crypto';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { connect, type JetStreamClient, type NatsConnection } from 'nats';
import { firstValueFrom } from 'rxjs';
import {
  breachSummaryQueryV1,
  createEvent,
  eventSubject,
  incidentCreatedV1,
  incidentStatusChangedV1,
  incidentUpdatedV1,
  type IncidentSnapshot,
  type IncidentStatus,
  type Severity,
} from '@vigil/contracts';
import { publishEvent } from '@vigil/messaging';
import { bootstrapService, createLogger, envWithDefaultPort, loadConfig } from '@vigil/platform';
import { createTestDatabase, startNats, waitFor, type TestDatabase, type TestNats } from '@vigil/testing';
import { AppModule } from '../src/app.module';

/**
 * Reporting's copy of an incident follows the incident's events (real PostgreSQL and NATS): status
 * changes take it out of `investigating`, severity changes show, a late older event never rolls it
 * back, and drills stay out of the breach register.
 */
let db: TestDatabase;
let nats: TestNats;
let app: Awaited<ReturnType<typeof bootstrapService>>;
let client: ClientProxy;
let nc: NatsConnection;
let js: JetStreamClient;

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase({ schemas: ['reporting'] }), startNats()]);
  const config = loadConfig(envWithDefaultPort(8085), { PORT: '0', DATABASE_URL: db.urlFor('reporting'), NATS_URL: nats.url, LOG_LEVEL: 'silent' }, 'reporting');
  const log = createLogger('reporting', config.LOG_LEVEL);
  app = await bootstrapService(AppModule(config, log), { config, log, rpcQueue: 'reporting' });
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

const actor = { type: 'api-key' as const, id: 'key-1' };
const now = new Date();

function incident(orgId: string, drill = false) {
  const incidentId = randomUUID();
  const base = { number: 'INC-20261204-0001', title: 'Customer export leaked', category: 'data_leak', detectedAt: now.toISOString(), createdAt: now.toISOString(), drill };
  const snapshot = (seq: number, status: IncidentStatus, severity: Severity): IncidentSnapshot => ({ ...base, seq, status, severity });
  const created = createEvent(incidentCreatedV1, {
    orgid: orgId,
    source: 'vigil://incident',
    data: { incidentId, ...base, description: '', severity: 'low', status: 'investigating', correlationKey: null, ...(drill ? { drill } : {}), origin: {} },
  });
  const statusChanged = (seq: number, from: IncidentStatus, to: IncidentStatus, severity: Severity = 'low') =>
    createEvent(incidentStatusChangedV1, { orgid: orgId, source: 'vigil://incident', data: { incidentId, snapshot: snapshot(seq, to, severity), actor, at: now.toISOString(), from, to, kind: 'advance' } });
  const updated = (seq: number, status: IncidentStatus, severity: Severity, severityBefore: Severity) =>
    createEvent(incidentUpdatedV1, { orgid: orgId, source: 'vigil://incident', data: { incidentId, snapshot: snapshot(seq, status, severity), actor, at: now.toISOString(), fields: ['affectedCount'], severityBefore } });
  return { incidentId, created, statusChanged, updated };
}

async function deliver(...events: { id: string; type: string; orgid: string }[]) {
  for (const e of events) await publishEvent(js, eventSubject(e.type, e.orgid), e as never);
  await waitFor(async () => (await db.query('select count(*)::int as n from reporting.inbox where event_id = any($1)', [events.map((e) => e.id)]))[0]?.n === events.length || undefined, {
    timeoutMs: 30_000,
    intervalMs: 100,
    description: 'events handled',
  });
}

const record = (id: string) => db.query<{ status: string; severity: string; seq: number }>('select status, severity, seq from reporting.incident_records where incident_id = $1', [id]).then((r) => r[0]);

it('leaves investigating with the status changes, in whatever order they arrive', async () => {
  const org = randomUUID();
  const i = incident(org);
  await deliver(i.created);
  expect(await record(i.incidentId)).toMatchObject({ status: 'investigating', seq: 1 });
  await deliver(i.statusChanged(2, 'investigating', 'contained'));
  expect(await record(i.incidentId)).toMatchObject({ status: 'contained', seq: 2 });
  // A newer severity change, then an older status change arriving late: the newer snapshot stays.
  await deliver(i.updated(5, 'resolved', 'high', 'low'), i.statusChanged(4, 'contained', 'resolved'));
  expect(await record(i.incidentId)).toMatchObject({ status: 'resolved', severity: 'high', seq: 5 });

  // A change that overtakes the creation creates the record; the creation then changes nothing.
  const j = incident(org);
  await deliver(j.statusChanged(2, 'investigating', 'contained'), j.created);
  expect(await record(j.incidentId)).toMatchObject({ status: 'contained', seq: 2 });

  const summary = breachSummaryQueryV1.reply.parse(await firstValueFrom(client.send(breachSummaryQueryV1.subject, { orgId: org })));
  if (!('report' in summary)) throw new Error('no report');
  expect(summary.report.totals).toMatchObject({ incidents: 2, open: 2, byStatus: { investigating: 0, contained: 1, resolved: 1, closed: 0 }, bySeverity: { high: 1, low: 1 } });
});

it('keeps drills out of the breach register', async () => {
  const org = randomUUID();
  const real = incident(org);
  const drill = incident(org, true);
  await deliver(real.created, drill.created, drill.statusChanged(2, 'investigating', 'contained'));
  const summary = breachSummaryQueryV1.reply.parse(await firstValueFrom(client.send(breachSummaryQueryV1.subject, { orgId: org })));
  if (!('report' in summary)) throw new Error('no report');
  expect(summary.report.incidents.map((x) => x.id)).toEqual([real.incidentId]);
});
