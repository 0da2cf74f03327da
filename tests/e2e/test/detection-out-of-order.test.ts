import { allStreams } from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { TestStack, loginFailed, type TestOrg } from '../src';

/**
 * Failed logins reach detection out of event-time order — concurrent producer batches, a crashed
 * detection's redeliveries — and every attack must still become exactly one incident.
 * gateway -> ingest -> detection -> incident, each its own process.
 */
describe('detection under out-of-order delivery (gateway to incident)', () => {
  let stack: TestStack;
  const MIN = 60_000;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'ingest', 'detection', 'incident'] });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const incidentsOf = (org: TestOrg) => stack.count('select count(*) as n from incident.incidents where org_id = $1', [org.orgId]);
  const detectionsOf = (org: TestOrg) => stack.count('select count(*) as n from incident.incident_detections where org_id = $1', [org.orgId]);

  /** Nothing left in flight between gateway and incident: outboxes empty, consumers caught up, twice. */
  async function settle(): Promise<void> {
    const jsm = await (await stack.natsConnection()).jetstreamManager();
    const quiet = async () => {
      const outbox = await stack.count(
        `select (select count(*) from gateway.outbox) + (select count(*) from ingest.outbox) + (select count(*) from detection.outbox)
              + (select count(*) from incident.outbox) as n`,
      );
      if (outbox > 0) return false;
      for (const stream of allStreams) {
        if (stream.name === 'VIGIL_DEAD_LETTERS') continue;
        const consumers = await jsm.consumers.list(stream.name).next().catch(() => []);
        for (const c of consumers) if (c.num_pending > 0 || c.num_ack_pending > 0) return false;
      }
      return true;
    };
    await waitFor(async () => (await quiet()) && (await quiet()), { timeoutMs: 120_000, intervalMs: 200, description: 'pipeline to settle' });
  }

  async function submit(org: TestOrg, events: unknown[]) {
    const res = await stack.api('/v1/events', { key: org.key, body: events });
    expect(res.status).toBe(202);
  }

  it('opens 201 incidents for 200 IPs x 5 failures within 5 s posted as 4 concurrent batches of 250: one per IP, one for the spraying they add up to', async () => {
    const org = await stack.createOrg('Swarm', ['soc@swarm.test']);
    const start = Date.now() - MIN;
    const events = Array.from({ length: 200 }, (_, i) => `198.51.${100 + Math.floor(i / 100)}.${i % 100}`).flatMap((ip, i) =>
      [0, 1, 2, 3, 4].map((k) => loginFailed(ip, { at: new Date(start + ((i * 13 + k * 997) % 5000)) })),
    );
    // Interleave the IPs across the batches so each IP's failures land in several concurrent requests.
    const batches = [0, 1, 2, 3].map((b) => events.filter((_, i) => i % 4 === b));
    await Promise.all(batches.map((batch) => submit(org, batch)));
    await settle();

    // 200 accounts failing from 200 IPs within 5 s: the windows of the first seconds hold hundreds of
    // accounts with 1-3 failures each, which is also one org-wide password-spraying attack.
    const spraying = await stack.count("select count(*) as n from incident.incidents where org_id = $1 and correlation_key = $2", [org.orgId, `password_spraying.org:${org.orgId}`]);
    expect(spraying).toBe(1);
    expect(await detectionsOf(org)).toBe(201);
    expect(await incidentsOf(org)).toBe(201);
    expect(await stack.deadLetterCount()).toBe(0);
  });

  it('raises 2 detections but keeps 1 incident for one IP attacking twice, more than a window apart, posted latest first', async () => {
    const org = await stack.createOrg('Twice', ['soc@twice.test']);
    const start = Date.now() - 60 * MIN;
    const times = [0, 1, 2, 3, 4].flatMap((s) => [start + s * 1000, start + 20 * MIN + s * 1000]).sort((a, b) => b - a);
    await submit(org, times.map((t) => loginFailed('192.0.2.77', { at: new Date(t) })));
    await settle();

    expect(await detectionsOf(org)).toBe(2);
    // The second detection's correlation key matches the open incident: folded, not a new incident.
    expect(await incidentsOf(org)).toBe(1);
  });

  it('still detects an attack whose first failures were in flight when detection was killed -9', async () => {
    // The default 30 s ack wait: the crashed batch comes back well after the failures sent after the restart.
    await stack.services.get('detection')!.stop();
    const crashing = await stack.startService('detection', { VIGIL_FAULT_KILL: 'detection-events:before-commit' });
    const org = await stack.createOrg('Crash', ['soc@crash.test']);
    const start = Date.now() - 5 * MIN;
    const log = [0, 1, 2, 3, 4].map((s) => loginFailed('203.0.113.66', { at: new Date(start + s * 1000) }));

    await submit(org, log.slice(0, 3));
    expect((await crashing.exited).signal).toBe('SIGKILL');
    await stack.startService('detection');
    await submit(org, log.slice(3));
    // The auth log streamed on: the last two failures are counted before the crashed ones come back.
    const counted = () => stack.count("select count(*) as n from detection.observed_events where org_id = $1 and type = 'login.failed'", [org.orgId]);
    await waitFor(async () => (await stack.count("select count(*) as n from detection.observed_events where org_id = $1 and type = 'login.failed' and occurred_at >= $2", [org.orgId, new Date(start + 3000)])) === 2, {
      timeoutMs: 60_000,
      description: 'the failures sent after the restart to be counted',
    });
    expect(await counted()).toBeLessThan(5);

    await waitFor(async () => (await counted()) === 5, { timeoutMs: 90_000, description: 'the crashed batch to be redelivered' });
    await settle();
    expect(await detectionsOf(org)).toBe(1);
    expect(await incidentsOf(org)).toBe(1);
  }, 180_000);
});
