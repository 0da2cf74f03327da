/**
 * pnpm bench: events/s from POST /v1/events until durably stored by ingest (hash-chained rows in
 * PostgreSQL) and published on their type's subject, beside raw JetStream publish of the same events in
 * the same run. The ratio is the figure; absolute rates depend on the machine. A second pass sends the
 * largest batches (1,000 events) to show memory stays bounded. Appends the result to docs/benchmarks.md.
 *
 *   BENCH_EVENTS (default 20000)  BENCH_BATCH (default 100 events per request)  BENCH_CONCURRENCY (default 4)
 *   BENCH_RUNS (default 5): rounds of raw JetStream then Vigil, one after the other, after one warm-up
 *   round; the headline is the median round's ratio (a single pair of runs on two shared cores moved by
 *   ±20 % from one run to the next)
 *   BENCH_SERVICE_NODE_ARGS: node flags for the gateway and ingest only (space-separated), e.g. to profile them:
 *     BENCH_PROFILE_DIR=/tmp/prof BENCH_SERVICE_NODE_ARGS="--require ./bench/dist/cpu-profile.js" node bench/dist/ingest-throughput.js
 *   (each writes <pid>.cpuprofile when it is stopped at the end of the run; the pids are printed).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, headers, nanos, RetentionPolicy, StorageType, type NatsConnection } from 'nats';
import {
  createTestDatabase,
  freePort,
  repoRoot,
  serviceEntry,
  startNats,
  startServiceProcess,
  waitFor,
  type ServiceProcess,
} from '@vigil/testing';
import { streams } from '@vigil/contracts';
import { cpuMs } from './cpu';
import { publishedEvents } from './published';

const run = promisify(execFile);
const N = Number(process.env.BENCH_EVENTS ?? 20_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
/** In-flight publishes for the baseline: the same number of events the HTTP path has in flight. */
const IN_FLIGHT = BATCH * CONCURRENCY;
const INTAKE_KEY = randomBytes(32).toString('hex');

function events(prefix: string) {
  const t0 = Date.now() - 60_000;
  return Array.from({ length: N }, (_, i) => ({
    specversion: '1.0',
    id: `${prefix}-${i}`,
    source: 'https://bench.example.test/login',
    type: 'login.failed',
    time: new Date(t0 + i).toISOString(),
    // Spread over many IPs: the benchmark measures intake, not one huge attack.
    data: { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, username: `user${i % 1000}@bench.test`, reason: 'invalid_password' },
  }));
}

/**
 * `tuned`: the services' client settings (see connectNats), so the baseline's client is as cheap as
 * theirs. Untuned is nats.js's defaults, the baseline of this file's earlier entries.
 */
let rawRuns = 0;

/** The raw publishes' payloads, encoded before CPU is metered, as the request bodies are (both sides' CPU is the sending). */
function rawPayloads(): Uint8Array[] {
  const encoder = new TextEncoder();
  return events('raw').map((e) => encoder.encode(JSON.stringify(e)));
}

