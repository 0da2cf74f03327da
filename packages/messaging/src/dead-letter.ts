import type { NatsConnection } from 'nats';
import { deadLetterSubject, headers as vigilHeaders } from '@vigil/contracts';
import { publishRaw } from './publisher';
import { correlationHeaders } from './correlation';

/** Room left in a dead letter for its headers. */
const DEAD_LETTER_HEADROOM_BYTES = 8 * 1024;

export interface DeadLetter {
  /** The consumer that gave up: the record lands on `deadletter.<durable>`. */
  durable: string;
  /** Where the original came from (stream and subject), for the record and for replay. */
  stream: string;
  subject: string;
  /** Stable per original (e.g. `<durable>:<stream seq>`): parking the same thing twice stores it once. */
  msgId: string;
  data: Uint8Array;
  reason: string;
  deliveries: number;
  receivedAt: Date;
  correlationId?: string;
}

/**
 * Parks a message (or one event of a batch message) on the dead-letter subject with the reason in
 * headers. A payload near the server's size limit no longer fits once the headers are added: its start
 * is parked with its full length (such a record can be read, not replayed).
 */
export async function publishDeadLetter(nc: NatsConnection, dl: DeadLetter): Promise<void> {
  const room = (nc.info?.max_payload ?? 1024 * 1024) - DEAD_LETTER_HEADROOM_BYTES;
  const truncated = dl.data.length > room;
  await publishRaw(nc.jetstream(), deadLetterSubject(dl.durable), dl.msgId, truncated ? dl.data.subarray(0, room) : dl.data, {
    [vigilHeaders.deadLetterReason]: headerSafe(dl.reason).slice(0, 1024),
    ...(truncated ? { [vigilHeaders.deadLetterTruncatedFrom]: String(dl.data.length) } : {}),
    [vigilHeaders.deadLetterStream]: dl.stream,
    [vigilHeaders.deadLetterSubject]: dl.subject,
    [vigilHeaders.deadLetterDeliveries]: String(dl.deliveries),
    [vigilHeaders.deadLetterReceivedAt]: dl.receivedAt.toISOString(),
    ...correlationHeaders(dl.correlationId),
  });
}

/**
 * A reason may quote attacker-controlled text (a member name with a line break); NATS refuses CR/LF in
 * a header value, which would leave the message neither parked nor dropped. Control characters are
 * written as \uXXXX escapes instead.
 */
function headerSafe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
