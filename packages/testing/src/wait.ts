import { createServer } from 'node:net';

export interface WaitForOptions {
  /** Default 20000. */
  timeoutMs?: number;
  /** Default 100. */
  intervalMs?: number;
  /** Names what was awaited in the timeout error. */
  description?: string;
}

const pending: unique symbol = Symbol('pending');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `fn` until it returns a truthy value and resolves with it. Errors thrown by `fn` count as
 * "not yet"; the last one is quoted in the timeout error.
 */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  opts: WaitForOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    attempts++;
    let timer: NodeJS.Timeout | undefined;
    try {
      // A hung attempt must not outlive the deadline.
      const remaining = Math.max(deadline - Date.now(), 1);
      const result = await Promise.race([
        Promise.resolve().then(fn),
        new Promise<typeof pending>((resolve) => {
          timer = setTimeout(() => resolve(pending), remaining);
        }),
      ]);
      if (result === pending) lastError = new Error(`attempt still pending after ${remaining} ms`);
      else if (result) return result;
    } catch (err) {
      lastError = err;
    } finally {
      clearTimeout(timer);
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await sleep(Math.min(intervalMs, remaining));
  }
  const what = opts.description ?? 'condition';
  const cause = lastError === undefined ? '' : `; last error: ${describeError(lastError)}`;
  throw new Error(`Timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${what}${cause}`, {
    cause: lastError,
  });
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** A TCP port free on 127.0.0.1 right now (another process may still take it before you bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read the port of a listening socket'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}