async function rawJetStream(natsUrl: string, payloads: Uint8Array[], tuned = true, inFlight = IN_FLIGHT): Promise<number> {
  const nc = await connect({ servers: natsUrl, noAsyncTraces: tuned });
  const jsm = await nc.jetstreamManager();
  // A stream of its own per run (deleted after it): nothing left from an earlier round, no id deduplicated.
  const run = ++rawRuns;
  const name = `BENCH_RAW_${tuned ? 'T' : 'D'}_${run}`;
  await jsm.streams.add({ name, subjects: [`bench.raw${run}.>`], storage: StorageType.File, retention: RetentionPolicy.Limits, duplicate_window: nanos(10 * 60_000) });
  const js = nc.jetstream();
  const start = process.hrtime.bigint();
  for (let i = 0; i < payloads.length; i += inFlight) {
    await Promise.all(
      payloads.slice(i, i + inFlight).map((p, j) => {
        const h = headers();
        return js.publish(`bench.raw${run}.org`, p, { msgID: `raw-${i + j}`, headers: h });
      }),
    );
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await jsm.streams.delete(name);
  await nc.close();
  return N / seconds;
}

interface IntakeRates {
  accepted: number;
  stored: number;
  published: number;
}

/**
 * One POST over a kept-alive connection. node:http rather than fetch: the load generator shares the
 * two cores with what it measures, and undici's fetch cost it several ms of CPU per request.
 */
function post(agent: Agent, url: URL, key: string, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { agent, host: url.hostname, port: url.port, path: '/v1/events', method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === 202 ? resolve() : reject(new Error(`POST /v1/events answered ${res.statusCode}: ${Buffer.concat(chunks).toString()}`))));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Request bodies of `batchSize` events, serialised before the clock starts (and before CPU is metered), as the baseline encodes its payloads first. */
function requestBodies(batchSize: number): Buffer[] {
  const all = events(`vigil-${batchSize}`);
  const bodies: Buffer[] = [];
  for (let i = 0; i < all.length; i += batchSize) bodies.push(Buffer.from(JSON.stringify(all.slice(i, i + batchSize))));
  return bodies;
}

/** Ingest's durable consumer on VIGIL_INGEST (services/ingest/src/store/ingest.handlers.ts). */
const INGEST_DURABLE = 'ingest-submitted';

/**
 * Posts the bodies, 4 at a time, and times three stages: answered 202, stored (the count of the org's
 * chain rows), and published (ingest acks a message only once JetStream acknowledged its events'
 * publishes, so nothing pending or unacked on ingest's consumer means every event is out). What was
 * published is read back afterwards (checkPublishedOnce): reading it while the clock ran made the load
 * generator and nats-server deliver and parse every event on the same two cores as what is measured,
 * which the baseline does not have to share.
 */
async function vigilIntake(nc: NatsConnection, gateway: ServiceProcess, key: string, bodies: Buffer[], org: { count: () => Promise<number>; subject: string }, concurrency = CONCURRENCY): Promise<IntakeRates> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL(gateway.url);
  const jsm = await nc.jetstreamManager();
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) await post(agent, url, key, bodies[next++]!);
    }),
  );
  agent.destroy();
  const acceptedSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  await waitFor(async () => (await org.count()) >= N, { timeoutMs: 600_000, intervalMs: 20, description: 'ingest to store every event' });
  const storedSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  await waitFor(
    async () => {
      const ci = await jsm.consumers.info(streams.ingest.name, INGEST_DURABLE);
      return ci.num_pending === 0 && ci.num_ack_pending === 0;
    },
    { timeoutMs: 600_000, intervalMs: 20, description: 'ingest to publish every event and ack every message' },
  );
  const publishedSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { accepted: N / acceptedSeconds, stored: N / storedSeconds, published: N / publishedSeconds };
}

/** After the clock and the CPU meter: what was published on the org's subject is every event, once. */
async function checkPublishedOnce(nc: NatsConnection, subject: string): Promise<void> {
  const published = await publishedEvents(nc, subject);
  try {
    await waitFor(async () => (await published.count()) >= N, { timeoutMs: 120_000, intervalMs: 20, description: `every event on ${subject}` });
    // Anything still in flight to the reader would arrive within this pause.
    await new Promise((r) => setTimeout(r, 500));
    if ((await published.count()) !== N || published.total() !== N) throw new Error(`${subject}: ${published.total()} events published, ${await published.count()} distinct; expected ${N} once each`);
  } finally {
    published.stop();
  }
}

/**
 * CPU spent per 1,000 events by each party, so the comparison holds on a busy machine too: wall-clock
 * rates move with whatever else runs, CPU per event much less.
 */
class CpuMeter {
  private start = new Map<string, number>();
  constructor(private readonly parties: () => Promise<Map<string, number[]>>) {}
  private async sample(): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const [name, pids] of await this.parties()) out.set(name, pids.reduce((sum, pid) => sum + (pid === process.pid ? process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000 : cpuMs(pid)), 0));
    return out;
  }
  async begin(): Promise<void> {
    this.start = await this.sample();
  }
  async perThousand(events: number): Promise<Map<string, number>> {
    const end = await this.sample();
    return new Map([...end].map(([name, ms]) => [name, ((ms - (this.start.get(name) ?? 0)) * 1000) / events]));
  }
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

