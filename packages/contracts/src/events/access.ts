import { z } from 'zod';
import { defineEvent } from '../registry';
import { actorField, ipField, resourceField } from './shared';

/** An authorisation check said no: repeated denials are how privilege probing shows. */
export const accessDeniedV1 = defineEvent({
  type: 'access.denied',
  version: 1,
  schema: z
    .object({
      actor: actorField,
      resource: resourceField,
      action: z.string().min(1).max(64).optional().describe('What was attempted, e.g. read, delete'),
      policy: z.string().min(1).max(256).optional().describe('The policy or rule that denied it'),
      reason: z.string().min(1).max(1024).optional().describe('Why it was denied'),
      ip: ipField.optional(),
    })
    .strict()
    .describe('An access attempt refused by authorisation'),
});
export type AccessDeniedV1 = z.infer<typeof accessDeniedV1.schema>;

export const accessDeniedExample: AccessDeniedV1 = {
  actor: 'usr_77',
  resource: '/admin/billing',
  action: 'read',
  policy: 'rbac:billing-admin',
  reason: 'role member lacks billing:read',
  ip: '198.51.100.23',
};
