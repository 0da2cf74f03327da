import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { connect, JSONCodec, type JetStreamManager, type NatsConnection } from 'nats';
import { createEvent, detectionRuleUpdateCommandV1, eventSubject, loginFailedV1, streams } from '@vigil/contracts';
import { publishEvent } from '@vigil/messaging';
import { createTestDatabase, freePort, startNats, startServiceProcess, waitFor, type ServiceProcess, type TestDatabase, type TestNats } from '@vigil/testing';
import { DETECTION_CONSUMER } from '../src/engine/detection.handlers';
import { partitionDurable, partitionOf, SINGLE_DURABLE } from '../src/partition/detection-partition';
import { DetectionHarness, decodeKeepsEnrichment, expectedOf, loadScenarios, scenarioEvents } from './harness';

/**
 * Two detection processes (dist/main.js) with VIGIL_DETECTION_PARTITIONS=2 over one database and one
 * nats-server: every scenario case, replayed for many orgs, must give exactly its expected detections
 * (none twice, none missing) although the orgs are split between the replicas and one replica is
 * killed -9 after a commit, before its acks, and restarted. A rule change answered by the replica that
 * does not own the org must reach the one that does.
 */
const jc = JSONCodec();
const geo = decodeKeepsEnrichment();
const cases = loadScenarios().filter((c) => geo || !c.events.some((e) => e.enrichment));
const ORGS_PER_CASE = 3;
const t0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 86_400_000;
const WAIT = { timeoutMs: 120_000, intervalMs: 100 };

let db: TestDatabase;
let nats: TestNats;
let nc: NatsConnection;
let jsm: JetStreamManager;
const procs: ServiceProcess[] = [];
const replicas: ServiceProcess[] = [];

let singleFloor = 0;
const beforeSplitOrg = randomUUID();

async function startReplica(partition: number, env: Record<string, string> = {}, partitions = '2'): Promise<ServiceProcess> {
  const p = await startServiceProcess({
    name: `detection-${partition}-of-${partitions}`,
    entry: join(__dirname, '..', 'dist', 'main.js'),
    env: {
      DATABASE_URL: db.urlFor('detection'),
      NATS_URL: nats.url,
      LOG_LEVEL: 'info',
      VIGIL_CONSUMER_ACK_WAIT_MS: '2000',
      VIGIL_DETECTION_PARTITIONS: partitions,
      VIGIL_DETECTION_PARTITION: String(partition),
      ...env,
    },
    port: await freePort(),
  });
  procs.push(p);
  if (partitions === '2') replicas[partition] = p;
  return p;
}

/** 5 failures from one IP within seconds: one brute_force.ip attack. */
const bruteForce = (orgId: string, ip: string) =>
  Array.from({ length: 5 }, (_, i) => createEvent(loginFailedV1, { orgid: orgId, source: 'https://app.test/login', time: new Date(Date.now() - 60_000 + i * 1000), data: { ip, username: `bf${i}@acme.test` } }));

async function publishAll(events: readonly ReturnType<typeof bruteForce>[number][]): Promise<number> {
  let last = 0;
  for (const e of events) last = (await publishEvent(nc.jetstream(), eventSubject(e.type, e.orgid), e)).seq;
  return last;
}

beforeAll(async () => {
  [db, nats] = await Promise.all([createTestDatabase({ schemas: ['detection'] }), startNats()]);
  nc = await connect({ servers: nats.url });
  jsm = await nc.jetstreamManager();
  // A deployment that ran one replica (durable `detection-events`) before it is split in two.
  const single = await startReplica(0, {}, '1');
  const last = await publishAll(bruteForce(beforeSplitOrg, '198.51.100.77'));
  await waitFor(
    async () => {
      const ci = await jsm.consumers.info(streams.security.name, SINGLE_DURABLE);
      return ci.ack_floor.stream_seq >= last && ci.num_ack_pending === 0 && ci.num_pending === 0;
    },
    { ...WAIT, description: 'the single replica to consume its events' },
  );
  singleFloor = (await jsm.consumers.info(streams.security.name, SINGLE_DURABLE)).ack_floor.stream_seq;
  await single.stop();
  await startReplica(0);
  await startReplica(1);
}, 90_000);

afterAll(async () => {
  await Promise.allSettled(procs.map((p) => p.stop()));
  await nc?.close();
  await nats?.stop();
  await db?.drop();
});

/** A command to detection the way the gateway sends it (Nest's NATS request/reply packet). */
async function updateRule(orgId: string, ruleId: string, settings: Record<string, unknown>): Promise<unknown> {
  const packet = { id: randomUUID(), pattern: detectionRuleUpdateCommandV1.subject, data: { orgId, ruleId, settings, actor: 'replicas-test' } };
  const reply = jc.decode((await nc.request(detectionRuleUpdateCommandV1.subject, jc.encode(packet), { timeout: 5_000 })).data) as { response?: unknown; err?: unknown };
  return reply.response ?? reply.err;
}

