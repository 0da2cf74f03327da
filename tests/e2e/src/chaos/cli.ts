#!/usr/bin/env node
/**
 * `pnpm chaos`: the full chaos run (bigger load than the Jest variant). Prints the report and writes it
 * to docs/reliability.md. Exits 0 iff every invariant held, 1 if one failed, 2 if the run could not start.
 *
 *   node tests/e2e/dist/chaos/cli.js [--seed N] [--rate EVENTS_PER_S] [--down-ms MS] [--quick] [--no-write]
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import { PostgresBinariesMissing, repoRoot } from '@vigil/testing';
import { FULL, QUICK, runChaos, type ChaosOptions } from './run';
import { renderReport } from './report';

function parseArgs(argv: string[]): { options: ChaosOptions; write: boolean } {
  const args = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      args.set(a.slice(2), next);
      i++;
    } else args.set(a.slice(2), true);
  }
  const num = (name: string): number | undefined => {
    const v = args.get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (v === true || !Number.isFinite(n) || n < 0) throw new Error(`--${name} needs a non-negative number`);
    return n;
  };
  const base = args.has('quick') ? QUICK : FULL;
  const options: ChaosOptions = {
    ...base,
    seed: num('seed') ?? Math.floor(Math.random() * 2 ** 31),
    eventsPerSecond: num('rate') ?? base.eventsPerSecond,
    downMs: num('down-ms') ?? base.downMs,
    log: (line) => process.stdout.write(`${line}\n`),
  };
  return { options, write: !args.has('no-write') };
}

/** `abc1234`, with "+ local changes" when the work tree differs from it. */
function revision(): string | undefined {
  try {
    const git = (...args: string[]) => execFileSync('git', ['-C', repoRoot(), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${head} + local changes` : head;
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`vigil chaos: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const { options, write } = parsed;
  let run;
  try {
    run = await runChaos(options);
  } catch (err) {
    if (err instanceof PostgresBinariesMissing) {
      process.stderr.write(`vigil chaos: cannot run: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const report = renderReport(run, {
    cpus: cpus().length,
    memoryGiB: totalmem() / 2 ** 30,
    os: `${type()} ${release()}`,
    revision: revision(),
    command: `pnpm chaos${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  });
  process.stdout.write(`\n${report}\n`);
  if (write) {
    const file = join(repoRoot(), 'docs', 'reliability.md');
    writeFileSync(file, report);
    process.stdout.write(`written to ${file}\n`);
  }
  return run.passed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`vigil chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
