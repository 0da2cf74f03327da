import { z } from 'zod';
import { defineQuery, queryErrorReplySchema, queryTimestamp } from '../queries/define';

/**
 * Regulatory obligations: the regime table (rules as data, each citing its source) and what
 * `GET /v1/incidents/{id}/obligations` and `GET /v1/regimes` answer. The incident service computes
 * obligations from an incident's facts with this table; a deployment may override it (docs/obligations.md).
 */

/** Who must be told. `internal` is a duty owed to no one outside, e.g. Singapore's 30-day assessment. */
export const obligationAudienceSchema = z.enum(['authority', 'individuals', 'media', 'internal']);
export type ObligationAudience = z.infer<typeof obligationAudienceSchema>;

/**
 * The fact a deadline counts from. `determination`: when a named finding was recorded (SEC materiality,
 * NYDFS reportability); `prior_report`: when another rule of the same regime was reported
 * (NIS2's final report after the notification, California's AG copy after residents were told).
 */
export const clockStartSchema = z.enum(['awareness', 'discovery', 'determination', 'assessment_end', 'ransom_payment', 'prior_report', 'discovery_year_end']);
export type ClockStart = z.infer<typeof clockStartSchema>;

export const deadlineUnitSchema = z.enum(['hours', 'calendar_days', 'business_days', 'calendar_months']);
export type DeadlineUnit = z.infer<typeof deadlineUnitSchema>;

/** GDPR's scale: Art. 33 applies unless the breach is "unlikely to result in a risk", Art. 34 at "high risk". */
export const riskLevelSchema = z.enum(['unlikely', 'risk', 'high']);
export type RiskLevel = z.infer<typeof riskLevelSchema>;

/** Kinds of personal data a breach exposed, as the regimes' triggers name them. */
export const regimeDataCategorySchema = z.enum([
  'name',
  'contact',
  'government_id',
  'financial',
  'payment_card',
  'credentials',
  'health',
  'biometric',
  'genetic',
  'special_category',
  'minors',
  'elderly',
  'secrecy_protected',
  'location',
  'other',
]);
export type RegimeDataCategory = z.infer<typeof regimeDataCategorySchema>;

/** Boolean facts about the organisation that decide whether an entity-scoped regime binds it. */
export const orgFlagSchema = z.enum([
  'hipaaCoveredEntity',
  'nydfsCoveredEntity',
  'nis2Entity',
  'trustServiceProvider',
  'brazilSmallAgent',
  'secRegistrant',
  'eeaEstablished',
  'ukEstablished',
]);
export type OrgFlag = z.infer<typeof orgFlagSchema>;

const identifier = z.string().regex(/^[a-z0-9]+(?:[-.][a-z0-9]+)*$/, 'lower-case words joined by - or .');
const countryCode = z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2 country code');
const regionCode = z.string().regex(/^[A-Z0-9]{1,3}$/, 'ISO 3166-2 subdivision code without the country, e.g. CA');

export const citationSchema = z
  .object({
    reference: z.string().min(1).describe('article or section, e.g. "GDPR Art. 33(1)"'),
    url: z.url().optional().describe('the official text'),
    sources: z.array(z.string()).optional().describe('secondary sources the rule was checked against'),
  })
  .strict();
export type Citation = z.infer<typeof citationSchema>;

const leafConditions = [
  z.object({ kind: z.literal('risk'), atLeast: riskLevelSchema }).strict(),
  z
    .object({
      kind: z.literal('affected'),
      min: z.number().int().nonnegative().optional().describe('inclusive'),
      max: z.number().int().nonnegative().optional().describe('inclusive'),
      per: z.enum(['scope', 'region']).describe('scope: all affected people the regime covers; region: some single region (state) alone'),
      country: countryCode.optional().describe('count only people of this country'),
    })
    .strict(),
  z.object({ kind: z.literal('data_category_any'), categories: z.array(regimeDataCategorySchema).min(1) }).strict(),
  z.object({ kind: z.literal('org_flag'), flag: orgFlagSchema, is: z.boolean() }).strict(),
  z
    .object({
      kind: z.literal('determination'),
      name: identifier.describe('a finding recorded on the incident, e.g. nis2.significant'),
      is: z.boolean().optional().describe('false: holds while the finding is NOT recorded (default true)'),
    })
    .strict(),
  z.object({ kind: z.literal('fact_recorded'), fact: clockStartSchema }).strict(),
] as const;
const leafConditionSchema = z.discriminatedUnion('kind', [...leafConditions]);
// One discriminated union (not a union of unions), so an error points into the condition it is in.
export const obligationConditionSchema = z.discriminatedUnion('kind', [
  ...leafConditions,
  z.object({ kind: z.literal('any'), of: z.array(leafConditionSchema).min(2).describe('holds when one of these holds') }).strict(),
]);
export type ObligationCondition = z.infer<typeof obligationConditionSchema>;

