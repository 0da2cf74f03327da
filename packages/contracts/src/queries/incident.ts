import { z } from 'zod';
import { incidentNumberSchema, incidentStatusSchema, severitySchema } from '../events/common';
import { affectedRegionCountSchema, breachDataCategorySchema, encryptionSchema, notificationMethodSchema, riskAssessmentSchema } from '../incidents/facts';
import { defineQuery, queryErrorReplySchema, queryTimestamp } from './define';

const actorView = z.object({ type: z.enum(['api-key', 'service']), id: z.string() });

/** The seed's six response phases; every playbook task (default or an org's template) is in one. */
export const PLAYBOOK_PHASES = ['detection', 'containment', 'assessment', 'notification', 'remediation', 'closure'] as const;

/** Where a deadline stands: met/missed once done, pending/overdue while not. */
export const deadlineStatusSchema = z.enum(['met', 'missed', 'pending', 'overdue']);
export type DeadlineStatus = z.infer<typeof deadlineStatusSchema>;

/** The response phase tasks of the playbook, due relative to discovery. */
export const playbookTaskViewV1 = z.object({
  id: z.uuid(),
  phase: z.enum(PLAYBOOK_PHASES),
  title: z.string(),
  dueAt: queryTimestamp.nullable().describe('null for ongoing phases'),
  assignee: z.string().nullable(),
  completedAt: queryTimestamp.nullable(),
  overdue: z.boolean().describe('not completed and past dueAt when the incident was read'),
});

/** Summary fields shared by the list and the full view. */
export const incidentSummaryV1 = z
  .object({
    id: z.uuid(),
    number: incidentNumberSchema,
    title: z.string(),
    category: z.string(),
    severity: severitySchema.describe('effective severity: the override if set, else the computed one'),
    status: incidentStatusSchema,
    drill: z.boolean(),
    assignee: z.string().nullable(),
    discoveredAt: queryTimestamp,
    createdAt: queryTimestamp,
    updatedAt: queryTimestamp,
  })
  .describe('an incident in a list');
export type IncidentSummaryV1 = z.infer<typeof incidentSummaryV1>;

/** One incident as the API shows it: its facts, where it came from, its lifecycle and its timeline. */
export const incidentViewV1 = incidentSummaryV1
  .extend({
    description: z.string(),
    correlationKey: z.string().nullable().describe('incidents with the same key are one attack, e.g. brute_force.ip:203.0.113.7'),
    detectedAt: queryTimestamp,
    breachAt: queryTimestamp.nullable(),
    containedAt: queryTimestamp.nullable(),
    resolvedAt: queryTimestamp.nullable(),
    closedAt: queryTimestamp.nullable(),
    reopenedAt: queryTimestamp.nullable(),
    dataCategories: z.array(breachDataCategorySchema),
    affectedCount: z.number().int().nonnegative().nullable().describe('declared number of people affected'),
    affectedByRegion: z.array(affectedRegionCountSchema),
    affectedPeopleRows: z.number().int().nonnegative().describe('affected people recorded as rows'),
    encryption: encryptionSchema,
    activeThreat: z.boolean(),
    jurisdictions: z.array(z.string()),
    riskAssessment: riskAssessmentSchema.nullable(),
    mitigationSteps: z.string(),
    userActionsRequired: z.string(),
    supportContact: z.string(),
    reportedToAuthorities: z.boolean(),
    authorityReference: z.string().nullable(),
    usersNotified: z.boolean(),
    notificationSentAt: queryTimestamp.nullable(),
    notificationMethod: notificationMethodSchema.nullable(),
    lessonsLearned: z.string().nullable(),
    postMortem: z.string().nullable(),
    createdBy: actorView,
    severityComputed: severitySchema.describe('what the classification table gives for the current facts'),
    severityReasons: z.array(z.string()).describe('which rows of the classification table applied'),
    severityOverride: z.object({ severity: severitySchema, reason: z.string(), by: actorView, at: queryTimestamp }).nullable(),
    responseTarget: z
      .object({
        hours: z.number().int().nonnegative().describe('0 = immediate'),
        dueAt: queryTimestamp,
        status: deadlineStatusSchema.describe('met/missed: first contained by dueAt or after it; pending/overdue: never contained yet'),
      })
      .describe('response-time target of the effective severity, from discovery'),
    origin: z
      .object({
        kind: z.enum(['manual', 'detection']).optional(),
        detectionId: z.uuid().optional(),
        ruleId: z.string().optional(),
        ip: z.string().optional(),
        eventCount: z.number().int().nonnegative().optional(),
        triggerCount: z.number().int().nonnegative().optional().describe('detections merged into this incident'),
        lastSeenAt: queryTimestamp.optional(),
        evidenceEventIds: z.array(z.string()).optional().describe('most recent evidence first, at most 500'),
      })
      .describe('what opened the incident'),
    detectionCount: z.number().int().nonnegative().describe('detections folded into this incident'),
    tasks: z.array(playbookTaskViewV1),
    timeline: z.array(z.object({ seq: z.number().int().positive(), at: queryTimestamp, kind: z.string(), actor: actorView, detail: z.unknown() })),
  })
  .describe('an incident with its timeline');
