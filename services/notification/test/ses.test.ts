import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sesLocal from 'aws-ses-v2-local';
import { connect, type NatsConnection } from 'nats';
import { createEvent, eventSubject, incidentCreatedV1, orgCreatedV1, streams } from '@vigil/contracts';
import { ensureStreams, publishEvent } from '@vigil/messaging';
import { bootstrapService, createLogger, loadConfig } from '@vigil/platform';
import { createTestDatabase, startNats, waitFor, type TestDatabase, type TestNats } from '@vigil/testing';
import { AppModule } from '../src/app.module';
import { notificationEnvSchema } from '../src/config';

interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
}

/**
 * EMAIL_TRANSPORT=ses through the real AWS SDK against aws-ses-v2-local, an SES (v1 + v2 API)
 * emulator running in this process on 127.0.0.1.
 */
let db: TestDatabase;
let nats: TestNats;
let ses: Server;
let sesUrl: string;
let app: Awaited<ReturnType<typeof bootstrapService>>;
let nc: NatsConnection;
const savedEnv = { ...process.env };

beforeAll(async () => {
  // Static credentials stop the SDK's provider chain here (never reaching for instance metadata);
  // the emulator accepts any.
  process.env.AWS_ACCESS_KEY_ID = 'vigil-test';
  process.env.AWS_SECRET_ACCESS_KEY = 'vigil-test';
  // The SDK's notice that its 2027 releases need Node 22 (the lockfile pins one that runs on 20).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  [db, nats, ses] = await Promise.all([createTestDatabase({ schemas: ['notification'] }), startNats(), sesLocal({ host: '127.0.0.1', port: 0 })]);
  sesUrl = `http://127.0.0.1:${(ses.address() as AddressInfo).port}`;
  const config = loadConfig(
    notificationEnvSchema,
    {
      PORT: '0',
      DATABASE_URL: db.urlFor('notification'),
      NATS_URL: nats.url,
      EMAIL_TRANSPORT: 'ses',
      AWS_REGION: 'eu-west-1',
      SES_ENDPOINT: sesUrl,
      EMAIL_FROM: 'Vigil <alerts@vigil.test>',
      LOG_LEVEL: 'silent',
    },
    'notification',
  );
  const log = createLogger('notification', config.LOG_LEVEL);
  app = await bootstrapService(AppModule(config, log), { config, log });
  nc = await connect({ servers: nats.url });
  await ensureStreams(await nc.jetstreamManager(), [streams.orgs, streams.incidents]);
});

afterAll(async () => {
  await app?.close();
  await nc?.close();
  await nats?.stop();
  await new Promise<void>((resolve) => (ses ? ses.close(() => resolve()) : resolve()));
  await db?.drop();
  process.env = savedEnv;
});

it('sends the admin alert through SES SendRawEmail and records the SES message id', async () => {
  const orgId = randomUUID();
  const js = nc.jetstream();
  const org = createEvent(orgCreatedV1, { orgid: orgId, source: 'vigil://gateway', data: { orgId, name: 'Initech', adminRecipients: ['sec@initech.test'] } });
  await publishEvent(js, eventSubject(org.type, orgId), org);
  const incident = createEvent(incidentCreatedV1, {
    orgid: orgId,
    source: 'vigil://incident',
    data: {
      incidentId: randomUUID(),
      number: 'INC-20261123-0007',
      title: '<b>Brute force</b> on login',
      description: '30 failed logins in 2 minutes.',
      category: 'brute_force',
      severity: 'critical',
      status: 'investigating',
      correlationKey: null,
      detectedAt: '2026-11-23T09:00:00.000Z',
      createdAt: '2026-11-23T09:00:01.000Z',
      origin: { ip: '198.51.100.23' },
    },
  });
  await publishEvent(js, eventSubject(incident.type, orgId), incident);

  const email = await waitFor(
    async () => {
      const res = await fetch(`${sesUrl}/store`);
      const { emails } = (await res.json()) as { emails: StoredEmail[] };
      return emails.find((e) => e.subject.includes('INC-20261123-0007'));
    },
    { timeoutMs: 30_000, description: 'the alert in the SES emulator' },
  );
  expect(email.subject).toBe('[Vigil] CRITICAL incident INC-20261123-0007: <b>Brute force</b> on login');
  expect(email.destination.to).toEqual(['sec@initech.test']);
  expect(email.from).toContain('alerts@vigil.test');
  expect(email.body.html).toContain('&lt;b&gt;Brute force&lt;/b&gt;');
  expect(email.body.text).toContain('Block 198.51.100.23 at the edge');

  const row = await waitFor(
    async () => {
      const [r] = await db.query<{ status: string; provider_message_id: string | null }>(
        `select status, provider_message_id from notification.deliveries where recipient = 'sec@initech.test'`,
      );
      return r?.status === 'sent' ? r : undefined;
    },
    { timeoutMs: 30_000, description: 'delivery recorded as sent' },
  );
  expect(row.provider_message_id).toBe(email.messageId);
});
