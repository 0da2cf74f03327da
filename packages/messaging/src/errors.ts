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
