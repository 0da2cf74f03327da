import { z } from 'zod';
import { incidentNumberSchema } from '../events/common';
import { defineQuery, queryTimestamp } from '../queries/define';
import { deadlineStatusSchema, PLAYBOOK_PHASES, playbookTaskViewV1 } from '../queries/incident';
import { actorSchema, commandErrorReplySchema } from './commands';

// ---- notification of affected people ----

// Sent to the incident service in one NATS message: 1,000 ids of ≤ 256 characters stay well under 1 MiB.
export const NOTIFICATION_SUBJECTS_MAX = 1_000;

export const notificationRequestBodyV1 = z
  .object({
    channel: z.enum(['email', 'in_app', 'both']),
    message: z.string().trim().min(1).max(20_000).optional().describe('what to tell them; omitted = the standard notice'),
    subjectIds: z
      .array(z.string().trim().min(1).max(256))
      .min(1)
      .max(NOTIFICATION_SUBJECTS_MAX)
      .optional()
      .describe('affected people (their subjectId) to notify; omitted = everyone recorded'),
  })
  .strict()
  .describe('ask for the affected people to be notified');
export type NotificationRequestBodyV1 = z.infer<typeof notificationRequestBodyV1>;

export const notificationRequestViewV1 = z
  .object({
    id: z.uuid(),
    incidentId: z.uuid(),
    number: incidentNumberSchema,
    channel: notificationRequestBodyV1.shape.channel,
    message: z.string().nullable(),
    count: z.number().int().positive().describe('people to notify'),
    allPeople: z.boolean(),
    drill: z.boolean().describe('a drill: recorded and announced with drill=true, never sent'),
    requestedAt: queryTimestamp,
    requestedBy: actorSchema,
  })
  .describe('a notification request, recorded in the timeline and announced as incident.notification_requested');
export type NotificationRequestViewV1 = z.infer<typeof notificationRequestViewV1>;

const target = { orgId: z.uuid(), actor: actorSchema, ref: z.string().min(1).max(64) };

export const incidentNotificationRequestCommandV1 = defineQuery({
  name: 'incident.notification-request',
  version: 1,
  request: z.object({ ...target, body: notificationRequestBodyV1 }),
  reply: z.union([z.object({ request: notificationRequestViewV1 }), commandErrorReplySchema]),
});

// ---- drill report ----

const elapsed = z.number().int().nullable().describe('seconds after discovery; null if it has not happened');

export const drillReportV1 = z
  .object({
    incidentId: z.uuid(),
    number: incidentNumberSchema,
    title: z.string(),
    discoveredAt: queryTimestamp,
    generatedAt: queryTimestamp,
    steps: z
      .array(z.object({ status: z.enum(['contained', 'resolved', 'closed']), at: queryTimestamp.nullable().describe('first time the drill reached it'), elapsedSeconds: elapsed }))
      .describe('discovery to contained, resolved and closed'),
    tasks: z.array(
      z.object({
        id: z.uuid(),
        phase: playbookTaskViewV1.shape.phase,
        title: z.string(),
        dueAt: queryTimestamp.nullable(),
        completedAt: queryTimestamp.nullable(),
        elapsedSeconds: elapsed,
        deadline: deadlineStatusSchema.nullable().describe('null for tasks without a deadline'),
      }),
    ),
    notificationRequestedAt: queryTimestamp.nullable().describe('first notification request'),
    notificationRequestedAfterSeconds: elapsed,
    totalSeconds: elapsed.describe('discovery to closure; null while the drill is not closed'),
  })
  .describe('how long each step of a drill took');
export type DrillReportV1 = z.infer<typeof drillReportV1>;

export const incidentDrillReportQueryV1 = defineQuery({
  name: 'incident.drill-report',
  version: 1,
  request: z.object({ orgId: z.uuid(), ref: z.string().min(1).max(64) }),
  reply: z.union([z.object({ report: drillReportV1 }), commandErrorReplySchema]),
});

// ---- per-org playbook template ----

export const PLAYBOOK_TEMPLATE_MAX = 50;

export const playbookTemplateTaskSchema = z
  .object({
    phase: z.enum(PLAYBOOK_PHASES),
    title: z.string().trim().min(1).max(500),
    dueAfterHours: z.number().int().min(0).max(8_760).nullable().describe('hours after discovery; null = no deadline'),
  })
  .strict();

export const playbookTemplateBodyV1 = z
  .object({ tasks: z.array(playbookTemplateTaskSchema).min(1).max(PLAYBOOK_TEMPLATE_MAX) })
  .strict()
  .describe("the organisation's playbook: the tasks every new incident starts with");
export type PlaybookTemplateBodyV1 = z.infer<typeof playbookTemplateBodyV1>;

export const playbookTemplateV1 = z
  .object({
    tasks: z.array(playbookTemplateTaskSchema),
    custom: z.boolean().describe('false = the built-in default (the seed playbook)'),
    updatedAt: queryTimestamp.nullable(),
  })
  .describe("the playbook new incidents of the organisation start with");
export type PlaybookTemplateV1 = z.infer<typeof playbookTemplateV1>;

export const playbookTemplateGetQueryV1 = defineQuery({
  name: 'incident.playbook-template-get',
  version: 1,
  request: z.object({ orgId: z.uuid() }),
  reply: z.union([z.object({ template: playbookTemplateV1 }), commandErrorReplySchema]),
});

export const playbookTemplatePutCommandV1 = defineQuery({
  name: 'incident.playbook-template-put',
  version: 1,
  request: z.object({ orgId: z.uuid(), actor: actorSchema, body: playbookTemplateBodyV1 }),
  reply: z.union([z.object({ template: playbookTemplateV1 }), commandErrorReplySchema]),
});
