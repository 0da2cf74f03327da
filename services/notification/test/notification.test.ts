import { randomUUID } from 'node:crypto';
import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import {
  createEvent,
  eventSubject,
  headers as vigilHeaders,
  incidentCreatedV1,
  orgCreatedV1,
  streams,
  deadLetterSubject,
  type IncidentCreatedV1,
  type VigilEvent,
} from '@vigil/contracts';
import { encodeEvent, ensureStreams, publishEvent, publishRaw } from '@vigil/messaging';
import { bootstrapService, createLogger, loadConfig } from '@vigil/platform';
import { createTestDatabase, startNats, startSmtpSink, waitFor, type SmtpSink, type TestDatabase, type TestNats } from '@vigil/testing';
import { AppModule } from '../src/app.module';
import { notificationEnvSchema } from '../src/config';

const INCIDENT_CONSUMER = 'notification-incident-created';
const WAIT = { timeoutMs: 30_000, intervalMs: 100 };

let db: TestDatabase;
let nats: TestNats;
let sink: SmtpSink;
let app: Awaited<ReturnType<typeof bootstrapService>>;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;

let incidentSeq = 0;

function orgCreated(orgId: string, name: string, adminRecipients: string[]) {
  return createEvent(orgCreatedV1, { orgid: orgId, source: 'vigil://gateway', data: { orgId, name, adminRecipients } });
}

function incidentCreated(orgId: string, over: Partial<IncidentCreatedV1> = {}, id?: string): VigilEvent<'incident.created', IncidentCreatedV1> {
  incidentSeq++;
  const number = `INC-20261123-${String(incidentSeq).padStart(4, '0')}`;
  return createEvent(incidentCreatedV1, {
    orgid: orgId,
    source: 'vigil://incident',
    subject: number,
    ...(id ? { id } : {}),
    data: {
      incidentId: randomUUID(),
      number,
      title: `Brute-force attack from 203.0.113.${incidentSeq}`,
      description: `12 failed logins for 4 accounts from 203.0.113.${incidentSeq} within 5 minutes.`,
      category: 'brute_force',
      severity: 'high',
      status: 'investigating',
      correlationKey: `brute_force.ip:203.0.113.${incidentSeq}`,
      detectedAt: '2026-11-23T14:05:09.000Z',
      createdAt: '2026-11-23T14:05:10.000Z',
      origin: { ruleId: 'brute_force.ip', ip: `203.0.113.${incidentSeq}`, eventCount: 12 },
      ...over,
    },
  });
}

async function publish(event: VigilEvent): Promise<number> {
  const ack = await publishEvent(js, eventSubject(event.type, event.orgid), event);
  return ack.seq;
}

/** The incident consumer has settled (acked or terminated) everything up to stream sequence `seq`. */
async function incidentConsumerSettled(seq: number): Promise<void> {
  await waitFor(async () => {
    const ci = await jsm.consumers.info(streams.incidents.name, INCIDENT_CONSUMER);
    return ci.ack_floor.stream_seq >= seq && ci.num_ack_pending === 0 && ci.num_pending === 0;
  }, { ...WAIT, description: `${INCIDENT_CONSUMER} settled up to stream seq ${seq}` });
}

async function deliveriesIdle(): Promise<void> {
  await waitFor(async () => {
    const [row] = await db.query<{ n: string }>(`select count(*) as n from notification.deliveries where status in ('pending', 'sending')`);
    return row?.n === '0';
  }, { ...WAIT, description: 'no pending or sending deliveries' });
}

const mailsFor = (number: string) => sink.messages.filter((m) => m.subject.includes(number));

beforeAll(async () => {
  [db, nats, sink] = await Promise.all([createTestDatabase({ schemas: ['notification'] }), startNats(), startSmtpSink()]);
  const config = loadConfig(
    notificationEnvSchema,
    {
      PORT: '0',
      DATABASE_URL: db.urlFor('notification'),
      NATS_URL: nats.url,
      SMTP_URL: sink.url,
      LOG_LEVEL: 'silent',
      PUBLIC_CONSOLE_URL: 'https://console.vigil.test',
      // Two deliveries, then dead-letter: keeps the unknown-org case short.
      VIGIL_CONSUMER_MAX_DELIVER: '2',
    },
    'notification',
  );
  const log = createLogger('notification', config.LOG_LEVEL);
  app = await bootstrapService(AppModule(config, log), { config, log });
  nc = await connect({ servers: nats.url });
  jsm = await nc.jetstreamManager();
  await ensureStreams(jsm, [streams.orgs, streams.incidents, streams.deadLetters]);
  js = nc.jetstream();
});

afterAll(async () => {
  await app?.close();
  await nc?.close();
  await Promise.all([nats?.stop(), sink?.stop()]);
  await db?.drop();
});

