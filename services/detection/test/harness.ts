import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import { createEvent, detectionTriggeredV1, eventSubject, resolveDefinition, streams, type DetectionTriggeredV1, type VigilEvent } from '@vigil/contracts';
import { decodeEvent, encodeEvent, publishEvent } from '@vigil/messaging';
import { bootstrapService, createLogger, loadConfig } from '@vigil/platform';
import { createTestDatabase, startNats, waitFor, type TestDatabase, type TestNats } from '@vigil/testing';
import { AppModule } from '../src/app.module';
import { detectionEnvSchema } from '../src/config';
import { DETECTION_CONSUMER } from '../src/engine/detection.handlers';

const WAIT = { timeoutMs: 60_000, intervalMs: 100 };

/** Detection on a private database and its own nats-server, plus a client to feed and read it. */
export class DetectionHarness {
  app!: Awaited<ReturnType<typeof bootstrapService>>;
  nc!: NatsConnection;
  js!: JetStreamClient;
  jsm!: JetStreamManager;

  private constructor(
    readonly db: TestDatabase,
    readonly nats: TestNats,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<DetectionHarness> {
    const [db, nats] = await Promise.all([createTestDatabase({ schemas: ['detection'] }), startNats()]);
    const h = new DetectionHarness(db, nats);
    await h.startApp(env);
    h.nc = await connect({ servers: nats.url });
    h.jsm = await h.nc.jetstreamManager();
    h.js = h.nc.jetstream();
    return h;
  }

  async startApp(env: Record<string, string> = {}): Promise<void> {
    const config = loadConfig(detectionEnvSchema, { PORT: '0', DATABASE_URL: this.db.urlFor('detection'), NATS_URL: this.nats.url, LOG_LEVEL: 'silent', ...env }, 'detection');
    const log = createLogger('detection', config.LOG_LEVEL);
    this.app = await bootstrapService(AppModule(config, log), { config, log, rpcQueue: 'detection' });
  }

  async stop(): Promise<void> {
    await this.app?.close();
    await this.nc?.close();
    await this.nats?.stop();
    await this.db?.drop();
  }

  /** Publishes events straight on their per-type subjects, like ingest would; returns the last stream sequence. */
  async publish(events: readonly VigilEvent[], lanes = 1): Promise<number> {
    let last = 0;
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let i = lane; i < events.length; i += lanes) {
          last = Math.max(last, (await publishEvent(this.js, eventSubject(events[i]!.type, events[i]!.orgid), events[i]!)).seq);
        }
      }),
    );
    return last;
  }

  /** Detection consumed everything up to `seq` and its outbox published every detection. */
  async settled(seq: number): Promise<void> {
    await waitFor(
      async () => {
        const ci = await this.jsm.consumers.info(streams.security.name, DETECTION_CONSUMER);
        if (ci.ack_floor.stream_seq < seq || ci.num_pending > 0 || ci.num_ack_pending > 0) return false;
        const [row] = await this.db.query<{ n: string }>('select count(*) as n from detection.outbox');
        return row?.n === '0';
      },
      { ...WAIT, description: `${DETECTION_CONSUMER} settled up to ${seq}, outbox empty` },
    );
  }

  /** Every detection.triggered published for the org. */
  async detectionsOf(orgId: string): Promise<DetectionTriggeredV1[]> {
    const subject = eventSubject('detection.triggered', orgId);
    const info = await this.jsm.streams.info(streams.detections.name, { subjects_filter: subject });
    const n = info.state.subjects?.[subject] ?? 0;
    if (n === 0) return [];
    const consumer = await this.js.consumers.get(streams.detections.name, { filterSubjects: subject });
    const out: DetectionTriggeredV1[] = [];
    for await (const m of await consumer.fetch({ max_messages: n, expires: 5_000 })) {
      out.push(decodeEvent(m, detectionTriggeredV1).data);
      if (out.length === n) break;
    }
    return out;
  }

  attacksOf(orgId: string) {
    return this.db.query<{ rule_id: string; key: string; started_at: Date; last_seen_at: Date; event_count: number }>(
      'select rule_id, key, started_at, last_seen_at, event_count from detection.attacks where org_id = $1 order by rule_id, key, started_at',
      [orgId],
    );
  }
}

/** One line of a scenario file: an expectation (with optional settings) or an event of a case. */
export type ScenarioLine =
  | { case: string; expect: { ruleId: string; key: string; severity: string }[]; settings?: Record<string, Record<string, unknown>> }
  | { case: string; at: number; type: string; data: unknown; enrichment?: unknown };

export interface ScenarioCase {
  file: string;
  name: string;
  expect: { ruleId: string; key: string; severity: string }[];
  settings: Record<string, Record<string, unknown>>;
  events: { at: number; type: string; data: unknown; enrichment?: unknown }[];
}

export const scenarioDir = join(__dirname, '..', 'scenarios');

export function loadScenarios(): ScenarioCase[] {
  const cases: ScenarioCase[] = [];
  for (const file of readdirSync(scenarioDir).filter((f) => f.endsWith('.jsonl')).sort()) {
    const byName = new Map<string, ScenarioCase>();
    for (const line of readFileSync(join(scenarioDir, file), 'utf8').split('\n').filter(Boolean)) {
      const l = JSON.parse(line) as ScenarioLine;
      let c = byName.get(l.case);
      if (!c) byName.set(l.case, (c = { file, name: l.case, expect: [], settings: {}, events: [] }));
      if ('expect' in l) {
        c.expect = l.expect;
        c.settings = l.settings ?? {};
      } else c.events.push(l);
    }
    cases.push(...byName.values());
  }
  return cases;
}

/** A case's expected detections in one org: `{org}` in a key stands for the org's id (org-wide rules key on it). */
export function expectedOf(c: ScenarioCase, orgId: string): ScenarioCase['expect'] {
  return c.expect.map((e) => ({ ...e, key: e.key.replaceAll('{org}', orgId) }));
}

/** A case's events for one org, `at` seconds after t0 (event time). */
export function scenarioEvents(c: ScenarioCase, orgId: string, t0: number): VigilEvent[] {
  return c.events.map((e, i) => {
    const def = resolveDefinition(e.type);
    if (!def) throw new Error(`${c.file}: unknown event type ${e.type}`);
    const event = createEvent(def, { orgid: orgId, source: `scenario://${c.file}`, time: new Date(t0 + e.at * 1000), data: e.data as never, id: `${orgId}-${i}` });
    return e.enrichment ? { ...event, enrichment: e.enrichment } : event;
  });
}

/** Whether the contracts in this build carry `enrichment` through decoding (the geo enrichment work). */
export function decodeKeepsEnrichment(): boolean {
  const event = { ...createEvent(resolveDefinition('login.succeeded')!, { orgid: '7c0e0c4e-6a6f-4b8e-9f57-1f0a7d3c2b11', source: 'probe', data: { ip: '203.0.113.1' } }), enrichment: { geo: { kind: 'public', country: 'DE' } } };
  return 'enrichment' in decodeEvent({ data: encodeEvent(event) }, resolveDefinition('login.succeeded')!);
}
