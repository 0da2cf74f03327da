import { z } from 'zod';
import { incidentStatusSchema, severitySchema } from '../events/common';
import { fieldErrorSchema } from '../api/problem';
import { chainBreakReasonSchema } from '../queries/ingest-verify';
import { defineQuery } from '../queries/define';
import { incidentSummaryV1, incidentViewV1 } from '../queries/incident';
import { AFFECTED_PEOPLE_BATCH_MAX, affectedPersonInputSchema, incidentFactsSchema, severityOverrideInputSchema } from './facts';

const timestamp = z.iso.datetime({ offset: true });

/** Who made a change: the API key that called, or a Vigil service acting on an event. */
export const actorSchema = z.object({ type: z.enum(['api-key', 'service']), id: z.string().min(1).max(128) }).strict();
export type Actor = z.infer<typeof actorSchema>;

/**
 * What a command's owner answers when it will not do it. The gateway maps it to problem+json:
 * bad-request 400, not-found 404, conflict 409 (the incident's state forbids it), unprocessable 422
 * (a field the state requires is missing); `errors` carry JSON pointers into the request body.
 */
export const commandErrorReplySchema = z.object({
  error: z.enum(['bad-request', 'not-found', 'conflict', 'unprocessable']),
  detail: z.string(),
  errors: z.array(fieldErrorSchema).optional(),
});
export type CommandErrorReply = z.infer<typeof commandErrorReplySchema>;

// ---- HTTP bodies (the gateway validates them; the owner validates again) ----

// Sent to the incident service in one NATS message with the facts: 500 worst-case rows stay well under 1 MiB.
export const AFFECTED_PEOPLE_ON_CREATE_MAX = 500;

export const createIncidentBodyV1 = incidentFactsSchema
  .partial()
  .extend({
    title: incidentFactsSchema.shape.title,
    discoveredAt: incidentFactsSchema.shape.discoveredAt,
    drill: z.boolean().optional().describe('a tabletop exercise: runs the whole workflow, excluded from statistics'),
    assignee: z.string().trim().min(1).max(320).optional(),
    severityOverride: severityOverrideInputSchema.optional(),
    affectedPeople: z.array(affectedPersonInputSchema).max(AFFECTED_PEOPLE_ON_CREATE_MAX).optional(),
  })
  .strict()
  .describe('a manually reported incident with the facts known so far');
export type CreateIncidentBodyV1 = z.infer<typeof createIncidentBodyV1>;

export const updateIncidentBodyV1 = incidentFactsSchema
  .partial()
  .extend({ severityOverride: severityOverrideInputSchema.nullable().optional().describe('set (with a reason) or clear (null) a manual severity') })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { error: 'nothing to update' })
  .describe('facts to change; omitted fields keep their value');
export type UpdateIncidentBodyV1 = z.infer<typeof updateIncidentBodyV1>;

export const transitionBodyV1 = z
  .object({
    to: incidentStatusSchema,
    reason: z.string().trim().min(1).max(4000).optional().describe('required to reopen'),
    lessonsLearned: z.string().trim().min(1).max(20_000).optional().describe('required to close'),
    postMortem: z.string().trim().min(1).max(50_000).optional(),
  })
  .strict();
export type TransitionBodyV1 = z.infer<typeof transitionBodyV1>;

export const assignBodyV1 = z.object({ assignee: z.string().trim().min(1).max(320).nullable() }).strict();
export const noteBodyV1 = z.object({ text: z.string().trim().min(1).max(20_000) }).strict();
export const affectedPeopleBodyV1 = z.object({ people: z.array(affectedPersonInputSchema).min(1).max(AFFECTED_PEOPLE_BATCH_MAX) }).strict();
export const taskUpdateBodyV1 = z
  .object({ assignee: z.string().trim().min(1).max(320).nullable().optional(), completed: z.boolean().optional() })
  .strict()
  .refine((b) => b.assignee !== undefined || b.completed !== undefined, { error: 'nothing to update' });

const csv = <T extends z.ZodType<string, string>>(item: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(item).min(1));

