import { z } from 'zod';
import { defineEvent } from '../registry';
import { boundedMetadata, emailField, ipField, userAgentField } from './shared';

/** An administrator did something: in the producer's own product, or in Vigil itself (source `vigil://gateway`). */
export const adminActionV1 = defineEvent({
  type: 'admin.action',
  version: 1,
  schema: z
    .object({
      adminId: z.string().min(1).max(128).describe('Id of the administrator (for Vigil itself: the API key id)'),
      adminEmail: emailField.optional().describe('Email of the administrator, when known'),
      adminName: z.string().min(1).max(200).optional().describe('Display name of the administrator or API key'),
      action: z.string().min(1).max(256).describe('What was done, e.g. `user.role_changed` or `DELETE /v1/api-keys/:id`'),
      description: z.string().max(2000).optional().describe('Human-readable summary'),
      target: z
        .object({
          type: z.string().min(1).max(64).describe('Kind of object acted on, e.g. `user`, `api-key`'),
          id: z.string().min(1).max(256).optional().describe('Id of the object acted on'),
        })
        .strict()
        .optional()
        .describe('The object the action applied to'),
      status: z.number().int().min(100).max(599).optional().describe('HTTP status of the call, when the action was an API call'),
      metadata: boundedMetadata.optional(),
      ip: ipField.optional(),
      userAgent: userAgentField.optional(),
    })
    .strict()
    .describe('An administrative action'),
});
export type AdminActionV1 = z.infer<typeof adminActionV1.schema>;

export const adminActionExample: AdminActionV1 = {
  adminId: 'usr_42',
  adminEmail: 'alice@acme.test',
  action: 'user.role_changed',
  description: 'Granted the billing-admin role',
  target: { type: 'user', id: 'usr_77' },
  metadata: { role: 'billing-admin', previousRole: 'member' },
  ip: '203.0.113.7',
  userAgent: 'Mozilla/5.0',
};
