import { findPostgresBinDir } from '@vigil/testing';
import { QUICK, renderReport, runChaos, type ChaosRun } from '../src/chaos';

/**
 * The chaos run with a small load (the full one is `pnpm chaos`): every service SIGKILLed and
 * restarted, NATS killed and restarted, PostgreSQL crashed and restarted, all under load; then every
 * promise must hold. Needs PostgreSQL's server binaries (initdb, pg_ctl) for a private cluster it may
 * crash: the shared server is never touched.
 */
const pgBinaries = findPostgresBinDir();
const describeWithPg = pgBinaries ? describe : describe.skip;
if (!pgBinaries) {
  // eslint-disable-next-line no-console
  console.warn('chaos-quick skipped: no PostgreSQL server binaries (initdb, pg_ctl) found; install postgresql-15 or set POSTGRES_BIN_DIR');
}

describeWithPg('chaos (quick): faults in every part under load', () => {
  let run: ChaosRun;
  const lines: string[] = [];

  beforeAll(async () => {
    // A fixed seed: the same traffic every run, so a failure can be replayed (`pnpm chaos -- --quick --seed 20261125`).
    run = await runChaos({ ...QUICK, seed: 20261125, log: (line) => lines.push(line) });
    if (!run.passed) {
      // eslint-disable-next-line no-console
      console.log(`${lines.join('\n')}\n\n${renderReport(run)}`);
    }
  }, 12 * 60_000);

  it('recovers from every fault and drains completely', () => {
    expect(run.checks.filter((c) => !c.ok).map((c) => `${c.name}: expected ${c.expected}, got ${c.actual}${c.detail ? ` — ${c.detail}` : ''}`)).toEqual([]);
  });

  it('actually exercised every fault with traffic and attacks', () => {
    // Guards the guard: a run that sent nothing, or no attacks, would pass the invariants vacuously.
    expect(run.faults.map((f) => f.fault)).toEqual(['gateway', 'ingest', 'detection', 'incident', 'notification', 'reporting', 'nats', 'postgres']);
    for (const f of run.faults) expect({ fault: f.fault, offered: f.stats.offered > 0 }).toEqual({ fault: f.fault, offered: true });
    expect(run.verification?.expected.totalAttacks).toBeGreaterThan(20);
    expect(run.verification?.expected.totalIncidents).toBeGreaterThan(10);
  });
});
