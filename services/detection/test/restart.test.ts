import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { connect, JSONCodec, type NatsConnection } from 'nats';
import { detectionRuleUpdateCommandV1, streams } from '@vigil/contracts';
import { createTestDatabase, freePort, startNats, startServiceProcess, waitFor, type ServiceProcess, type TestDatabase, type TestNats } from '@vigil/testing';
import { DETECTION_CONSUMER } from '../src/engine/detection.handlers';
import { DetectionHarness, decodeKeepsEnrichment, expectedOf, loadScenarios, scenarioEvents } from './harness';

/**
 * Kill -9 the detection process in the middle of a stream (VIGIL_FAULT_KILL: before its first batch
 * commits, or after it commits and before the acks), restart it, and the detections must be exactly
 * those of an uninterrupted run: every scenario case's expected detections, no more, no fewer.
 * Runs the built service (dist) as a real child process.
 */
const jc = JSONCodec();
const geo = decodeKeepsEnrichment();
const cases = loadScenarios().filter((c) => geo || !c.events.some((e) => e.enrichment));
const t0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 86_400_000;

let db: TestDatabase;
let nats: TestNats;
let nc: NatsConnection;
const procs: ServiceProcess[] = [];

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase({ schemas: ['detection'] }), startNats()]);
  nc = await connect({ servers: nats.url });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(procs.map((p) => p.stop()));
  await nc?.close();
  await nats?.stop();
  await db?.drop();
});

async function startDetection(env: Record<string, string> = {}): Promise<ServiceProcess> {
  const p = await startServiceProcess({
    name: 'detection',
    entry: join(__dirname, '..', 'dist', 'main.js'),
    env: { DATABASE_URL: db.urlFor('detection'), NATS_URL: nats.url, LOG_LEVEL: 'warn', VIGIL_CONSUMER_ACK_WAIT_MS: '2000', ...env },
    port: await freePort(),
  });
  procs.push(p);
  return p;
}

/** A command to detection the way the gateway sends it (Nest's NATS request/reply packet). */
async function updateRule(orgId: string, ruleId: string, settings: Record<string, unknown>): Promise<unknown> {
  const packet = { id: randomUUID(), pattern: detectionRuleUpdateCommandV1.subject, data: { orgId, ruleId, settings, actor: 'restart-test' } };
  const reply = jc.decode((await nc.request(detectionRuleUpdateCommandV1.subject, jc.encode(packet), { timeout: 5_000 })).data) as { response?: unknown; err?: unknown };
  return reply.response ?? reply.err;
}

describe.each(['before-commit', 'after-commit'] as const)('detection killed -9 %s', (point) => {
  it('ends with exactly the detections of an uninterrupted run, for every scenario case', async () => {
    const crashing = await startDetection({ VIGIL_FAULT_KILL: `${DETECTION_CONSUMER}:${point}` });
    const orgs = cases.map(() => randomUUID());
    for (const [i, c] of cases.entries()) {
      for (const [ruleId, s] of Object.entries(c.settings)) expect(await updateRule(orgs[i]!, ruleId, s)).toMatchObject({ rule: { id: ruleId, overridden: true } });
    }
    const h = { js: nc.jetstream() } as Pick<DetectionHarness, 'js'>;
    const events = cases.flatMap((c, i) => scenarioEvents(c, orgs[i]!, t0));
    const publish = DetectionHarness.prototype.publish.bind(h as DetectionHarness);
    const last = await publish(events, 4);

    expect((await crashing.exited).signal).toBe('SIGKILL');
    expect(crashing.logs()).toContain(`VIGIL_FAULT_KILL: killing process at ${DETECTION_CONSUMER}:${point}`);
    const committedBefore = Number((await db.query<{ n: string }>('select count(*) as n from detection.inbox'))[0]!.n);
    if (point === 'before-commit') expect(committedBefore).toBe(0);
    else expect(committedBefore).toBeGreaterThan(0);

    const restarted = await startDetection();
    const jsm = await nc.jetstreamManager();
    await waitFor(
      async () => {
        const ci = await jsm.consumers.info(streams.security.name, DETECTION_CONSUMER);
        const [row] = await db.query<{ n: string }>('select count(*) as n from detection.outbox');
        return ci.ack_floor.stream_seq >= last && ci.num_ack_pending === 0 && ci.num_pending === 0 && row?.n === '0';
      },
      { timeoutMs: 90_000, intervalMs: 100, description: 'restarted detection to catch up' },
    );
    const reader = { jsm, js: nc.jetstream() } as DetectionHarness;
    for (const [i, c] of cases.entries()) {
      const got = await DetectionHarness.prototype.detectionsOf.call(reader, orgs[i]!);
      const key = (d: { ruleId: string; key: string; severity: string }) => `${d.ruleId} ${d.key} ${d.severity}`;
      expect({ case: `${c.file}: ${c.name}`, detections: got.map((d) => key({ ruleId: d.ruleId, key: d.key?.value ?? '', severity: d.severity })).sort() }).toEqual({
        case: `${c.file}: ${c.name}`,
        detections: expectedOf(c, orgs[i]!).map(key).sort(),
      });
    }
    await restarted.stop();
  }, 180_000);
});
