import { z } from 'zod';
import { decisionKindSchema, decisionSchema } from '../events/decision';
import { DECISION_PAGE_MAX, decisionCheckV1, decisionPolicySchema, decisionPolicyViewV1 } from '../api/decisions';
import { defineQuery, queryErrorReplySchema } from './define';

/** gateway -> detection: one org's decisions in change order after a cursor (a change sequence). */
export const decisionListQueryV1 = defineQuery({
  name: 'decision.list',
  version: 1,
  request: z.object({
    orgId: z.uuid(),
    active: z.boolean().optional(),
    kind: decisionKindSchema.optional(),
    target: z.string().min(1).max(320).optional(),
    after: z.number().int().nonnegative(),
    limit: z.number().int().min(1).max(DECISION_PAGE_MAX),
  }),
  reply: z.union([
    z.object({
      items: z.array(decisionSchema),
      /** Change sequence of the last item, or `after` when there is none. */
      lastSeq: z.number().int().nonnegative(),
      /** The org's newest change sequence (0 before its first decision): where a live stream starts. */
      latestSeq: z.number().int().nonnegative(),
    }),
    queryErrorReplySchema,
  ]),
});

export const decisionGetQueryV1 = defineQuery({
  name: 'decision.get',
  version: 1,
  request: z.object({ orgId: z.uuid(), id: z.uuid() }),
  reply: z.union([z.object({ decision: decisionSchema.nullable() }), queryErrorReplySchema]),
});

/** A command over request/reply: detection owns decisions, so only it revokes (and emits decision.revoked). */
export const decisionRevokeQueryV1 = defineQuery({
  name: 'decision.revoke',
  version: 1,
  request: z.object({ orgId: z.uuid(), id: z.uuid(), reason: z.string().min(1).max(1000), by: z.string().min(1).max(128) }),
  reply: z.union([z.object({ outcome: z.enum(['revoked', 'already-revoked', 'not-found']), decision: decisionSchema.nullable() }), queryErrorReplySchema]),
});

export const decisionCheckQueryV1 = defineQuery({
  name: 'decision.check',
  version: 1,
  request: z.object({ orgId: z.uuid(), ip: z.string().max(64).optional(), account: z.string().min(1).max(320).optional() }),
  reply: z.union([decisionCheckV1, queryErrorReplySchema]),
});

export const decisionPolicyGetQueryV1 = defineQuery({
  name: 'decision.policy.get',
  version: 1,
  request: z.object({ orgId: z.uuid() }),
  reply: z.union([decisionPolicyViewV1, queryErrorReplySchema]),
});

/** Replaces the org's overrides; effective for the next detection (read in its transaction). */
export const decisionPolicyPutQueryV1 = defineQuery({
  name: 'decision.policy.put',
  version: 1,
  request: z.object({ orgId: z.uuid(), policy: decisionPolicySchema }),
  reply: z.union([decisionPolicyViewV1, queryErrorReplySchema]),
});
