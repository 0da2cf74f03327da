import { AsyncLocalStorage } from 'node:async_hooks';
import type { MsgHdrs } from 'nats';

/** NATS header carrying the correlation id of the HTTP request (or message) an event descends from. */
export const CORRELATION_HEADER = 'Vigil-Correlation-Id';

/** What an id from outside may look like: short and log-safe (no spaces, quotes or control characters). */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The id if it is an acceptable correlation id, else undefined (never trust a header blindly). */
export function validCorrelationId(value: unknown): string | undefined {
  return typeof value === 'string' && CORRELATION_ID.test(value) ? value : undefined;
}

interface CorrelationContext {
  correlationId?: string;
}

// One store per process even when two copies of this module are loaded (compiled dist beside ts
// sources in tests): the logger and the consumer runner must read the same context.
const STORE = Symbol.for('vigil.correlation-context');
const storage: AsyncLocalStorage<CorrelationContext> = ((globalThis as Record<symbol, unknown>)[STORE] ??=
  new AsyncLocalStorage<CorrelationContext>()) as AsyncLocalStorage<CorrelationContext>;

/** The correlation id of the work in progress (HTTP request or message being handled), if any. */
export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

/**
 * Runs `fn` with `id` as the current correlation id. `undefined` runs it with none, so one message's
 * id never leaks into another's handling.
 */
export function withCorrelationId<T>(id: string | undefined, fn: () => T): T {
  return storage.run({ correlationId: id }, fn);
}

/** The valid correlation id a message carries, if any. */
export function correlationIdOf(msg: { headers?: MsgHdrs }): string | undefined {
  const h = msg.headers;
  return h?.has(CORRELATION_HEADER) ? validCorrelationId(h.get(CORRELATION_HEADER)) : undefined;
}

/** Headers to publish for a correlation id (none without one). */
export function correlationHeaders(id: string | undefined): Record<string, string> {
  return id ? { [CORRELATION_HEADER]: id } : {};
}
