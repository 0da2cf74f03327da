import { z } from 'zod';
import { defineQuery, queryErrorReplySchema } from './define';

/** How the chain was broken at its first bad row. */
export const chainBreakReasonSchema = z
  .enum(['altered', 'removed', 'reordered'])
  .describe(
    'altered: the row no longer matches its own hash (its content was changed); removed: the row links to a hash no stored row has (rows before it are missing, or the chain head names a row that is gone); reordered: the row links to a stored row other than the one before it',
  );
export type ChainBreakReason = z.infer<typeof chainBreakReasonSchema>;

const seq = z.number().int().nonnegative();

/** Result of recomputing one org's hash chain of stored producer events. */
export const chainVerificationV1 = z
  .discriminatedUnion('intact', [
    z.object({
      intact: z.literal(true),
      checked: z.number().int().nonnegative().describe('rows whose hashes were recomputed'),
    }),
    z.object({
      intact: z.literal(false),
      checked: z.number().int().nonnegative().describe('rows recomputed up to and including the first broken one'),
      firstBrokenSeq: seq.describe('store sequence number of the first row that fails (for a row removed at the end of the chain: the sequence number the chain head still names)'),
      firstBrokenEventId: z.uuid().optional().describe('Vigil event id of that row; absent when the row itself is gone'),
      lastIntactSeq: seq.nullable().describe('the last row that verified; removed rows lie between it and firstBrokenSeq'),
      reason: chainBreakReasonSchema,
    }),
  ])
  .describe("verification of an organisation's tamper-evident event store");
export type ChainVerificationV1 = z.infer<typeof chainVerificationV1>;

/** gateway (API and CLI) -> ingest: recompute one org's hash chain. */
export const ingestVerifyChainQueryV1 = defineQuery({
  name: 'ingest.verify-chain',
  version: 1,
  request: z.object({ orgId: z.uuid() }),
  reply: z.union([z.object({ verification: chainVerificationV1 }), queryErrorReplySchema]),
});