/** What lifts a duty that would otherwise apply. */
export const obligationExemptionSchema = z
  .object({
    kind: z.enum(['encrypted']).describe('encrypted: the data were encrypted and the key was not compromised'),
    citation: citationSchema,
  })
  .strict();

const determinationName = identifier.describe('with clockStart determination: the finding whose time starts the clock, e.g. sec.material');

export const deadlineRuleSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('period'),
      amount: z.number().int().positive(),
      unit: deadlineUnitSchema,
      clockStart: clockStartSchema,
      afterRuleId: identifier.optional().describe('with clockStart prior_report: the rule whose report starts the clock'),
      determination: determinationName.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('none'),
      clockStart: clockStartSchema,
      determination: determinationName.optional(),
      reason: z.string().min(1).describe('why no instant can be given, e.g. "without undue delay"'),
    })
    .strict(),
]);
export type DeadlineRule = z.infer<typeof deadlineRuleSchema>;

export const obligationRuleSchema = z
  .object({
    id: identifier.describe('unique across the table; authority reports are recorded against it'),
    audience: obligationAudienceSchema,
    recipient: z.string().min(1),
    phase: z.string().min(1).optional().describe('for phased reporting, e.g. "early warning"'),
    conditions: z.array(obligationConditionSchema).describe('all must hold'),
    exemptions: z.array(obligationExemptionSchema),
    deadline: deadlineRuleSchema,
    reasonsForDelayRequired: z.boolean().describe('a late report must give the reasons for the delay'),
    noticeContent: z.array(z.string().min(1)),
    citation: citationSchema,
  })
  .strict();
export type ObligationRule = z.infer<typeof obligationRuleSchema>;

/** Days on which business-day periods do not count. Weekends always; holidays where the regime's data lists them. */
export const businessCalendarSchema = z
  .object({
    weekendDays: z.array(z.number().int().min(0).max(6)).describe('0 = Sunday'),
    fixedHolidays: z.array(z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'MM-DD')).describe('every year'),
    easterOffsets: z.array(z.number().int().min(-60).max(70)).describe('moveable holidays as days from Western Easter Sunday, e.g. -2 for Good Friday'),
    dates: z.array(z.iso.date()).describe('one-off holidays'),
  })
  .strict();
export type BusinessCalendar = z.infer<typeof businessCalendarSchema>;

export const regimeScopeSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('people'),
      countries: z.array(countryCode).min(1),
      regions: z.array(regionCode).optional().describe('only these regions of the countries'),
      establishedFlag: orgFlagSchema.optional().describe('an organisation with this flag is covered for everyone it affects, wherever they live (GDPR Art. 3(1))'),
    })
    .strict()
    .describe('applies when affected people live here'),
  z.object({ kind: z.literal('entity'), flag: orgFlagSchema }).strict().describe('applies to organisations with this flag, wherever the people live'),
]);
export type RegimeScope = z.infer<typeof regimeScopeSchema>;

export const regimeSchema = z
  .object({
    id: identifier,
    name: z.string().min(1),
    authority: z.string().min(1),
    scope: regimeScopeSchema,
    timeZone: z.string().min(1).describe('IANA zone in which day-counted periods end (hour periods run in absolute time)'),
    calendar: businessCalendarSchema,
    rules: z.array(obligationRuleSchema).min(1),
    notes: z.array(z.string()).optional(),
  })
  .strict();
export type Regime = z.infer<typeof regimeSchema>;

export const obligationStatusSchema = z.enum(['not_applicable', 'pending', 'late', 'done']);
export type ObligationStatus = z.infer<typeof obligationStatusSchema>;

/** One regime's duty to one audience for one incident, as computed at `computedAt`. */
export const obligationViewV1 = z
  .object({
    ruleId: z.string(),
    regimeId: z.string(),
    regimeName: z.string(),
    audience: obligationAudienceSchema,
    recipient: z.string(),
    phase: z.string().nullable(),
    applies: z.boolean(),
    rationale: z.array(z.string()).describe('why it applies or not, one finding a line'),
    due: queryTimestamp.nullable(),
    dueReason: z.string().nullable().describe('why due is null: no fixed period, or its clock has not started'),
    clockStart: z.object({ fact: clockStartSchema, at: queryTimestamp.nullable(), afterRuleId: z.string().nullable(), determination: z.string().nullable() }),
    period: z.object({ amount: z.number().int().positive(), unit: deadlineUnitSchema }).nullable(),
    timeZone: z.string(),
    noticeContent: z.array(z.string()),
    status: obligationStatusSchema,
    lateReportNeedsReasons: z.boolean().describe("the rule asks a late report for the reasons of the delay"),
    reasonsForDelayRequired: z.boolean().describe('late (or reported late) under such a rule: the reasons are owed now'),
    report: z
      .object({ reportedAt: queryTimestamp, reference: z.string(), late: z.boolean(), reasonsForDelay: z.string().nullable() })
      .nullable()
      .describe('the recorded report, if any'),
    citation: citationSchema,
  })
  .describe('one obligation of one regime to one audience');