/** Orgs owned by `partition` of 2 (the replicas' own hash). */
function orgsOf(partition: number, n: number): string[] {
  const out: string[] = [];
  while (out.length < n) {
    const org = randomUUID();
    if (partitionOf(org, 2) === partition) out.push(org);
  }
  return out;
}

/** A replica's counter of security messages it owned (evaluated) or skipped (another replica's). */
async function partitionCount(p: ServiceProcess, outcome: 'owned' | 'skipped'): Promise<number> {
  const text = await (await fetch(`${p.url}/metrics`)).text();
  const m = new RegExp(`^vigil_detection_partition_messages_total\\{[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`, 'm').exec(text);
  if (!m) throw new Error(`no vigil_detection_partition_messages_total{outcome="${outcome}"} in ${p.name}'s metrics`);
  return Number(m[1]);
}

/** Both partitions' durables acked everything up to `seq`, and the outbox published every detection. */
async function settled(seq: number): Promise<void> {
  await waitFor(
    async () => {
      for (const durable of [partitionDurable(0, 2), partitionDurable(1, 2)]) {
        const ci = await jsm.consumers.info(streams.security.name, durable);
        if (ci.ack_floor.stream_seq < seq || ci.num_pending > 0 || ci.num_ack_pending > 0) return false;
      }
      const [row] = await db.query<{ n: string }>('select count(*) as n from detection.outbox');
      return row?.n === '0';
    },
    { ...WAIT, description: `both partitions settled up to ${seq}, outbox empty` },
  );
}

const reader = () => ({ jsm, js: nc.jetstream() }) as DetectionHarness;
const detectionsOf = (orgId: string) => DetectionHarness.prototype.detectionsOf.call(reader(), orgId);