async function versionOf(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args);
    return (stdout || stderr).trim().split('\n')[0] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const [db, nats] = await Promise.all([createTestDatabase(), startNats()]);
  const procs: ServiceProcess[] = [];
  let observer: NatsConnection | undefined;
  try {
    const natsPid = Number((await run('pgrep', ['-f', `nats-server -a 127.0.0.1 -p ${new URL(nats.url).port} `])).stdout.trim().split('\n')[0]);
    const pgPids = async () => (await db.query<{ pid: number }>('select pid from pg_stat_activity where datname = current_database()')).map((r) => r.pid);
    const meter = new CpuMeter(async () =>
      new Map([
        ['nats-server', [natsPid]],
        ['PostgreSQL (this database)', await pgPids()],
        ['gateway', procs[0] ? [procs[0].pid] : []],
        ['ingest', procs[1] ? [procs[1].pid] : []],
        ['load generator', [process.pid]],
      ]),
    );
    const reader = (observer = await connect({ servers: nats.url }));
    for (const name of ['gateway', 'ingest'] as const) {
      procs.push(
        await startServiceProcess({
          name,
          entry: serviceEntry(name),
          // VIGIL_INTAKE_KEY as deployed (docker-compose.yml): ingest trusts the batches the gateway sealed.
          env: { DATABASE_URL: db.urlFor(name), NATS_URL: nats.url, LOG_LEVEL: 'warn', NODE_ENV: 'production', VIGIL_INTAKE_KEY: INTAKE_KEY },
          nodeArgs: process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean),
          port: await freePort(),
        }),
      );
    }
    if (process.env.BENCH_SERVICE_NODE_ARGS) process.stderr.write(`gateway pid ${procs[0]!.pid}, ingest pid ${procs[1]!.pid}\n`);
    const cli = join(repoRoot(), 'services/gateway/dist/cli.js');
    const newOrg = async (name: string) => {
      const { stdout } = await run(process.execPath, [cli, 'org', 'create', '--name', name, '--admin-email', 'bench@bench.test'], {
        env: { ...process.env, DATABASE_URL: db.urlFor('gateway') },
      });
      const orgId = /organisation: ([0-9a-f-]{36})/.exec(stdout)![1]!;
      const count = async () => Number((await db.query<{ n: string }>('select count(*) as n from ingest.raw_events where org_id = $1', [orgId]))[0]!.n);
      return { key: /api key: (vgl_\S+)/.exec(stdout)![1]!, count, subject: `login.failed.${orgId}` };
    };

    // Rounds of raw then Vigil, each Vigil run on an org of its own. The services are up (and idle)
    // while raw JetStream is measured, as they would be on any machine running Vigil.
    let warmUp = NaN;
    const rounds: { raw: number; vigil: IntakeRates; ratio: number; rawCpu: Map<string, number>; vigilCpu: Map<string, number> }[] = [];
    // Round 0 warms both up (the services' JIT, nats-server's and PostgreSQL's caches) and is not counted.
    for (let r = 0; r <= RUNS; r++) {
      // Let go after each run: 20,000 live buffers made every garbage collection of this process (the
      // load generator, metered) slower while Vigil was measured.
      let payloads: Uint8Array[] | undefined = rawPayloads();
      await meter.begin();
      const raw = await rawJetStream(nats.url, payloads);
      const rawCpu = await meter.perThousand(N);
      payloads = undefined;
      const org = await newOrg(`Bench ${r}`);
      const bodies = requestBodies(BATCH);
      await meter.begin();
      const vigil = await vigilIntake(reader, procs[0]!, org.key, bodies, org);
      const vigilCpu = await meter.perThousand(N);
      await checkPublishedOnce(reader, org.subject);
      if (r > 0) rounds.push({ raw, vigil, ratio: vigil.stored / raw, rawCpu, vigilCpu });
      else warmUp = vigil.stored / raw;
    }
    const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor((rounds.length - 1) / 2)]!;
    const [gatewayRss, ingestRss] = procs.map((p) => peakRssMiB(p.pid));
    const rawDefaults = await rawJetStream(nats.url, rawPayloads(), false);
    // Largest batches: peak RSS may grow only by a bounded amount, whatever the stream's length.
    const large = await newOrg('Bench large batches');
    const vigilLarge = await vigilIntake(reader, procs[0]!, large.key, requestBodies(1000), large);
    await checkPublishedOnce(reader, large.subject);
    const [gatewayRssLarge, ingestRssLarge] = procs.map((p) => peakRssMiB(p.pid));
    // Twice the requests in flight (and twice the baseline's publishes): how much of the gap is waiting
    // rather than work, on two cores shared by five processes.
    const rawDeeper = await rawJetStream(nats.url, rawPayloads(), true, 2 * IN_FLIGHT);
    const deeper = await newOrg('Bench deeper');
    const vigilDeeper = await vigilIntake(reader, procs[0]!, deeper.key, requestBodies(BATCH), deeper, 2 * CONCURRENCY);
    await checkPublishedOnce(reader, deeper.subject);

    const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${await versionOf(process.env.NATS_SERVER_BIN ?? 'nats-server', ['--version'])}, ${await versionOf('psql', ['--version'])}`;
    const { raw, vigil, ratio, rawCpu, vigilCpu } = median;
    const lines = [
      `## ${new Date().toISOString()} — ingest throughput`,
      '',
      `- machine: ${machine}`,
      `- command: \`pnpm bench\` (BENCH_EVENTS=${N}, BENCH_BATCH=${BATCH}, BENCH_CONCURRENCY=${CONCURRENCY}, BENCH_RUNS=${RUNS})`,
      `- rounds (raw JetStream, then Vigil ${BATCH}/request): ${rounds.map((r) => `${Math.round(r.raw)} / ${Math.round(r.vigil.stored)} = ${r.ratio.toFixed(3)}`).join('; ')}; the median round below (a warm-up round before them read ${warmUp.toFixed(3)})`,
      '',
      '| path | events/s |',
      '|---|---|',
      `| raw JetStream publish, ${IN_FLIGHT} in flight, client as the services' (baseline) | ${Math.round(raw)} |`,
      `| raw JetStream publish, nats.js default client (earlier entries' baseline) | ${Math.round(rawDefaults)} |`,
      `| POST /v1/events -> stored by ingest (hash-chained; the 202 waits for it), ${BATCH}/request | ${Math.round(vigil.stored)} |`,
      `| ... and published on login.failed.<org> (what detection reads) | ${Math.round(vigil.published)} |`,
      `| **ratio stored / raw JetStream** (median of ${RUNS} rounds) | **${ratio.toFixed(3)}** |`,
      `| POST /v1/events -> stored, 1,000/request (largest batches) | ${Math.round(vigilLarge.stored)} |`,
      `| ... and published | ${Math.round(vigilLarge.published)} |`,
      `| ratio stored / raw, 1,000/request | ${(vigilLarge.stored / raw).toFixed(3)} |`,
      `| ratio stored / raw with nats.js defaults, ${BATCH}/request | ${(vigil.stored / rawDefaults).toFixed(3)} |`,
      `| raw JetStream publish, ${2 * IN_FLIGHT} in flight | ${Math.round(rawDeeper)} |`,
      `| POST /v1/events -> stored, ${BATCH}/request, ${2 * CONCURRENCY} requests in flight | ${Math.round(vigilDeeper.stored)} |`,
      `| ratio stored / raw, ${2 * CONCURRENCY} requests and ${2 * IN_FLIGHT} publishes in flight | ${(vigilDeeper.stored / rawDeeper).toFixed(3)} |`,
      '',
      'CPU ms per 1,000 events in the median round (measured, so it holds on a busy machine; PostgreSQL: backends of the bench database; the services idle during raw):',
      '',
      `| party | raw JetStream | Vigil, ${BATCH}/request |`,
      '|---|---|---|',
      ...[...vigilCpu.keys()].map((name) => `| ${name} | ${Math.round(rawCpu.get(name) ?? 0)} | ${Math.round(vigilCpu.get(name) ?? 0)} |`),
      `| **total** | **${Math.round(sum(rawCpu))}** | **${Math.round(sum(vigilCpu))}** |`,
      '',
      `Peak RSS after ${RUNS + 1} × ${N} events in ${BATCH}-event requests: gateway ${gatewayRss} MiB, ingest ${ingestRss} MiB; after ${N} more in 1,000-event requests: gateway ${gatewayRssLarge} MiB, ingest ${ingestRssLarge} MiB.`,
      '',
    ];
    const file = join(repoRoot(), 'docs/benchmarks.md');
    if (!existsSync(file)) writeFileSync(file, '# Benchmarks\n\nAppended by `pnpm bench`; compare ratios, not absolute rates, across machines.\n\n');
    appendFileSync(file, lines.join('\n') + '\n');
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await Promise.allSettled(procs.map((p) => p.stop()));
    await observer?.close();
    await nats.stop();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