export type IncidentViewV1 = z.infer<typeof incidentViewV1>;

/** gateway -> incident: one incident of one org by id or number; another org's is `incident: null`. */
export const incidentGetQueryV1 = defineQuery({
  name: 'incident.get',
  version: 1,
  request: z.object({ orgId: z.uuid(), ref: z.string().min(1).max(64) }),
  reply: z.union([z.object({ incident: incidentViewV1.nullable() }), queryErrorReplySchema]),
});

/** A detection-opened incident as the API shows it: the example of the contract (tests, docs). */
export const incidentViewExampleV1: IncidentViewV1 = {
  id: '7c0e3c51-3d2f-4a43-9b1c-2f1d3c4b5a60',
  number: 'INC-20261123-0001',
  title: 'Brute force from 203.0.113.7',
  description: '5 failed logins',
  category: 'brute_force',
  severity: 'medium',
  status: 'investigating',
  drill: false,
  assignee: null,
  correlationKey: 'brute_force.ip:203.0.113.7',
  detectedAt: '2026-11-23T10:00:00.000Z',
  discoveredAt: '2026-11-23T10:00:00.000Z',
  createdAt: '2026-11-23T10:00:01.000Z',
  updatedAt: '2026-11-23T10:00:01.000Z',
  breachAt: null,
  containedAt: null,
  resolvedAt: null,
  closedAt: null,
  reopenedAt: null,
  dataCategories: [],
  affectedCount: null,
  affectedByRegion: [],
  affectedPeopleRows: 0,
  encryption: 'none',
  activeThreat: false,
  jurisdictions: [],
  riskAssessment: null,
  mitigationSteps: '',
  userActionsRequired: '',
  supportContact: '',
  reportedToAuthorities: false,
  authorityReference: null,
  usersNotified: false,
  notificationSentAt: null,
  notificationMethod: null,
  lessonsLearned: null,
  postMortem: null,
  createdBy: { type: 'service', id: 'incident' },
  severityComputed: 'medium',
  severityReasons: ['low: 0 people affected (< 10)', 'medium: severity of the detection that opened it'],
  severityOverride: null,
  responseTarget: { hours: 24, dueAt: '2026-11-24T10:00:00.000Z', status: 'overdue' },
  origin: { kind: 'detection', ruleId: 'brute_force.ip', ip: '203.0.113.7', eventCount: 5, triggerCount: 1, evidenceEventIds: [] },
  detectionCount: 1,
  tasks: [],
  timeline: [{ seq: 1, at: '2026-11-23T10:00:01.000Z', kind: 'incident.created', actor: { type: 'service', id: 'incident' }, detail: { status: 'investigating' } }],
};
