import { z } from 'zod';
import { severitySchema } from '../events/common';
import { detectionCategorySchema } from '../events/detection';
import { defineQuery, queryErrorReplySchema, queryTimestamp } from './define';

const ruleId = z.string().min(1).max(64);
/** A rule's settings as JSON: each rule validates them against its own schema. */
const ruleSettingsObject = z.record(z.string(), z.unknown());

/** One detection rule as an org sees it: what it is, and the settings in force for that org. */
export const detectionRuleViewV1 = z
  .object({
    id: ruleId,
    version: z.number().int().positive(),
    category: detectionCategorySchema,
    severity: severitySchema.describe('default severity; some rules raise it from what they see'),
    title: z.string(),
    description: z.string(),
    eventTypes: z.array(z.string()).describe('event types the rule reads'),
    settings: ruleSettingsObject.describe('effective settings for this org: the defaults with its overrides applied'),
    defaults: ruleSettingsObject,
    overridden: z.boolean().describe('whether this org has stored settings for the rule'),
    updatedAt: queryTimestamp.nullable(),
    updatedBy: z.string().nullable(),
  })
  .describe('a detection rule with the settings in force');
export type DetectionRuleViewV1 = z.infer<typeof detectionRuleViewV1>;

/** Settings that break a rule's schema: one entry per problem, with a JSON pointer into the body. */
export const invalidRuleSettingsReplySchema = z.object({
  error: z.literal('invalid-settings'),
  detail: z.string(),
  errors: z.array(z.object({ pointer: z.string(), message: z.string() })),
});

/** gateway -> detection: every rule with the org's effective settings. */
export const detectionRulesListQueryV1 = defineQuery({
  name: 'detection.rules.list',
  version: 1,
  request: z.object({ orgId: z.uuid() }),
  reply: z.union([z.object({ rules: z.array(detectionRuleViewV1) }), queryErrorReplySchema]),
});

/** gateway -> detection: one rule; an unknown id is `rule: null`. */
export const detectionRuleGetQueryV1 = defineQuery({
  name: 'detection.rules.get',
  version: 1,
  request: z.object({ orgId: z.uuid(), ruleId }),
  reply: z.union([z.object({ rule: detectionRuleViewV1.nullable() }), queryErrorReplySchema]),
});

/**
 * gateway -> detection (a command): replaces the org's settings of one rule. Detection validates them
 * against the rule's schema, stores them and applies them to the next event it evaluates.
 */
export const detectionRuleUpdateCommandV1 = defineQuery({
  name: 'detection.rules.update',
  version: 1,
  request: z.object({ orgId: z.uuid(), ruleId, settings: ruleSettingsObject, actor: z.string().min(1).max(200) }),
  reply: z.union([z.object({ rule: detectionRuleViewV1.nullable() }), invalidRuleSettingsReplySchema, queryErrorReplySchema]),
});
