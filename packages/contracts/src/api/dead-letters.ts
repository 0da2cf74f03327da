import { z } from 'zod';

const timestamp = z.iso.datetime({ offset: true });

export const DEAD_LETTER_PAGE_MAX = 100;

/**
 * A message a consumer gave up on, as the gateway recorded it from `deadletter.<durable>`. The payload
 * is the original bytes: UTF-8 text when they are valid UTF-8, else base64 (`payloadEncoding` says which).
 */
export const deadLetterViewV1 = z
  .object({
    id: z.uuid(),
    orgId: z.uuid().nullable().describe('from the original subject or the payload; null when neither names one'),
    consumer: z.string().describe('durable consumer that gave up, e.g. ingest-submitted'),
    originalSubject: z.string().nullable(),
    originalStream: z.string().nullable(),
    reason: z.string(),
    deliveries: z.number().int().nonnegative().nullable().describe('deliveries before the consumer gave up'),
    payload: z.string(),
    payloadEncoding: z.enum(['utf8', 'base64']),
    payloadBytes: z.number().int().nonnegative(),
    originalReceivedAt: timestamp.nullable().describe('when the consumer first received the message, if it said'),
    firstFailedAt: timestamp,
    lastFailedAt: timestamp.describe('later than firstFailedAt when the same message was dead-lettered again'),
    replayedAt: timestamp.nullable(),
    replayCount: z.number().int().nonnegative(),
  })
  .describe('a dead-lettered message');
export type DeadLetterViewV1 = z.infer<typeof deadLetterViewV1>;

export const deadLetterPageV1 = z
  .object({
    items: z.array(deadLetterViewV1).describe('newest first'),
    nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
  })
  .describe('one page of dead letters');
export type DeadLetterPageV1 = z.infer<typeof deadLetterPageV1>;

/** Query parameters of GET /v1/dead-letters. */
export const deadLetterListParamsV1 = z.object({
  limit: z.coerce.number().int().min(1).max(DEAD_LETTER_PAGE_MAX).default(50).describe(`page size, at most ${DEAD_LETTER_PAGE_MAX}`),
  cursor: z.string().min(1).max(64).optional().describe("the previous page's nextCursor"),
  consumer: z.string().min(1).max(256).optional().describe('only this durable consumer, e.g. ingest-submitted'),
});
export type DeadLetterListParamsV1 = z.infer<typeof deadLetterListParamsV1>;
