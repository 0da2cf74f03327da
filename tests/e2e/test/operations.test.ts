import { Client } from 'pg';
import { ingestSubmittedSubject } from '@vigil/contracts';
import { publishRaw } from '@vigil/messaging';
import { waitFor } from '@vigil/testing';
import { SERVICES, TestStack, loginFailed, type ServiceName, type TestOrg } from '../src';

/**
 * What ops see of a running stack: Prometheus metrics on every service, one correlation id from the
 * HTTP request through every service's log lines, and /readyz failing on a stalled consumer.
 */
describe('operations: metrics, correlation ids, stalled consumers', () => {
  let stack: TestStack;
  let org: TestOrg;

  beforeAll(async () => {
    // Info level: the correlation test reads each service's log lines.
    const env: Partial<Record<ServiceName, Record<string, string>>> = {};
    for (const s of SERVICES) env[s] = { LOG_LEVEL: 'info' };
    // A short stall threshold for ingest, whose consumer the last test blocks on purpose.
    env.ingest = { LOG_LEVEL: 'info', VIGIL_CONSUMER_STALL_MS: '1000' };
    stack = await TestStack.start({ env });
    org = await stack.createOrg('Ops', ['soc@ops.test']);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const urlOf = (service: ServiceName) => stack.services.get(service)!.url;

  async function scrape(service: ServiceName): Promise<Samples> {
    const res = await fetch(`${urlOf(service)}/metrics`);
    expect(res.status).toBe(200);
    return parseSamples(await res.text());
  }

  async function scrapeAll(): Promise<Record<ServiceName, Samples>> {
    const entries = await Promise.all(SERVICES.map(async (s) => [s, await scrape(s)] as const));
    return Object.fromEntries(entries) as Record<ServiceName, Samples>;
  }

  const postEvents = (events: unknown[], headers: Record<string, string> = {}) =>
    fetch(`${stack.gatewayUrl}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${org.key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(events),
    });

  /** A service's log lines (JSON) that carry this correlation id. */
  const linesWith = (service: ServiceName, correlationId: string) =>
    stack.services
      .get(service)!
      .logs()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; correlationId?: string })
      .filter((l) => l.correlationId === correlationId);

  it('answers GET /metrics on every service in Prometheus text, labelled with the service', async () => {
    for (const service of SERVICES) {
      const res = await fetch(`${urlOf(service)}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      const samples = parseSamples(text);
      expect(text).toMatch(/^# HELP vigil_http_requests_total /m);
      // Node's default process metrics, under their standard names.
      expect(samples.value('process_cpu_user_seconds_total', { service })).toBeGreaterThanOrEqual(0);
      expect(samples.value('nodejs_heap_size_used_bytes', { service })).toBeGreaterThan(0);
    }
    const ingest = await scrape('ingest');
    for (const outcome of ['ack', 'retry', 'dead_letter']) {
      expect(ingest.value('vigil_consumer_messages_total', { service: 'ingest', durable: 'ingest-submitted', outcome })).toBeGreaterThanOrEqual(0);
    }
    expect(ingest.value('vigil_consumer_lag_messages', { durable: 'ingest-submitted' })).toBeGreaterThanOrEqual(0);
    expect(ingest.value('vigil_consumer_stalled', { durable: 'ingest-submitted' })).toBe(0);
    for (const service of ['gateway', 'ingest', 'detection', 'incident'] as const) {
      expect((await scrape(service)).value('vigil_outbox_depth', { service })).toBeGreaterThanOrEqual(0);
    }
  });

  it('counts a brute-force attack end to end and follows its correlation id through every service', async () => {
    const before = await scrapeAll();
    const res = await postEvents(Array.from({ length: 5 }, () => loginFailed('203.0.113.77')), { 'X-Correlation-Id': 'test-corr-123' });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-correlation-id')).toBe('test-corr-123');
    await stack.smtp.waitForMessages(1, (m) => m.to.includes('soc@ops.test'), 60_000);
    await stack.settle();
    const after = await scrapeAll();
    const delta = (service: ServiceName, name: string, labels: Labels = {}) => after[service].sum(name, labels) - before[service].sum(name, labels);

    // gateway: the request and its events
    expect(delta('gateway', 'vigil_http_requests_total', { method: 'POST', route: '/v1/events', status: '202' })).toBe(1);
    expect(delta('gateway', 'vigil_http_request_duration_seconds_count', { method: 'POST', route: '/v1/events', status: '202' })).toBe(1);
    expect(delta('gateway', 'vigil_gateway_events_total', { outcome: 'accepted' })).toBe(5);
    expect(delta('gateway', 'vigil_gateway_events_total', { outcome: 'rejected' })).toBe(0);
    // events in and out of each stage
    // one message for the request's batch, five events stored and published
    expect(delta('ingest', 'vigil_consumer_messages_total', { durable: 'ingest-submitted', outcome: 'ack' })).toBe(1);
    expect(delta('ingest', 'vigil_ingest_events_total', { outcome: 'stored' })).toBe(5);
    expect(delta('ingest', 'vigil_events_published_total', { event_type: 'login.failed' })).toBe(5);
    expect(delta('detection', 'vigil_outbox_published_total', { event_type: 'detection.triggered' })).toBe(1);
    expect(delta('incident', 'vigil_consumer_messages_total', { durable: 'incident-detection-triggered', outcome: 'ack' })).toBe(1);
    expect(delta('incident', 'vigil_outbox_published_total', { event_type: 'incident.created' })).toBe(1);
    expect(delta('notification', 'vigil_consumer_messages_total', { durable: 'notification-incident-created', outcome: 'ack' })).toBe(1);
    expect(delta('reporting', 'vigil_consumer_messages_total', { outcome: 'ack' })).toBe(1);
    // nothing left waiting
    expect(after.ingest.value('vigil_consumer_lag_messages', { durable: 'ingest-submitted' })).toBe(0);
    for (const service of ['gateway', 'ingest', 'detection', 'incident'] as const) expect(after[service].value('vigil_outbox_depth', {})).toBe(0);

    // One id from the HTTP request to the admin alert.
    expect(linesWith('gateway', 'test-corr-123').map((l) => l.msg)).toContain('request');
    expect(linesWith('ingest', 'test-corr-123').map((l) => l.msg)).toContain('events stored');
    expect(linesWith('detection', 'test-corr-123').length).toBeGreaterThan(0);
    expect(linesWith('incident', 'test-corr-123').map((l) => l.msg)).toContain('incident created');
    expect(linesWith('notification', 'test-corr-123').map((l) => l.msg)).toContain('admin alert queued');
  });

  it('makes up a correlation id when the request has none or an unusable one, and takes X-Request-Id', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const invalid = { specversion: '1.0', id: 'x', source: 's', type: 'login.failed', data: { ip: 'nope' } };

    const none = await postEvents([invalid]);
    expect(none.status).toBe(400);
    expect(none.headers.get('x-correlation-id')).toMatch(uuid);

    const spaced = await postEvents([invalid], { 'X-Correlation-Id': 'has spaces "and quotes"' });
    expect(spaced.headers.get('x-correlation-id')).toMatch(uuid);
    const tooLong = await postEvents([invalid], { 'X-Correlation-Id': 'a'.repeat(129) });
    expect(tooLong.headers.get('x-correlation-id')).toMatch(uuid);

    const requestId = await postEvents([invalid], { 'X-Request-Id': 'req-42:retry.1' });
    expect(requestId.headers.get('x-correlation-id')).toBe('req-42:retry.1');

    // Refused before any handler runs (no API key): still answered with its id.
    const unauthorised = await fetch(`${stack.gatewayUrl}/v1/reports/breach-summary`, { headers: { 'X-Correlation-Id': 'no-key-1' } });
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.headers.get('x-correlation-id')).toBe('no-key-1');
  });

  it('counts a dead letter for an invalid event published straight to NATS', async () => {
    const before = await scrape('ingest');
    const js = (await stack.natsConnection()).jetstream();
    await publishRaw(js, ingestSubmittedSubject(org.orgId), 'ops-not-json', new TextEncoder().encode('{not json'));
    const after = await waitFor(
      async () => {
        const s = await scrape('ingest');
        return s.value('vigil_consumer_dead_letters_total', { durable: 'ingest-submitted' }) > before.value('vigil_consumer_dead_letters_total', { durable: 'ingest-submitted' }) && s;
      },
      { description: 'dead letter counted' },
    );
    expect(after.value('vigil_consumer_dead_letters_total', { durable: 'ingest-submitted' }) - before.value('vigil_consumer_dead_letters_total', { durable: 'ingest-submitted' })).toBe(1);
    expect(after.value('vigil_consumer_messages_total', { durable: 'ingest-submitted', outcome: 'dead_letter' }) - before.value('vigil_consumer_messages_total', { durable: 'ingest-submitted', outcome: 'dead_letter' })).toBe(1);
    await stack.settle();
  });

  it('fails /readyz naming a consumer that has work and makes no progress, and recovers when it moves again', async () => {
    const readyz = async () => {
      const res = await fetch(`${urlOf('ingest')}/readyz`);
      return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
    };
    expect((await readyz()).body.checks.consumers).toBe('ok');

    // Block ingest's writes: its handler waits on the lock with the message in hand.
    const locker = new Client({ connectionString: stack.db.adminUrl });
    await locker.connect();
    try {
      await locker.query('begin');
      await locker.query('lock table ingest.raw_events in access exclusive mode');
      const res = await postEvents([loginFailed('203.0.113.78')], { 'X-Correlation-Id': 'stall-1' });
      expect(res.status).toBe(202);

      const stalled = await waitFor(async () => { const r = await readyz(); return r.status === 503 && r; }, { timeoutMs: 30_000, description: 'ingest unready' });
      expect(stalled.body).toMatchObject({ status: 'unavailable', service: 'ingest', checks: { postgres: 'ok', nats: 'ok' } });
      expect(stalled.body.checks.consumers).toMatch(/^ingest-submitted stalled: no progress for \d+ s with 1 message\(s\) in hand/);
      expect((await scrape('ingest')).value('vigil_consumer_stalled', { durable: 'ingest-submitted' })).toBe(1);
    } finally {
      await locker.query('rollback').catch(() => undefined);
      await locker.end();
    }

    const ready = await waitFor(async () => { const r = await readyz(); return r.status === 200 && r; }, { timeoutMs: 30_000, description: 'ingest ready again' });
    expect(ready.body.checks).toEqual({ postgres: 'ok', nats: 'ok', consumers: 'ok' });
    await stack.settle();
    expect(linesWith('ingest', 'stall-1').map((l) => l.msg)).toContain('events stored');
  });
});

type Labels = Record<string, string>;
interface Samples {
  /** The one sample of `name` whose labels include `labels`; fails on none or several. */
  value(name: string, labels: Labels): number;
  /** Sum over every sample of `name` whose labels include `labels` (0 when none). */
  sum(name: string, labels: Labels): number;
}

/** Prometheus text exposition, just enough of it: `name{a="b",...} value` lines. */
function parseSamples(text: string): Samples {
  const samples: { name: string; labels: Labels; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Labels = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  const matching = (name: string, labels: Labels) => samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return {
    value(name, labels) {
      const found = matching(name, labels);
      if (found.length !== 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`);
      return found[0]!.value;
    },
    sum: (name, labels) => matching(name, labels).reduce((a, s) => a + s.value, 0),
  };
}