export type ObligationViewV1 = z.infer<typeof obligationViewV1>;

/** What to do, in one word, with the reasons and the remediation steps (the seed's "recommended actions"). */
export const incidentRecommendationV1 = z
  .object({
    action: z.enum(['notify_people', 'notify_authority', 'record_only']).describe('the widest notice any applicable obligation requires'),
    rationale: z.array(z.string()).describe('why: the obligations that require it, and the risk factors found'),
    remediation: z.array(z.string()).describe('step-by-step actions for this incident\'s data, state and source'),
  })
  .strict();
export type IncidentRecommendationV1 = z.infer<typeof incidentRecommendationV1>;

export const incidentObligationsV1 = z
  .object({
    incidentId: z.uuid(),
    drill: z.boolean().describe('drills carry no obligations'),
    computedAt: queryTimestamp,
    obligations: z.array(obligationViewV1),
    recommendation: incidentRecommendationV1,
  })
  .describe('GET /v1/incidents/{id}/obligations');
export type IncidentObligationsV1 = z.infer<typeof incidentObligationsV1>;

export const regimeListV1 = z.object({ regimes: z.array(regimeSchema) }).describe('GET /v1/regimes: the rule table in force');
export type RegimeListV1 = z.infer<typeof regimeListV1>;

/** Recording that an obligation was met (e.g. the authority report, with its reference). */
export const obligationReportRequestV1 = z
  .object({
    ruleId: identifier,
    reportedAt: z.iso.datetime({ offset: true }),
    reference: z.string().trim().min(1).max(255).describe("the recipient's case or submission reference"),
    reasonsForDelay: z.string().trim().min(1).max(4000).optional().describe('required when the report is late under a rule that asks for them (GDPR Art. 33(1))'),
  })
  .strict();
export type ObligationReportRequestV1 = z.infer<typeof obligationReportRequestV1>;

/** gateway -> incident: an incident's obligations, or `obligations: null` when the org has no such incident. */
export const incidentObligationsQueryV1 = defineQuery({
  name: 'incident.obligations',
  version: 1,
  request: z.object({ orgId: z.uuid(), ref: z.string().min(1).max(64) }),
  reply: z.union([z.object({ obligations: incidentObligationsV1.nullable() }), queryErrorReplySchema]),
});

/** gateway -> incident: the regime table in force (defaults merged with the deployment's override). */
export const regimesListQueryV1 = defineQuery({
  name: 'incident.regimes',
  version: 1,
  request: z.object({}),
  reply: z.union([regimeListV1, queryErrorReplySchema]),
});

/** An organisation's compliance profile: which entity-scoped regimes bind it (all false until set). */
export const complianceProfileV1 = z
  .object({ flags: z.object(Object.fromEntries(orgFlagSchema.options.map((f) => [f, z.boolean()])) as Record<OrgFlag, z.ZodBoolean>).strict() })
  .describe('GET/PUT /v1/compliance-profile');
export type ComplianceProfileV1 = z.infer<typeof complianceProfileV1>;
/** PUT /v1/compliance-profile: the flags to change; the others keep their value. */
export const complianceProfileBodyV1 = z
  .object({ flags: z.object(Object.fromEntries(orgFlagSchema.options.map((f) => [f, z.boolean().optional()])) as Record<OrgFlag, z.ZodOptional<z.ZodBoolean>>).strict() })
  .strict();
export type ComplianceProfileBodyV1 = z.infer<typeof complianceProfileBodyV1>;

const commandError = z.object({
  error: z.enum(['bad-request', 'not-found', 'conflict', 'unprocessable']),
  detail: z.string(),
  errors: z.array(z.object({ pointer: z.string(), message: z.string() })).optional(),
});
const obligationActor = z.object({ type: z.enum(['api-key', 'service']), id: z.string().min(1).max(128) }).strict();

/** gateway -> incident: record a report made under one obligation rule; answers the incident's obligations after it. */
export const obligationReportCommandV1 = defineQuery({
  name: 'incident.obligation-report',
  version: 1,
  request: z.object({ orgId: z.uuid(), ref: z.string().min(1).max(64), actor: obligationActor, body: obligationReportRequestV1 }),
  reply: z.union([z.object({ obligations: incidentObligationsV1 }), commandError]),
});

export const complianceProfileGetQueryV1 = defineQuery({
  name: 'incident.compliance-profile.get',
  version: 1,
  request: z.object({ orgId: z.uuid() }),
  reply: z.union([z.object({ profile: complianceProfileV1 }), queryErrorReplySchema]),
});

export const complianceProfilePutCommandV1 = defineQuery({
  name: 'incident.compliance-profile.put',
  version: 1,
  request: z.object({ orgId: z.uuid(), body: complianceProfileBodyV1 }),
  reply: z.union([z.object({ profile: complianceProfileV1 }), commandError]),
});
