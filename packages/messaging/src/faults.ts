/**
 * Crash points for resilience tests: `VIGIL_FAULT_KILL=<durable>:<point>` makes the process SIGKILL
 * itself at that point the first time it gets there, the way a power cut or OOM kill would. Unset in
 * production; it costs one string comparison per message.
 */
export type FaultPoint = 'before-commit' | 'after-commit';

const spec = process.env.VIGIL_FAULT_KILL;

export function crashPoint(durable: string, point: FaultPoint): void {
  if (spec && spec === `${durable}:${point}`) {
    process.stderr.write(`VIGIL_FAULT_KILL: killing process at ${durable}:${point}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
