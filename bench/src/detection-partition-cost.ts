/**
 * What splitting detection costs: CPU a replica (VIGIL_DETECTION_PARTITIONS=2, partition 0) spends per
 * 1,000 security messages of the other partition's orgs (acked unread) beside per 1,000 of its own
 * (evaluated), alternating, each a fresh org and a backlog published while the replica runs. CPU time,
 * not wall clock, so the figure holds on a busy machine. Prints the result (docs/architecture.md,
 * "Detection replicas", quotes it).
 *
 *   node bench/dist/detection-partition-cost.js   BENCH_EVENTS (default 50000 per round)  BENCH_RUNS (default 3 rounds of each)
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from 'nats';
import { createEvent, eventSubject, loginFailedV1, streams } from '@vigil/contracts';
import { partitionDurable, partitionOf } from '@vigil/detection/dist/partition/detection-partition';
import { createTestDatabase, freePort, serviceEntry, startNats, startServiceProcess, waitFor } from '@vigil/testing';
import { cpuMs } from './cpu';

const N = Number(process.env.BENCH_EVENTS ?? 50_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function orgOf(partition: number): string {
  for (;;) {
    const org = randomUUID();
    if (partitionOf(org, 2) === partition) return org;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const [db, nats] = await Promise.all([createTestDatabase(), startNats()]);
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await nc.jetstreamManager();
    const js = nc.jetstream();
    const durable = partitionDurable(0, 2);
    const replica = await startServiceProcess({
      name: 'detection-0-of-2',
      entry: serviceEntry('detection'),
      env: { DATABASE_URL: db.urlFor('detection'), NATS_URL: nats.url, LOG_LEVEL: 'warn', NODE_ENV: 'production', VIGIL_DETECTION_PARTITIONS: '2', VIGIL_DETECTION_PARTITION: '0' },
      port: await freePort(),
    });
    const perThousand: Record<'skipped' | 'evaluated', number[]> = { skipped: [], evaluated: [] };
    let floor = 0;
    try {
      for (let r = 0; r < RUNS; r++) {
        for (const [kind, partition] of [['skipped', 1], ['evaluated', 0]] as const) {
          const org = orgOf(partition);
          const t0 = Date.now() - 10 * 60_000;
          const enc = new TextEncoder();
          await sleep(500);
          const before = cpuMs(replica.pid);
          // The brute-force bench's shape: one org, many IPs, accounts repeating.
          for (let i = 0; i < N; i += 1000) {
            await Promise.all(
              Array.from({ length: Math.min(1000, N - i) }, (_, j) => {
                const n = i + j;
                const e = createEvent(loginFailedV1, { orgid: org, source: 'https://bench.example.test/login', time: new Date(t0 + n * 10), data: { ip: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, username: `user${n % 5000}@bench.test` } });
                return js.publish(eventSubject(e.type, e.orgid), enc.encode(JSON.stringify(e)), { msgID: e.id });
              }),
            );
          }
          floor += N;
          await waitFor(async () => (await jsm.consumers.info(streams.security.name, durable)).ack_floor.stream_seq >= floor, { timeoutMs: 600_000, intervalMs: 50, description: `${durable} to ack the backlog` });
          perThousand[kind].push(((cpuMs(replica.pid) - before) * 1000) / N);
          process.stderr.write(`[bench] round ${r + 1} ${kind}: ${perThousand[kind].at(-1)!.toFixed(0)} ms CPU per 1,000 messages\n`);
        }
      }
    } finally {
      await replica.stop();
    }
    const skipped = median(perThousand.skipped);
    const evaluated = median(perThousand.evaluated);
    process.stdout.write(
      `detection replica CPU per 1,000 security messages (median of ${RUNS}; ${N} login.failed per round): ` +
        `another partition's org, acked unread ${skipped.toFixed(0)} ms (${perThousand.skipped.map((x) => x.toFixed(0)).join(', ')}); ` +
        `its own org, evaluated ${evaluated.toFixed(0)} ms (${perThousand.evaluated.map((x) => x.toFixed(0)).join(', ')}); ratio ${(skipped / evaluated).toFixed(2)}\n`,
    );
  } finally {
    await nc.close();
    await nats.stop();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
