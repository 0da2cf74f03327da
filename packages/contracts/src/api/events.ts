import { z } from 'zod';
import { fieldErrorSchema } from './problem';

const index = z.number().int().nonnegative().describe('position in the submitted batch');
const producerId = z.unknown().optional().describe("the event's own `id`, echoed");

/** The answer to POST /v1/events: one result per submitted event, in order. */
export const eventResultV1 = z.union([
  z.object({ index, id: producerId, status: z.enum(['accepted', 'duplicate']), eventId: z.uuid().describe('Vigil id, derived from (org, source, id)') }),
  z.object({ index, id: producerId, status: z.literal('rejected'), errors: z.array(fieldErrorSchema) }),
]);
export type EventResultV1 = z.infer<typeof eventResultV1>;

export const submissionOutcomeV1 = z
  .object({
    accepted: z.number().int().nonnegative(),
    duplicates: z.number().int().nonnegative(),
    rejected: z.number().int().nonnegative(),
    results: z.array(eventResultV1),
  })
  .describe('per-event outcome of a batch');
export type SubmissionOutcomeV1 = z.infer<typeof submissionOutcomeV1>;

/**
 * Ingest's answer to the gateway (core NATS, on the batch's `Vigil-Confirm-To` subject) once a batch
 * message is stored and its events published: which of its events were already stored, and which it
 * had to park as dead letters (indexes into the message's array).
 */
export const ingestConfirmationV1 = z
  .object({
    msgId: z.string().max(200),
    duplicates: z.array(z.uuid()),
    deadLettered: z.array(z.object({ index: z.number().int().nonnegative(), reason: z.string().max(2000) })),
  })
  .strict();
export type IngestConfirmationV1 = z.infer<typeof ingestConfirmationV1>;
