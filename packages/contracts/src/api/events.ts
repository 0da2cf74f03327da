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
