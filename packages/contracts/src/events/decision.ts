import { z } from 'zod';
import { defineEvent } from '../registry';

/**
 * What a platform's login service is asked to enforce (CrowdSec's decisions, fail2ban's bans):
 * `block_ip` refuses logins from an IP or CIDR, `lock_account` refuses logins to an account, and
 * `force_password_reset` / `require_mfa` let the owner in only through that step.
 */
export const decisionKindSchema = z.enum(['block_ip', 'lock_account', 'force_password_reset', 'require_mfa']).describe('what the login service enforces');
export type DecisionKind = z.infer<typeof decisionKindSchema>;
export const DECISION_KINDS = decisionKindSchema.options;

/** Kinds whose target is an IP or CIDR; every other kind targets an account. */
export function decisionTargetsIp(kind: DecisionKind): boolean {
  return kind === 'block_ip';
}

const timestamp = z.iso.datetime({ offset: true });

/** A decision as every reader sees it: the API, the `decision.*` events and the login service. */
export const decisionSchema = z
  .object({
    id: z.uuid().describe('derived from the detection and the kind: the same detection never makes two'),
    orgId: z.uuid(),
    kind: decisionKindSchema,
    target: z.string().min(1).max(320).describe('an IP or CIDR (block_ip) or an account (email or username)'),
    reason: z.string().min(1).max(1000),
    ruleId: z.string().min(1).max(64),
    detectionId: z.uuid(),
    createdAt: timestamp.describe('the detection time (event time of the attack), so a redelivery or replay decides the same'),
    expiresAt: timestamp,
    durationSeconds: z.number().int().positive(),
    /** 0 for a first offence; each earlier decision of the same kind for the target in 30 days doubles the duration. */
    repeatCount: z.number().int().nonnegative(),
    revokedAt: timestamp.nullable(),
    revokedBy: z.string().max(128).nullable().describe('API key id that revoked it'),
    revokeReason: z.string().max(1000).nullable(),
  })
  .strict()
  .describe('a response decision');
export type DecisionV1 = z.infer<typeof decisionSchema>;

export const decisionCreatedV1 = defineEvent({ type: 'decision.created', version: 1, schema: decisionSchema });
export const decisionRevokedV1 = defineEvent({ type: 'decision.revoked', version: 1, schema: decisionSchema });
