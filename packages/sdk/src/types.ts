import type { FieldError, LoginFailedV1, LoginSucceededV1 } from '@vigil/contracts';

/**
 * The data of each event type a producer may send, from @vigil/contracts. A spec checks these keys
 * against `producerEventDefinitions`, so a new producer contract cannot ship without its SDK type.
 */
export interface ProducerEventDataMap {
  'login.failed': LoginFailedV1;
  'login.succeeded': LoginSucceededV1;
}
export type ProducerEventType = keyof ProducerEventDataMap;
export const producerEventTypes = ['login.failed', 'login.succeeded'] as const satisfies readonly ProducerEventType[];

/** A CloudEvent as the SDK sends it (structured JSON mode; the gateway stamps `orgid` from the key). */
export interface ProducerEvent<T extends ProducerEventType = ProducerEventType> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  time: string;
  subject?: string;
  data: ProducerEventDataMap[T];
}

export interface EmitOptions {
  /** Your own event id; default a random UUID. Reused on every retry, so a retry is never stored twice. */
  id?: string;
  /** When it happened; default now. */
  time?: Date | string;
  /** CloudEvents `subject`, e.g. the account the event is about. */
  subject?: string;
}

export interface RejectedEvent {
  event: ProducerEvent;
  /** Pointers are relative to the event, e.g. `/data/ip` (the gateway's batch index is removed). */
  errors: FieldError[];
}

export interface FailedEvent {
  event: ProducerEvent;
  error: Error;
}

/** Outcome of the events a `flush()` (or `close()`) waited for. */
export interface FlushResult {
  /** Stored durably by this request. */
  accepted: number;
  /** Already stored under the same (source, id): by an earlier attempt whose answer was lost, or an earlier emit. */
  duplicates: number;
  /** Refused by the gateway, with why; never retried. */
  rejected: RejectedEvent[];
}

export type EventOutcome =
  | { status: 'accepted' | 'duplicate' }
  | { status: 'rejected'; errors: FieldError[] }
  | { status: 'failed'; error: Error };