describe('notification service', () => {
  const acme = randomUUID();
  const globex = randomUUID();
  let first: VigilEvent<'incident.created', IncidentCreatedV1>;

  it('is ready', async () => {
    const { port } = app.getHttpServer().address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(res.status).toBe(200);
  });

  it('sends one admin alert per admin recipient, with escaped HTML and the incident number in the subject', async () => {
    await publish(orgCreated(acme, 'Acme & Co', ['Alice@Acme.test', 'bob@acme.test', 'alice@acme.test']));
    first = incidentCreated(acme, { title: '<script>alert(1)</script>' });
    await publish(first);

    const mails = await sink.waitForMessages(2, (m) => m.subject.includes(first.data.number), 30_000);
    expect(mails.map((m) => m.to).sort()).toEqual([['alice@acme.test'], ['bob@acme.test']]);
    for (const m of mails) {
      expect(m.subject).toBe(`[Vigil] HIGH incident ${first.data.number}: <script>alert(1)</script>`);
      expect(m.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(m.html).not.toContain('<script>');
      expect(m.html).toContain(`https://console.vigil.test/incidents/${first.data.number}`);
      expect(m.text).toContain(`Block ${first.data.origin.ip} at the edge`);
      expect(m.text).toContain('enable two-factor authentication');
      expect(m.from).toBe('alerts@vigil.local');
      expect(m.messageId).toBe(`<${m.headers['x-vigil-delivery-id']}@vigil>`);
    }

    await deliveriesIdle();
    const rows = await db.query<{ recipient: string; status: string; attempts: number; provider_message_id: string | null; sent_at: Date | null }>(
      `select d.recipient, d.status, d.attempts, d.provider_message_id, d.sent_at
         from notification.deliveries d join notification.notifications n on n.id = d.notification_id
        where n.incident_id = $1 order by d.recipient`,
      [first.data.incidentId],
    );
    expect(rows).toEqual([
      expect.objectContaining({ recipient: 'alice@acme.test', status: 'sent', attempts: 1, provider_message_id: expect.any(String), sent_at: expect.any(Date) }),
      expect.objectContaining({ recipient: 'bob@acme.test', status: 'sent', attempts: 1, provider_message_id: expect.any(String), sent_at: expect.any(Date) }),
    ]);
  });

  it('sends nothing more for a redelivered, republished or re-identified incident.created', async () => {
    // Same event, same Nats-Msg-Id: JetStream's duplicate window drops it.
    await publish(first);
    // Same event under another Nats-Msg-Id: it is stored and delivered; the inbox drops it.
    await publishRaw(js, eventSubject(first.type, first.orgid), `${first.id}:again`, encodeEvent(first));
    // Same incident under a different event id: the unique (org, incident, kind) key drops it.
    const reidentified = { ...first, id: randomUUID() };
    await publish(reidentified);

    // Something that does produce mail, published after them: once it arrives and the consumer has
    // settled everything up to it, the duplicates have been processed too.
    await publish(orgCreated(globex, 'Globex', ['ops@globex.test']));
    const marker = incidentCreated(globex);
    const lastSeq = await publish(marker);
    await sink.waitForMessages(1, (m) => m.subject.includes(marker.data.number), 30_000);
    await incidentConsumerSettled(lastSeq);
    await deliveriesIdle();

    expect(mailsFor(first.data.number)).toHaveLength(2);
    const notifications = await db.query(`select source_event_id from notification.notifications where incident_id = $1`, [first.data.incidentId]);
    expect(notifications).toEqual([{ source_event_id: first.id }]);
    // The re-identified event was processed (it is in the inbox), with no effect.
    const inbox = await db.query(`select event_id from notification.inbox where consumer = $1 and event_id = $2`, [INCIDENT_CONSUMER, reidentified.id]);
    expect(inbox).toHaveLength(1);
  });

  it('records a drill\'s admin alert without sending it to the admins (the org named no drill recipients)', async () => {
    const drill = incidentCreated(acme, { drill: true });
    await incidentConsumerSettled(await publish(drill));
    const rows = await db.query<{ deliveries: string }>(
      'select (select count(*) from notification.deliveries d where d.notification_id = n.id) as deliveries from notification.notifications n where n.incident_id = $1',
      [drill.data.incidentId],
    );
    expect(rows).toEqual([{ deliveries: '0' }]);
    expect(mailsFor(drill.data.number)).toEqual([]);
  });

  it('replaces an org\'s recipients on a later org.created', async () => {
    await publish(orgCreated(acme, 'Acme & Co', ['Carol@Acme.test']));
    // incident.created and org.created travel on different streams: wait until the change is in.
    await waitFor(async () => {
      const rows = await db.query<{ email: string }>(`select email from notification.org_admin_recipients where org_id = $1`, [acme]);
      return rows.length === 1 && rows[0]!.email === 'carol@acme.test';
    }, { ...WAIT, description: 'acme recipients replaced' });
    const next = incidentCreated(acme);
    await publish(next);
    const [mail] = await sink.waitForMessages(1, (m) => m.subject.includes(next.data.number), 30_000);
    expect(mail!.to).toEqual(['carol@acme.test']);
  });

  it('retries a failed send with backoff and the same Message-ID', async () => {
    const port = sink.port;
    await sink.stop();
    const next = incidentCreated(globex);
    await publish(next);
    const failed = await waitFor(async () => {
      const [row] = await db.query<{ id: string; status: string; attempts: number; last_error: string | null; wait_s: number }>(
        `select d.id, d.status, d.attempts, d.last_error, extract(epoch from d.next_attempt_at - now())::float8 as wait_s
           from notification.deliveries d join notification.notifications n on n.id = d.notification_id
          where n.incident_id = $1`,
        [next.data.incidentId],
      );
      return row && row.status === 'pending' && row.attempts === 1 ? row : undefined;
    }, { ...WAIT, description: 'delivery back to pending after a failed attempt' });
    expect(failed.last_error).toMatch(/ECONNREFUSED|connect/i);
    expect(failed.wait_s).toBeGreaterThan(0);

    sink = await startSmtpSink({ port });
    // Make the retry due now instead of waiting out the backoff.
    await db.query(`update notification.deliveries set next_attempt_at = now() where id = $1`, [failed.id]);
    const [mail] = await sink.waitForMessages(1, (m) => m.subject.includes(next.data.number), 30_000);
    expect(mail!.messageId).toBe(`<${failed.id}@vigil>`);
    await deliveriesIdle();
    const [row] = await db.query<{ status: string; attempts: number; last_error: string | null }>(
      `select status, attempts, last_error from notification.deliveries where id = $1`,
      [failed.id],
    );
    expect(row).toEqual({ status: 'sent', attempts: 2, last_error: null });
  });

  it('reclaims a delivery abandoned mid-send and resends it as the same message', async () => {
    // What a process killed between the SMTP server's "250 OK" and recording 'sent' leaves behind.
    const [abandoned] = await db.query<{ id: string; recipient: string; subject: string }>(
      `update notification.deliveries d set status = 'sending', sent_at = null, claimed_at = now() - interval '3 minutes'
         from notification.notifications n
        where n.id = d.notification_id and n.incident_id = $1 and d.recipient = 'alice@acme.test'
       returning d.id, d.recipient, n.subject`,
      [first.data.incidentId],
    );
    const [resent] = await sink.waitForMessages(1, (m) => m.messageId === `<${abandoned!.id}@vigil>`, 30_000);
    expect(resent!.to).toEqual(['alice@acme.test']);
    expect(resent!.subject).toBe(abandoned!.subject);
    await deliveriesIdle();
    const [row] = await db.query<{ status: string; attempts: number }>(`select status, attempts from notification.deliveries where id = $1`, [abandoned!.id]);
    expect(row).toEqual({ status: 'sent', attempts: 2 });
  });

  it('dead-letters at once an org.created whose data names another org than its envelope', async () => {
    const event = createEvent(orgCreatedV1, { orgid: randomUUID(), source: 'vigil://gateway', data: { orgId: randomUUID(), name: 'Mallory', adminRecipients: ['m@evil.test'] } });
    await publish(event);
    const dead = await waitFor(async () => {
      const m = await jsm.streams.getMessage(streams.deadLetters.name, { last_by_subj: deadLetterSubject('notification-org-created') }).catch(() => undefined);
      return m && m.json<VigilEvent>().id === event.id ? m : undefined;
    }, { ...WAIT, description: 'dead letter for the mismatched org.created' });
    expect(dead.header.get(vigilHeaders.deadLetterReason)).toMatch(/PermanentMessageError: data\.orgId .* does not match the event's orgid/);
    expect(dead.header.get(vigilHeaders.deadLetterDeliveries)).toBe('1');
    expect(await db.query(`select 1 from notification.orgs where name = 'Mallory'`)).toHaveLength(0);
  });

  it('dead-letters incident.created for an org that never appears, with the reason', async () => {
    const stranger = randomUUID();
    const orphan = incidentCreated(stranger);
    await publish(orphan);
    const dead = await waitFor(async () => {
      const m = await jsm.streams.getMessage(streams.deadLetters.name, { last_by_subj: deadLetterSubject(INCIDENT_CONSUMER) }).catch(() => undefined);
      return m && m.json<VigilEvent>().id === orphan.id ? m : undefined;
    }, { ...WAIT, description: 'dead letter for the orphan incident' });
    expect(dead.header.get(vigilHeaders.deadLetterReason)).toMatch(new RegExp(`org ${stranger} is unknown to notification`));
    expect(dead.header.get(vigilHeaders.deadLetterDeliveries)).toBe('2');
    const notifications = await db.query(`select 1 from notification.notifications where org_id = $1`, [stranger]);
    expect(notifications).toHaveLength(0);
  });
});