describe('two detection replicas (VIGIL_DETECTION_PARTITIONS=2)', () => {
  it('each reads the whole stream through its own durable, starting where the single replica had acked everything', async () => {
    for (const partition of [0, 1]) {
      const ci = await jsm.consumers.info(streams.security.name, partitionDurable(partition, 2));
      expect({ partition, policy: ci.config.deliver_policy, start: ci.config.opt_start_seq }).toEqual({ partition, policy: 'by_start_sequence', start: singleFloor + 1 });
      // The old durable is named for the operator to delete once every replica is split.
      expect(replicas[partition]!.logs()).toContain(`nats consumer rm ${streams.security.name} ${SINGLE_DURABLE}`);
    }
    // What the single replica detected stays detected, once.
    expect((await detectionsOf(beforeSplitOrg)).map((d) => d.key?.value)).toEqual(['198.51.100.77']);
  });

  it('a rule change answered by the replica that does not own the org reaches the one that does', async () => {
    // The org's owner caches its settings on its first event; the update must then come in through the
    // other replica (queue group: either may answer), so try fresh orgs until it did.
    let org: string | undefined;
    for (let attempt = 0; attempt < 30 && !org; attempt++) {
      const [candidate] = orgsOf(0, 1);
      const owned = await partitionCount(replicas[0]!, 'owned');
      const warm = createEvent(loginFailedV1, { orgid: candidate!, source: 'https://app.test/login', time: new Date(), data: { ip: '192.0.2.200', username: 'warm@acme.test' } });
      await settled((await publishEvent(nc.jetstream(), eventSubject(warm.type, warm.orgid), warm)).seq);
      expect(await partitionCount(replicas[0]!, 'owned')).toBe(owned + 1);
      expect(await updateRule(candidate!, 'brute_force.ip', { threshold: 3 })).toMatchObject({ rule: { id: 'brute_force.ip', overridden: true, settings: { threshold: 3 } } });
      // The answering replica logs the change (its stdout may reach us just after the reply).
      let answeredBy = -1;
      await waitFor(
        () => {
          answeredBy = replicas.findIndex((p) => p.logs().split('\n').some((l) => l.includes('"rule settings changed"') && l.includes(candidate!)));
          return answeredBy >= 0;
        },
        { timeoutMs: 10_000, intervalMs: 20, description: 'the answering replica to log the change' },
      );
      if (answeredBy === 1) org = candidate;
    }
    expect(org).toBeDefined();
    // 3 failures from one IP: an attack under the new threshold (5 by default).
    const t = Date.now() - 60_000;
    const failures = [0, 1, 2].map((i) => createEvent(loginFailedV1, { orgid: org!, source: 'https://app.test/login', time: new Date(t + i * 1000), data: { ip: '203.0.113.99', username: `u${i}@acme.test` } }));
    await settled(await publishAll(failures));
    expect((await detectionsOf(org!)).map((d) => ({ ruleId: d.ruleId, key: d.key?.value, threshold: d.threshold }))).toEqual([{ ruleId: 'brute_force.ip', key: '203.0.113.99', threshold: 3 }]);
  }, 180_000);

  it('splits the scenario cases over many orgs between the replicas; a replica killed -9 mid-stream and restarted: exactly the expected detections', async () => {
    const orgs = cases.map(() => Array.from({ length: ORGS_PER_CASE }, () => randomUUID()));
    const all = orgs.flat();
    // Both replicas must have orgs of their own, or the test would prove nothing about the split.
    expect(new Set(all.map((o) => partitionOf(o, 2))).size).toBe(2);
    for (const [i, c] of cases.entries()) {
      for (const org of orgs[i]!) {
        for (const [ruleId, s] of Object.entries(c.settings)) expect(await updateRule(org, ruleId, s)).toMatchObject({ rule: { id: ruleId, overridden: true } });
      }
    }
    // Replica 1 is replaced by one that SIGKILLs itself right after its first batch commits (before the acks).
    await replicas[1]!.stop();
    const crashing = await startReplica(1, { VIGIL_FAULT_KILL: `${DETECTION_CONSUMER}:after-commit` });
    const ownedBefore = await partitionCount(replicas[0]!, 'owned');
    const committedBefore = Number((await db.query<{ n: string }>('select count(*) as n from detection.inbox'))[0]!.n);

    const events = cases.flatMap((c, i) => orgs[i]!.flatMap((org) => scenarioEvents(c, org, t0)));
    const h = { js: nc.jetstream() } as Pick<DetectionHarness, 'js'>;
    const last = await DetectionHarness.prototype.publish.call(h as DetectionHarness, events, 4);

    expect((await crashing.exited).signal).toBe('SIGKILL');
    expect(crashing.logs()).toContain(`VIGIL_FAULT_KILL: killing process at ${DETECTION_CONSUMER}:after-commit`);
    // Its batch committed: those events are in the inbox, their messages unacked (redelivered to the restart).
    expect(Number((await db.query<{ n: string }>('select count(*) as n from detection.inbox'))[0]!.n)).toBeGreaterThan(committedBefore);
    const restarted = await startReplica(1);
    await settled(last);
    // The killed process cannot answer for its partition any more: the restart is not taken for a second one.
    expect(restarted.logs()).not.toContain('another process already runs');

    // Both did work: each evaluated messages of its own orgs and skipped the other's.
    expect(await partitionCount(replicas[0]!, 'owned')).toBeGreaterThan(ownedBefore);
    expect(await partitionCount(replicas[0]!, 'skipped')).toBeGreaterThan(0);
    expect(await partitionCount(restarted, 'owned')).toBeGreaterThan(0);
    expect(await partitionCount(restarted, 'skipped')).toBeGreaterThan(0);

    const key = (d: { ruleId: string; key: string; severity: string }) => `${d.ruleId} ${d.key} ${d.severity}`;
    for (const [i, c] of cases.entries()) {
      for (const org of orgs[i]!) {
        const got = await detectionsOf(org);
        // Distinct ids: a second detection of one attack would show up as a second entry here.
        expect(new Set(got.map((d) => d.detectionId)).size).toBe(got.length);
        expect({ case: `${c.file}: ${c.name}`, partition: partitionOf(org, 2), detections: got.map((d) => key({ ruleId: d.ruleId, key: d.key?.value ?? '', severity: d.severity })).sort() }).toEqual({
          case: `${c.file}: ${c.name}`,
          partition: partitionOf(org, 2),
          detections: expectedOf(c, org).map(key).sort(),
        });
      }
    }
    // Each org's detections came from the replica that owns it (its log line names the org).
    const detectedBy = (p: ServiceProcess) => p.logs().split('\n').filter((l) => l.includes('"attack detected"'));
    const lines = [detectedBy(replicas[0]!), detectedBy(restarted)];
    expect(lines.map((l) => l.length > 0)).toEqual([true, true]);
    for (const org of all) expect({ org, elsewhere: lines[1 - partitionOf(org, 2)]!.some((l) => l.includes(org)) }).toEqual({ org, elsewhere: false });
  }, 300_000);

  it('a second process started for a partition that is already running says so', async () => {
    const first = replicas[0]!;
    const second = await startReplica(0);
    replicas[0] = first;
    await waitFor(() => second.logs().includes('another process already runs detection partition 0 of 2'), { timeoutMs: 10_000, description: 'the second process to notice the first' });
    expect(second.logs()).toContain(`pid ${replicas[0]!.pid}`);
    await second.stop();
    // The first never complains: it was alone when it started.
    expect(replicas[0]!.logs()).not.toContain('another process already runs');
  }, 60_000);
});
