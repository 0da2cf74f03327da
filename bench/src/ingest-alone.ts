/**
 * Ingest on its own: CPU ingest and PostgreSQL spend per 1,000 events when batches arrive as the
 * gateway hands them over (sealed with VIGIL_INTAKE_KEY, 4 in flight, each waiting for ingest's
 * confirmation), without the gateway and the load generator on the same two cores. Steadier than
 * `pnpm bench` for comparing changes to ingest (docs/benchmarks.md, 2026-11-26 notes); prints only.
 *
 *   node bench/dist/ingest-alone.js   BENCH_EVENTS (default 30000)  BENCH_BATCH (default 100 events per message)
 *   profile it: BENCH_PROFILE_DIR=/tmp/prof BENCH_SERVICE_NODE_ARGS="--require ./bench/dist/cpu-profile.js" node bench/dist/ingest-alone.js
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { connect, createInbox, headers as natsHeaders } from 'nats';
import { headers as vigilHeaders, ingestSubmittedSubject, intakeMac } from '@vigil/contracts';
import { createTestDatabase, freePort, serviceEntry, startNats, startServiceProcess } from '@vigil/testing';
import { cpuMs } from './cpu';

const N = Number(process.env.BENCH_EVENTS ?? 30_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const IN_FLIGHT = 4;

async function main(): Promise<void> {
  const [db, nats] = await Promise.all([createTestDatabase(), startNats()]);
  const key = randomBytes(32).toString('hex');
  const ingest = await startServiceProcess({
    name: 'ingest',
    entry: serviceEntry('ingest'),
    env: { DATABASE_URL: db.urlFor('ingest'), NATS_URL: nats.url, LOG_LEVEL: 'warn', NODE_ENV: 'production', VIGIL_INTAKE_KEY: key },
    nodeArgs: process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean),
    port: await freePort(),
  });
  const nc = await connect({ servers: nats.url, noAsyncTraces: true });
  try {
    const js = nc.jetstream();
    const org = randomUUID();
    const subject = ingestSubmittedSubject(org);
    const t0 = Date.now() - 60_000;
    // Sealed batches as the gateway publishes them, made before anything is measured.
    const messages: { payload: Buffer; msgId: string; mac: string }[] = [];
    for (let i = 0; i < N; i += BATCH) {
      const batch = [];
      for (let k = i; k < Math.min(N, i + BATCH); k++) {
        batch.push({
          specversion: '1.0',
          id: `alone-${k}`,
          source: 'https://bench.example.test/login',
          type: 'login.failed',
          time: new Date(t0 + k).toISOString(),
          data: { ip: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`, username: `user${k % 1000}@bench.test`, reason: 'invalid_password' },
          orgid: org,
        });
      }
      const payload = Buffer.from(JSON.stringify(batch));
      messages.push({ payload, msgId: createHash('sha256').update(payload).digest('base64url'), mac: intakeMac(key, subject, payload) });
    }

    const inbox = createInbox();
    const waiting = new Map<string, () => void>();
    const confirmations = nc.subscribe(`${inbox}.*`, { callback: (_err, m) => waiting.get(m.subject)?.() });
    const pgPids = async () => (await db.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()')).map((r) => r.pid);
    const cpu = async () => ({ ingest: cpuMs(ingest.pid), pg: (await pgPids()).reduce((sum, pid) => sum + cpuMs(pid), 0) });

    const before = await cpu();
    const start = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < messages.length) {
          const m = messages[next]!;
          const to = `${inbox}.${next++}`;
          const confirmed = new Promise<void>((resolve) => waiting.set(to, resolve));
          const h = natsHeaders();
          h.set(vigilHeaders.confirmTo, to);
          h.set(vigilHeaders.intakeMac, m.mac);
          await js.publish(subject, m.payload, { msgID: m.msgId, headers: h });
          await confirmed;
          waiting.delete(to);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const after = await cpu();
    confirmations.unsubscribe();
    const [{ n }] = await db.query<{ n: number }>('select count(*)::int as n from ingest.raw_events where org_id = $1', [org]);
    if (n !== N) throw new Error(`stored ${n} of ${N} events`);
    const perThousand = (ms: number) => Math.round((ms * 1000) / N);
    process.stdout.write(
      `ingest alone, ${BATCH} events/message, ${IN_FLIGHT} in flight: ${Math.round(N / seconds)} events/s stored; CPU ms per 1,000 events: ingest ${perThousand(after.ingest - before.ingest)}, PostgreSQL ${perThousand(after.pg - before.pg)}\n`,
    );
  } finally {
    await nc.close();
    await ingest.stop();
    await nats.stop();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
