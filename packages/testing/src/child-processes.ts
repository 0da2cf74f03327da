import { accessSync, constants } from 'node:fs';
import type { ChildProcess } from 'node:child_process';

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<ChildProcess>();
let hooked = false;

/**
 * Remembers a spawned child so that it is SIGKILLed if the test process exits without stopping it
 * (a failing beforeAll, a forgotten stop()): servers must never outlive the Jest worker.
 */
export function track(child: ChildProcess): Promise<ChildExit> {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  live.add(child);
  return new Promise((resolve) => {
    // 'close' rather than 'exit': the last lines of stdout/stderr have been read by then.
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    });
    child.once('error', (err) => {
      // Spawn failures emit 'error' and may never emit 'close'.
      if (child.pid === undefined) {
        live.delete(child);
        resolve({ code: null, signal: null });
      } else {
        process.emitWarning(`child ${child.pid}: ${err.message}`);
      }
    });
  });
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function terminate(child: ChildProcess, exited: Promise<ChildExit>, graceMs: number): Promise<ChildExit> {
  if (!hasExited(child)) {
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut && !hasExited(child)) child.kill('SIGKILL');
  }
  return exited;
}

/** Keeps the last `max` lines written to the given streams. */
export class LineBuffer {
  private readonly lines: string[] = [];
  private readonly partial = new Map<NodeJS.ReadableStream, string>();

  constructor(private readonly max: number) {}

  attach(stream: NodeJS.ReadableStream | null): void {
    if (!stream) return;
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = ((this.partial.get(stream) ?? '') + chunk).split(/\r?\n/);
      this.partial.set(stream, parts.pop() ?? '');
      for (const line of parts) this.push(line);
    });
    stream.on('end', () => {
      const rest = this.partial.get(stream);
      if (rest) this.push(rest);
      this.partial.delete(stream);
    });
  }

  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }

  tail(n: number = this.max): string {
    return this.lines.slice(-n).join('\n');
  }
}

/** Whether `path` is a file this process may execute. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
