/**
 * A failure that retrying cannot fix (malformed message, contract violation, unknown org that never
 * appears). The consumer dead-letters it at once instead of burning redeliveries.
 */
export class PermanentMessageError extends Error {
  override readonly name = 'PermanentMessageError';
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/**
 * What retrying a failed message can achieve:
 * - `transient`: the world was briefly wrong (connection lost, server restarting, serialization or
 *   deadlock victim). Retried with backoff for as long as it takes; never a reason to dead-letter.
 * - `permanent`: the same input fails the same way every time (encoding, data or constraint error,
 *   contract violation). Dead-lettered on first sight when it is one message alone.
 * - `unknown`: anything else (a bug, a surprise). Retried a bounded number of times, then dead-lettered.
 */
export type FailureClass = 'transient' | 'permanent' | 'unknown';

/** SQLSTATE classes (first two characters) by what a retry can do. */
const TRANSIENT_SQLSTATE_CLASSES = new Set(['08', '40', '53', '57', '58']);
const PERMANENT_SQLSTATE_CLASSES = new Set(['21', '22', '23', '2B', '42', '54']);
const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
/** node-postgres reports a dropped connection or an exhausted pool without a code. */
const TRANSIENT_MESSAGES = /connection terminated|timeout exceeded when trying to connect|connection timeout|client has encountered a connection error|cannot use a pool after calling end|Connection closed|the database system is (starting up|shutting down|in recovery mode)/i;
/** nats.js errors carry these codes when the server is unreachable or slow. */
const TRANSIENT_NATS_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_DRAINING', 'CONNECTION_REFUSED', 'DISCONNECT', 'TIMEOUT', '503']);

export function classifyFailure(err: unknown): FailureClass {
  if (err instanceof PermanentMessageError) return 'permanent';
  if (err instanceof SyntaxError) return 'permanent';
  const e = err as { code?: unknown; name?: unknown; message?: unknown } | null;
  if (e && typeof e === 'object') {
    if (e.name === 'ZodError') return 'permanent';
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code && /^[0-9A-Z]{5}$/.test(code) && !TRANSIENT_NODE_CODES.has(code)) {
      const cls = code.slice(0, 2);
      if (TRANSIENT_SQLSTATE_CLASSES.has(cls)) return 'transient';
      if (PERMANENT_SQLSTATE_CLASSES.has(cls)) return 'permanent';
      return 'unknown';
    }
    if (code && (TRANSIENT_NODE_CODES.has(code) || TRANSIENT_NATS_CODES.has(code))) return 'transient';
    if (typeof e.message === 'string' && TRANSIENT_MESSAGES.test(e.message)) return 'transient';
  }
  return 'unknown';
}