export const INCIDENT_PAGE_MAX = 100;
/** Query parameters of GET /v1/incidents. */
export const incidentListParamsV1 = z
  .object({
    status: csv(incidentStatusSchema).optional().describe('comma-separated statuses, e.g. investigating,contained'),
    severity: csv(severitySchema).optional().describe('comma-separated severities'),
    drill: z.enum(['true', 'false']).transform((v) => v === 'true').optional().describe('only drills (true) or only real incidents (false)'),
    since: timestamp.optional().describe('only incidents created at or after this instant'),
    limit: z.coerce.number().int().min(1).max(INCIDENT_PAGE_MAX).default(50),
    cursor: z.string().min(1).max(128).optional().describe("the previous page's nextCursor"),
  })
  .strict();

export const incidentPageV1 = z
  .object({ items: z.array(incidentSummaryV1).describe('newest first'), nextCursor: z.string().nullable() })
  .describe('one page of incidents');
export type IncidentPageV1 = z.infer<typeof incidentPageV1>;

export const timelineVerificationV1 = z
  .discriminatedUnion('intact', [
    z.object({ intact: z.literal(true), checked: z.number().int().nonnegative() }),
    z.object({
      intact: z.literal(false),
      checked: z.number().int().nonnegative(),
      firstBrokenSeq: z.number().int().positive().describe('timeline entry (1-based) that fails'),
      reason: chainBreakReasonSchema,
    }),
  ])
  .describe("verification of an incident's hash-chained timeline");
export type TimelineVerificationV1 = z.infer<typeof timelineVerificationV1>;

export const affectedPeopleAddedV1View = z.object({ added: z.number().int().nonnegative(), duplicates: z.number().int().nonnegative(), total: z.number().int().nonnegative() });

// ---- gateway -> incident commands (core NATS request/reply) ----

const target = { orgId: z.uuid(), actor: actorSchema, ref: z.string().min(1).max(64) };
const incidentReply = z.union([z.object({ incident: incidentViewV1 }), commandErrorReplySchema]);

export const incidentCreateCommandV1 = defineQuery({
  name: 'incident.create',
  version: 1,
  request: z.object({
    orgId: z.uuid(),
    actor: actorSchema,
    body: createIncidentBodyV1,
    /** The caller's Idempotency-Key: the same key creates one incident however often it is sent. */
    idempotencyKey: z.string().min(1).max(255).optional(),
  }),
  reply: incidentReply,
});
export const incidentListQueryV1 = defineQuery({
  name: 'incident.list',
  version: 1,
  // The raw query string values: the owner reads them with incidentListParamsV1 (as the gateway did).
  request: z.object({ orgId: z.uuid(), params: z.record(z.string(), z.string()) }),
  reply: z.union([z.object({ page: incidentPageV1 }), commandErrorReplySchema]),
});
export const incidentUpdateCommandV1 = defineQuery({ name: 'incident.update', version: 1, request: z.object({ ...target, body: updateIncidentBodyV1 }), reply: incidentReply });
export const incidentTransitionCommandV1 = defineQuery({ name: 'incident.transition', version: 1, request: z.object({ ...target, body: transitionBodyV1 }), reply: incidentReply });
export const incidentAssignCommandV1 = defineQuery({ name: 'incident.assign', version: 1, request: z.object({ ...target, body: assignBodyV1 }), reply: incidentReply });
export const incidentNoteCommandV1 = defineQuery({ name: 'incident.note', version: 1, request: z.object({ ...target, body: noteBodyV1 }), reply: incidentReply });
export const incidentTaskUpdateCommandV1 = defineQuery({
  name: 'incident.task-update',
  version: 1,
  request: z.object({ ...target, taskId: z.uuid(), body: taskUpdateBodyV1 }),
  reply: incidentReply,
});
export const incidentAddAffectedPeopleCommandV1 = defineQuery({
  name: 'incident.add-affected-people',
  version: 1,
  request: z.object({ ...target, body: affectedPeopleBodyV1 }),
  reply: z.union([z.object({ result: affectedPeopleAddedV1View }), commandErrorReplySchema]),
});
export const incidentVerifyTimelineQueryV1 = defineQuery({
  name: 'incident.verify-timeline',
  version: 1,
  request: z.object({ orgId: z.uuid(), ref: z.string().min(1).max(64) }),
  reply: z.union([z.object({ verification: timelineVerificationV1 }), commandErrorReplySchema]),
});
