import { z } from 'zod';
import { defineQuery, queryErrorReplySchema } from '../queries/define';

/** Who receives a drill's notices instead of the organisation's admins. */
export const drillRecipientsV1 = z
  .object({ recipients: z.array(z.email().max(320)).max(50).describe('e-mail addresses; empty: drills send nothing') })
  .strict()
  .describe('GET/PUT /v1/drill-recipients');
export type DrillRecipientsV1 = z.infer<typeof drillRecipientsV1>;

export const drillRecipientsGetQueryV1 = defineQuery({
  name: 'notification.drill-recipients.get',
  version: 1,
  request: z.object({ orgId: z.uuid() }),
  reply: z.union([drillRecipientsV1, queryErrorReplySchema]),
});

export const drillRecipientsPutCommandV1 = defineQuery({
  name: 'notification.drill-recipients.put',
  version: 1,
  request: z.object({ orgId: z.uuid(), body: drillRecipientsV1 }),
  reply: z.union([drillRecipientsV1, z.object({ error: z.enum(['bad-request', 'not-found', 'conflict', 'unprocessable']), detail: z.string() })]),
});
