import { z } from 'zod';
import { defineEvent } from '../registry';

/** Published by the gateway when an organisation is created, so services keep their own read model of it. */
export const orgCreatedV1 = defineEvent({
  type: 'org.created',
  version: 1,
  schema: z
    .object({
      orgId: z.uuid(),
      name: z.string().min(1).max(200),
      adminRecipients: z.array(z.email()).min(1).max(50),
    })
    .strict(),
});
export type OrgCreatedV1 = z.infer<typeof orgCreatedV1.schema>;
