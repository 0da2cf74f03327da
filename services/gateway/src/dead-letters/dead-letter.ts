import type { MsgHdrs } from 'nats';
import { deriveId, headers as vigilHeaders, toStorableText, type DeadLetterViewV1 } from '@vigil/contracts';
import type { Selectable } from 'kysely';
import type { DeadLettersTable } from '../db/schema';

/** When the original message entered its stream; set by the consumer runner (optional: older runners). */
export const DEAD_LETTER_RECEIVED_AT_HEADER = vigilHeaders.deadLetterReceivedAt;
export const DEAD_LETTER_SUBJECT_PREFIX = 'deadletter.';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** What the gateway keeps of one message on `deadletter.<durable>`. */
export interface DeadLetterRecord {
  id: string;
  messageId: string;
  deadLetterSeq: number;
  orgId: string | null;
  consumer: string;
  originalSubject: string | null;
  originalStream: string | null;
  payload: Uint8Array;
  reason: string;
  deliveries: number | null;
  originalReceivedAt: Date | null;
}

/**
 * Reads a dead letter. Never throws: whatever landed on `deadletter.>` is recorded as well as it can be,
 * because refusing it would only dead-letter it again, onto the subject this consumer reads.
 */
export function readDeadLetter(msg: { subject: string; data: Uint8Array; headers?: MsgHdrs; seq: number }): DeadLetterRecord {
  const header = (name: string): string | null => {
    const v = msg.headers?.get(name);
    // Header text is recorded, never refused: PostgreSQL can't hold NUL or unpaired surrogates.
    return v ? toStorableText(v) : null;
  };
  const subject = toStorableText(msg.subject);
  const consumer = subject.startsWith(DEAD_LETTER_SUBJECT_PREFIX) ? subject.slice(DEAD_LETTER_SUBJECT_PREFIX.length) : subject;
  // The runner's id is `<durable>:<original stream seq>`; without one, the dead letter's own position identifies it.
  const messageId = header('Nats-Msg-Id') ?? `${subject}@${msg.seq}`;
  const originalSubject = header(vigilHeaders.deadLetterSubject);
  const deliveries = Number.parseInt(header(vigilHeaders.deadLetterDeliveries) ?? '', 10);
  const receivedAt = header(DEAD_LETTER_RECEIVED_AT_HEADER);
  const receivedAtDate = receivedAt === null ? null : new Date(/^\d+$/.test(receivedAt) ? Number(receivedAt) : receivedAt);
  return {
    id: deriveId('dead-letter', messageId),
    messageId,
    deadLetterSeq: msg.seq,
    orgId: orgOf(originalSubject, msg.data),
    consumer,
    originalSubject,
    originalStream: header(vigilHeaders.deadLetterStream),
    payload: msg.data,
    reason: header(vigilHeaders.deadLetterReason) ?? 'no reason given',
    deliveries: Number.isFinite(deliveries) && deliveries >= 0 ? deliveries : null,
    originalReceivedAt: receivedAtDate && !Number.isNaN(receivedAtDate.getTime()) ? receivedAtDate : null,
  };
}

/** The tenant: the subject's last token (`<type>.<org>`), else the payload's `orgid`, else unknown. */
export function orgOf(originalSubject: string | null, payload: Uint8Array): string | null {
  const last = originalSubject?.split('.').pop();
  if (last && uuidPattern.test(last)) return last.toLowerCase();
  try {
    const orgid = (JSON.parse(strictUtf8.decode(payload)) as { orgid?: unknown } | null)?.orgid;
    return typeof orgid === 'string' && uuidPattern.test(orgid) ? orgid.toLowerCase() : null;
  } catch {
    return null;
  }
}

export function encodePayload(payload: Uint8Array): { payload: string; payloadEncoding: 'utf8' | 'base64' } {
  try {
    return { payload: strictUtf8.decode(payload), payloadEncoding: 'utf8' };
  } catch {
    return { payload: Buffer.from(payload).toString('base64'), payloadEncoding: 'base64' };
  }
}

export function toView(row: Selectable<DeadLettersTable>): DeadLetterViewV1 {
  return {
    id: row.id,
    orgId: row.org_id,
    consumer: row.consumer,
    originalSubject: row.original_subject,
    originalStream: row.original_stream,
    reason: row.reason,
    deliveries: row.deliveries,
    ...encodePayload(row.payload),
    payloadBytes: row.payload.length,
    originalReceivedAt: row.original_received_at?.toISOString() ?? null,
    firstFailedAt: row.first_failed_at.toISOString(),
    lastFailedAt: row.last_failed_at.toISOString(),
    replayedAt: row.replayed_at?.toISOString() ?? null,
    replayCount: row.replay_count,
  };
}
