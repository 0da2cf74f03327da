import { repoRoot } from '@vigil/testing';
import type { ChaosRun } from './run';

export interface MachineInfo {
  cpus: number;
  memoryGiB: number;
  os: string;
  command: string;
  /** Git commit of the code under test, if known. */
  revision?: string;
}

const s = (ms: number | undefined) => (ms === undefined ? '—' : (ms / 1000).toFixed(1));
const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)} %` : '—');
const cell = (v: string) => v.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The run as Markdown: what `pnpm chaos` prints and writes to docs/reliability.md. */
export function renderReport(run: ChaosRun, machine?: MachineInfo): string {
  const o = run.options;
  const t = run.totals;
  const v = run.verification;
  const lines: string[] = [];
  lines.push(`# Reliability: the chaos run`, '');
  lines.push(
    `Verdict: **${run.passed ? 'PASS' : 'FAIL'}** — ${run.checks.filter((c) => c.ok).length} of ${run.checks.length} invariants held. ` +
      `Run of ${run.startedAt.toISOString()}, ${s(run.durationMs)} s in all.`,
    '',
  );
  lines.push(
    'Offered load through the gateway (login noise with brute-force attacks mixed in) while, in turn, each service is ' +
      'SIGKILLed and restarted, NATS is killed and restarted on the same port and JetStream store, and PostgreSQL is ' +
      'crashed (`pg_ctl stop -m immediate`) and restarted. Afterwards every accepted event must be stored exactly once, the ' +
      'detections and incidents must be exactly those of a pure reference evaluation of the same events (what an ' +
      'uninterrupted run must give), each incident must have exactly one admin email and one breach-register line, nothing ' +
      'may be dead-lettered and no consumer may be left with pending or unacknowledged messages.',
    '',
  );

  lines.push('## Machine and command', '');
  if (machine) {
    lines.push(`- command: \`${machine.command}\`${machine.revision ? ` at ${machine.revision}` : ''}`);
    lines.push(`- machine: ${machine.cpus} CPUs (nproc), ${machine.memoryGiB.toFixed(1)} GiB memory, ${machine.os}`);
  }
  lines.push(`- node ${run.versions.node}, ${run.versions.nats}, ${run.versions.postgres}`);
  lines.push(
    `- variant ${o.variant}, seed ${o.seed}: ${o.eventsPerSecond} events/s offered in batches of ${o.batchSize} by ${o.workers} concurrent senders over ${o.loadOrgs} organisations (+1 for canaries); ` +
      `each fault after ${s(o.beforeFaultMs)} s of normal load, the killed part down for ${s(o.downMs)} s; consumer ack wait ${s(o.ackWaitMs)} s`,
  );
  lines.push(
    `- traffic: ${Object.entries(run.actors)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ')} (actors; an actor is one IP's failures/successes)`,
    '',
  );

  lines.push('## Per fault', '');
  lines.push(
    '"offered" counts events first sent during the fault (from the kill until a canary attack sent at the kill had its incident, ' +
      'report line and email); requests, retries and errors are those sent or seen in that interval. "back" is when the killed ' +
      'part answered again, "through" when the canary made it end to end.',
    '',
  );
  lines.push('| fault | action | offered | accepted | duplicate | rejected | requests | retried | 5xx | conn. errors | hung (timeout) | other 4xx | back (s) | through (s) |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const f of run.faults) {
    const st = f.stats;
    lines.push(
      `| ${f.fault} | ${cell(f.action)} | ${st.offered} | ${st.accepted} | ${st.duplicates} | ${st.rejected} | ${st.requests} | ${st.retries} | ${st.http5xx} | ${st.networkErrors} | ${st.timeouts} | ${st.unexpected4xx} | ${s(f.restartedAfterMs)} | ${f.recoveredAfterMs === undefined ? `**not recovered**` : s(f.recoveredAfterMs)} |`,
    );
  }
  lines.push('');
  const errs = run.faults.filter((f) => f.error);
  if (errs.length) {
    for (const f of errs) lines.push(`- ${f.fault}: ${cell(f.error!.split('\n').slice(0, 3).join(' '))}`);
    lines.push('');
  }
  const statuses = run.faults
    .map((f) => `${f.fault}: ${Object.entries(f.stats.seen).map(([k, n]) => `${k}×${n}`).join(', ') || '—'}`)
    .join('; ');
  lines.push(`Answers seen per fault: ${statuses}.`, '');

  lines.push('## Totals', '');
  lines.push(`| | |`, `|---|---:|`);
  lines.push(`| events offered | ${t.offered} |`);
  lines.push(`| answered accepted | ${t.accepted} |`);
  lines.push(`| answered duplicate (a resend of a batch that had landed) | ${t.duplicates} |`);
  lines.push(`| answered rejected | ${t.rejected} |`);
  lines.push(`| HTTP requests | ${t.requests} |`);
  lines.push(`| of which resends | ${t.retries} (${pct(t.retries, t.requests)}) |`);
  lines.push(`| 5xx answers | ${t.http5xx} |`);
  lines.push(`| connection errors | ${t.networkErrors} |`);
  lines.push(`| requests without an answer within 30 s | ${t.timeouts} |`);
  lines.push(`| longest time for one batch to be answered | ${s(t.maxBatchLatencyMs)} s |`);
  if (v) {
    lines.push(`| events stored (ingest.raw_events) | ${v.observed.storedEvents} |`);
    lines.push(`| attacks in the reference evaluation / detections | ${v.expected.totalAttacks} / ${v.observed.detections} |`);
    lines.push(`| incidents expected / opened | ${v.expected.totalIncidents} / ${v.observed.incidents} |`);
    lines.push(`| admin emails received / breach-register lines | ${v.observed.emailsReceived} / ${v.observed.reportRecords} |`);
    lines.push(`| dead letters | ${v.observed.deadLetters} |`);
  }
  lines.push(`| time to settle after the load | ${run.settleMs === undefined ? 'did not settle' : `${s(run.settleMs)} s`} |`, '');

  lines.push('## Invariants', '');
  lines.push('| | invariant | expected | actual |', '|---|---|---|---|');
  for (const c of run.checks) lines.push(`| ${c.ok ? 'ok' : '**FAILED**'} | ${cell(c.name)} | ${cell(c.expected)} | ${cell(c.actual)} |`);
  lines.push('');
  const failed = run.checks.filter((c) => !c.ok && c.detail);
  if (failed.length) {
    lines.push('Evidence:', '');
    for (const c of failed) lines.push(`- ${c.name}: ${cell(c.detail!.slice(0, 2000))}`);
    lines.push('');
  }
  if (v?.diagnostics.length) {
    lines.push('Mismatched detections, in detail:', '');
    for (const d of v.diagnostics) lines.push(`- ${cell(d)}`);
    lines.push('');
  }
  if (v) {
    lines.push(
      `Consumers after the run: ${v.observed.consumers.map((c) => `${c.durable} (${c.pending} pending, ${c.ackPending} unacked, ${c.redelivered} redelivered)`).join(', ')}.`,
      '',
    );
  }
  if (run.logsDir) lines.push(`Service logs of this run (killed processes included) were kept in \`${run.logsDir.replace(`${repoRoot()}/`, '')}\`.`, '');
  return lines.join('\n');
}
