/**
 * pnpm exec node bench/dist/affected-people-import.js: streams a CSV of BENCH_PEOPLE (default 1,000,000)
 * affected people into one incident through POST /v1/incidents/{ref}/affected-people/import, and
 * reports rows/s and the peak RSS of the gateway and the incident service (bounded memory: neither may
 * grow with the file). The CSV is generated while it is sent; nothing is written to disk. Appends the
 * result to docs/benchmarks.md.
 */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { appendFileSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createTestDatabase, freePort, repoRoot, serviceEntry, startNats, startServiceProcess, type ServiceProcess } from '@vigil/testing';

const run = promisify(execFile);
const N = Number(process.env.BENCH_PEOPLE ?? 1_000_000);
const COUNTRIES = ['DE', 'FR', 'US', 'PH', 'BR', 'GB', 'SG', 'CA'];

function* csv(): Generator<string> {
  yield 'subjectId,contact,country,region,dataCategories\n';
  let lines: string[] = [];
  for (let i = 0; i < N; i++) {
    const country = COUNTRIES[i % COUNTRIES.length]!;
    lines.push(`user-${i},user${i}@bench.test,${country},${country === 'US' ? 'US-CA' : ''},email;name`);
    if (lines.length === 1000) {
      yield lines.join('\n') + '\n';
      lines = [];
    }
  }
  if (lines.length) yield lines.join('\n') + '\n';
}

function upload(url: string, key: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    // pipe() honours backpressure: the generator only runs as fast as the gateway reads.
    Readable.from(csv()).pipe(req);
  });
}

function peakRssMiB(pid: number): number {
  const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function main(): Promise<void> {
  const [db, nats] = await Promise.all([createTestDatabase({ schemas: ['gateway', 'incident'] }), startNats()]);
  const procs: ServiceProcess[] = [];
  try {
    for (const name of ['gateway', 'incident'] as const) {
      procs.push(
        await startServiceProcess({
          name,
          entry: serviceEntry(name),
          env: { DATABASE_URL: db.urlFor(name), NATS_URL: nats.url, LOG_LEVEL: 'warn', NODE_ENV: 'production' },
          port: await freePort(),
        }),
      );
    }
    const [gateway, incident] = procs as [ServiceProcess, ServiceProcess];
    const cli = join(repoRoot(), 'services/gateway/dist/cli.js');
    const { stdout } = await run(process.execPath, [cli, 'org', 'create', '--name', 'Bench', '--admin-email', 'bench@bench.test'], { env: { ...process.env, DATABASE_URL: db.urlFor('gateway') } });
    const key = /api key: (vgl_\S+)/.exec(stdout)![1]!;
    const created = await fetch(`${gateway.url}/v1/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Bench: customer table exported', discoveredAt: new Date().toISOString() }),
    });
    const { id } = (await created.json()) as { id: string };
    const idleRss = { gateway: peakRssMiB(gateway.pid), incident: peakRssMiB(incident.pid) };

    const start = process.hrtime.bigint();
    const res = await upload(`${gateway.url}/v1/incidents/${id}/affected-people/import`, key);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (res.status !== 200) throw new Error(`import answered ${res.status}: ${res.body.slice(0, 500)}`);
    const outcome = JSON.parse(res.body) as { added: number; total: number };
    const stored = Number((await db.query<{ n: string }>('select count(*) as n from incident.incident_affected_people where incident_id = $1', [id]))[0]!.n);
    if (outcome.added !== N || stored !== N) throw new Error(`expected ${N} people, the import added ${outcome.added} and ${stored} are stored`);

    const machine = `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
    const lines = [
      `## ${new Date().toISOString()} — affected people CSV import`,
      '',
      `- machine: ${machine}`,
      `- command: \`node bench/dist/affected-people-import.js\` (BENCH_PEOPLE=${N}); gateway + incident processes, PostgreSQL and NATS on the same machine`,
      '',
      '| rows | seconds | rows/s | peak RSS gateway (idle before) | peak RSS incident (idle before) |',
      '|---|---|---|---|---|',
      `| ${N} | ${seconds.toFixed(1)} | ${Math.round(N / seconds)} | ${peakRssMiB(gateway.pid)} MiB (${idleRss.gateway}) | ${peakRssMiB(incident.pid)} MiB (${idleRss.incident}) |`,
      '',
    ];
    appendFileSync(join(repoRoot(), 'docs/benchmarks.md'), lines.join('\n') + '\n');
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    await Promise.allSettled(procs.map((p) => p.stop()));
    await nats.stop();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
