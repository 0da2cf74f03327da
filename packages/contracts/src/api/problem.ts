import { z } from 'zod';

/** A field-level problem: RFC 6901 JSON pointer into the request, and what is wrong there. */
export const fieldErrorSchema = z.object({
  pointer: z.string().describe('RFC 6901 JSON pointer into the request body (or parameters), e.g. /3/data/ip'),
  message: z.string(),
});

/** RFC 9457 problem details, the body of every HTTP error (`application/problem+json`). */
export const problemDetailsSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(fieldErrorSchema).optional(),
  })
  // Extension members (e.g. a rejected batch's per-event results) may follow.
  .catchall(z.unknown())
  .describe('RFC 9457 problem details');
export type ProblemDetailsBody = z.infer<typeof problemDetailsSchema>;
