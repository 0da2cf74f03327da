import { z } from 'zod';
import { severitySchema } from '../events/common';

const timestamp = z.iso.datetime({ offset: true });

/**
 * Categories of personal data an incident may expose. `payment_card` and `bank_account` are payment
 * data (critical by the classification table); the special categories raise an incident to high.
 */
export const BREACH_DATA_CATEGORIES = [
  'name',
  'email',
  'phone',
  'postal_address',
  'date_of_birth',
  'ip_address',
  'location',
  'online_identifier',
  'credentials',
  'government_id',
  'payment_card',
  'bank_account',
  'health',
  'biometric',
  'genetic',
  'racial_ethnic_origin',
  'political_opinion',
  'religious_belief',
  'trade_union',
  'sex_life',
  'criminal_record',
  'children',
  'other',
] as const;
export const breachDataCategorySchema = z.enum(BREACH_DATA_CATEGORIES);
export type BreachDataCategory = z.infer<typeof breachDataCategorySchema>;

export const PAYMENT_DATA_CATEGORIES: readonly BreachDataCategory[] = ['payment_card', 'bank_account'];
/** Data whose exposure is significant on its own (GDPR Art. 9/10 special categories, credentials, government ids). */
export const SENSITIVE_DATA_CATEGORIES: readonly BreachDataCategory[] = [
  'credentials',
  'government_id',
  'health',
  'biometric',
  'genetic',
  'racial_ethnic_origin',
  'political_opinion',
  'religious_belief',
  'trade_union',
  'sex_life',
  'criminal_record',
  'children',
];

/** ISO 3166-1 alpha-2 country, optionally an ISO 3166-2 subdivision (e.g. US + US-CA). */
export const countryCodeSchema = z.string().regex(/^[A-Z]{2}$/, { error: 'an ISO 3166-1 alpha-2 country code, e.g. DE' });
export const regionCodeSchema = z.string().regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/, { error: 'an ISO 3166-2 subdivision code, e.g. US-CA' });

export const affectedRegionCountSchema = z
  .object({ country: countryCodeSchema, region: regionCodeSchema.optional(), count: z.number().int().nonnegative().max(10_000_000_000) })
  .strict()
  .describe('people affected in one country (or one of its subdivisions)');

export const encryptionSchema = z
  .enum(['none', 'encrypted', 'encrypted_key_compromised'])
  .describe('whether the exposed data was encrypted, and if so whether the key was compromised too');

export const notificationMethodSchema = z.enum(['email', 'in_app', 'both', 'sms', 'post']);

export const riskAssessmentSchema = z
  .object({
    likelihood: z.enum(['low', 'medium', 'high']),
    impact: z.enum(['low', 'medium', 'high']),
    exfiltrated: z.boolean().optional(),
    summary: z.string().max(4000).optional(),
  })
  .strict();

/**
 * The facts of an incident a responder can state and correct. Every field is optional in an update;
 * these are also what the obligations engine reads (aware-at, breach time, categories, encryption,
 * people per country/region, drill).
 */
export const incidentFactsSchema = z
  .object({
    title: z.string().trim().min(1).max(255),
    description: z.string().max(20_000),
    category: z.string().trim().min(1).max(64),
    breachAt: timestamp.nullable().describe('when the breach happened (best estimate)'),
    discoveredAt: timestamp.describe('when the organisation became aware of it (clock start of most deadlines)'),
    dataCategories: z.array(breachDataCategorySchema).max(BREACH_DATA_CATEGORIES.length),
    affectedCount: z.number().int().nonnegative().max(10_000_000_000).nullable().describe('declared number of people affected'),
    affectedByRegion: z.array(affectedRegionCountSchema).max(500),
    encryption: encryptionSchema,
    activeThreat: z.boolean().describe('the attacker may still have access'),
    jurisdictions: z.array(z.union([countryCodeSchema, regionCodeSchema])).max(300),
    riskAssessment: riskAssessmentSchema.nullable(),
    mitigationSteps: z.string().max(20_000),
    userActionsRequired: z.string().max(20_000),
    supportContact: z.string().max(320),
    reportedToAuthorities: z.boolean(),
    authorityReference: z.string().max(100).nullable(),
    usersNotified: z.boolean(),
    notificationSentAt: timestamp.nullable(),
    notificationMethod: notificationMethodSchema.nullable(),
  })
  .strict();
export type IncidentFacts = z.infer<typeof incidentFactsSchema>;

export const severityOverrideInputSchema = z.object({ severity: severitySchema, reason: z.string().trim().min(1).max(2000) }).strict();

/** One affected person, as a row (an incident may have millions). */
export const affectedPersonInputSchema = z
  .object({
    subjectId: z.string().trim().min(1).max(256).describe("the organisation's own id for the person; a second row with the same id is ignored"),
    contact: z.string().max(320).optional().describe('email, phone or postal contact for the notice'),
    country: countryCodeSchema.optional(),
    region: regionCodeSchema.optional(),
    dataCategories: z.array(breachDataCategorySchema).max(BREACH_DATA_CATEGORIES.length).optional(),
  })
  .strict();
export type AffectedPersonInput = z.infer<typeof affectedPersonInputSchema>;

export const AFFECTED_PEOPLE_BATCH_MAX = 10_000;
