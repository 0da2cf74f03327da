import type { FieldError } from '@vigil/contracts';
import type { FailedEvent, FlushResult, ProducerEvent } from './types';

/** `emit` refused an event before buffering it: the same checks and pointers as the gateway. */
export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
  constructor(
    readonly event: ProducerEvent,
    readonly errors: FieldError[],
  ) {
    super(`invalid ${event.type} event: ${errors.map((e) => `${e.pointer || '/'}: ${e.message}`).join('; ')}`);
  }
}

/** An answer the SDK does not retry (401, 403, other 4xx) or the last answer before giving up. */
export class VigilHttpError extends Error {
  override readonly name = 'VigilHttpError';
  constructor(
    readonly status: number,
    /** The problem+json body, when there was one. */
    readonly problem: unknown,
    /** The `Retry-After` header, when there was one. */
    readonly retryAfter: string | null = null,
  ) {
    super(`gateway answered ${status}${describeProblem(problem)}`);
  }
}

/** A batch still failing after `maxRetries` retries; `cause` is the last failure. */
export class RetriesExhaustedError extends Error {
  override readonly name = 'RetriesExhaustedError';
  constructor(
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(`gave up after ${attempts} attempts: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/** `emit` after `close()`. */
export class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError';
  constructor() {
    super('the Vigil client is closed');
  }
}

/**
 * `flush()`/`close()` could not deliver some events (auth refused, retries exhausted). They are no longer
 * buffered; `failed` lists them with why, `result` has the outcome of the others.
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(
    readonly result: FlushResult,
    readonly failed: FailedEvent[],
  ) {
    super(`${failed.length} event(s) could not be delivered: ${failed[0]?.error.message ?? ''}`);
  }
}

function describeProblem(problem: unknown): string {
  if (typeof problem !== 'object' || problem === null) return '';
  const p = problem as { title?: unknown; detail?: unknown };
  const text = [p.title, p.detail].filter((s): s is string => typeof s === 'string').join(': ');
  return text ? ` (${text})` : '';
}
