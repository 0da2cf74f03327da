import { z } from 'zod';
import { defineEvent } from '../registry';
import { incidentNumberSchema, incidentStatusSchema, severitySchema } from './common';

export const incidentCreatedV1 = defineEvent({
  type: 'incident.created',
  version: 1,
  schema: z
    .object({
      incidentId: z.uuid(),
      number: incidentNumberSchema,
      title: z.string().min(1).max(255),
      description: z.string().max(4000),
      category: z.string().min(1).max(64),
      severity: severitySchema,
      status: incidentStatusSchema,
      correlationKey: z.string().max(255).nullable(),
      detectedAt: z.iso.datetime({ offset: true }),
      createdAt: z.iso.datetime({ offset: true }),
      /** A tabletop exercise: excluded from statistics (absent = false). */
      drill: z.boolean().optional(),
      origin: z
        .object({
          detectionId: z.uuid().optional(),
          ruleId: z.string().max(64).optional(),
          ip: z.string().max(64).optional(),
          eventCount: z.number().int().nonnegative().optional(),
        })
        .strict(),
    })
    .strict(),
});
export type IncidentCreatedV1 = z.infer<typeof incidentCreatedV1.schema>;

/**
 * What every later incident event carries about the incident after the change, so a read model
 * (reporting) can apply events of different types in any order: `seq` is the timeline entry of the
 * change, and a copy keeps the snapshot with the highest seq.
 */
export const incidentSnapshotSchema = z
  .object({
    seq: z.number().int().positive(),
    number: incidentNumberSchema,
    title: z.string().min(1).max(255),
    category: z.string().min(1).max(64),
    severity: severitySchema,
    status: incidentStatusSchema,
    drill: z.boolean(),
    detectedAt: z.iso.datetime({ offset: true }),
    createdAt: z.iso.datetime({ offset: true }),
  })
  .strict();
export type IncidentSnapshot = z.infer<typeof incidentSnapshotSchema>;

const changeActor = z.object({ type: z.enum(['api-key', 'service']), id: z.string().min(1).max(128) }).strict();
const base = { incidentId: z.uuid(), snapshot: incidentSnapshotSchema, actor: changeActor, at: z.iso.datetime({ offset: true }) };

export const incidentStatusChangedV1 = defineEvent({
  type: 'incident.status_changed',
  version: 1,
  schema: z
    .object({
      ...base,
      from: incidentStatusSchema,
      to: incidentStatusSchema,
      kind: z.enum(['advance', 'reopen']),
      reason: z.string().max(4000).optional(),
    })
    .strict(),
});
export type IncidentStatusChangedV1 = z.infer<typeof incidentStatusChangedV1.schema>;

export const incidentUpdatedV1 = defineEvent({
  type: 'incident.updated',
  version: 1,
  schema: z
    .object({
      ...base,
      fields: z.array(z.string().max(64)).max(64).describe('facts that changed'),
      severityBefore: severitySchema,
    })
    .strict(),
});
export type IncidentUpdatedV1 = z.infer<typeof incidentUpdatedV1.schema>;

export const incidentAssignedV1 = defineEvent({
  type: 'incident.assigned',
  version: 1,
  schema: z.object({ ...base, assignee: z.string().max(320).nullable(), previous: z.string().max(320).nullable() }).strict(),
});
export type IncidentAssignedV1 = z.infer<typeof incidentAssignedV1.schema>;

export const incidentNoteAddedV1 = defineEvent({
  type: 'incident.note_added',
  version: 1,
  schema: z.object({ ...base, text: z.string().max(20_000) }).strict(),
});

export const incidentAffectedPeopleAddedV1 = defineEvent({
  type: 'incident.affected_people_added',
  version: 1,
  schema: z.object({ ...base, added: z.number().int().nonnegative(), total: z.number().int().nonnegative() }).strict(),
});

export const incidentDetectionMergedV1 = defineEvent({
  type: 'incident.detection_merged',
  version: 1,
  schema: z
    .object({ ...base, detectionId: z.uuid(), ruleId: z.string().max(64), triggerCount: z.number().int().positive(), lastSeenAt: z.iso.datetime({ offset: true }) })
    .strict(),
});

export const incidentTaskUpdatedV1 = defineEvent({
  type: 'incident.task_updated',
  version: 1,
  schema: z
    .object({ ...base, taskId: z.uuid(), phase: z.string().max(32), assignee: z.string().max(320).nullable(), completed: z.boolean() })
    .strict(),
});

/**
 * Someone asked for the affected people to be told (issue 8). Each request has its own id, so a second
 * request while one is pending is a second event; a drill's says drill=true and is never sent to anyone.
 */
export const incidentNotificationRequestedV1 = defineEvent({
  type: 'incident.notification_requested',
  version: 1,
  schema: z
    .object({
      ...base,
      requestId: z.uuid(),
      number: incidentNumberSchema,
      requestedBy: changeActor,
      channel: z.enum(['email', 'in_app', 'both']),
      message: z.string().max(20_000).nullable().describe('what to tell them; null = the standard notice'),
      count: z.number().int().positive().describe('people to notify'),
      allPeople: z.boolean().describe('every affected person recorded when requested, or a chosen subset'),
      drill: z.boolean(),
    })
    .strict(),
});
export type IncidentNotificationRequestedV1 = z.infer<typeof incidentNotificationRequestedV1.schema>;

/** Every incident event after creation: each carries the snapshot read models keep. */
export const incidentChangeEvents = [
  incidentStatusChangedV1,
  incidentUpdatedV1,
  incidentAssignedV1,
  incidentNoteAddedV1,
  incidentAffectedPeopleAddedV1,
  incidentDetectionMergedV1,
  incidentTaskUpdatedV1,
  incidentNotificationRequestedV1,
] as const;
