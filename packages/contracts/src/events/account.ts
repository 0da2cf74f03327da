import { z } from 'zod';
import { defineEvent } from '../registry';
import { emailField, ipField, userAgentField, userIdField } from './shared';

const accountChange = (what: string) =>
  z
    .object({
      userId: userIdField.optional(),
      email: emailField.optional(),
      ip: ipField.optional(),
      userAgent: userAgentField.optional(),
      method: z.string().min(1).max(64).optional().describe('How: e.g. `reset_link`, `totp`, `webauthn`, `sms`'),
    })
    .strict()
    .refine((d) => d.userId !== undefined || d.email !== undefined, { message: 'userId or email is required', path: ['userId'] })
    .describe(what);

export const accountPasswordChangedV1 = defineEvent({ type: 'account.password_changed', version: 1, schema: accountChange('An account password was changed') });
export type AccountPasswordChangedV1 = z.infer<typeof accountPasswordChangedV1.schema>;

export const accountMfaEnabledV1 = defineEvent({ type: 'account.mfa_enabled', version: 1, schema: accountChange('Multi-factor authentication was turned on') });
export type AccountMfaEnabledV1 = z.infer<typeof accountMfaEnabledV1.schema>;

export const accountMfaDisabledV1 = defineEvent({ type: 'account.mfa_disabled', version: 1, schema: accountChange('Multi-factor authentication was turned off') });
export type AccountMfaDisabledV1 = z.infer<typeof accountMfaDisabledV1.schema>;

export const accountPasswordChangedExample: AccountPasswordChangedV1 = { userId: 'usr_77', email: 'carol@acme.test', ip: '203.0.113.9', method: 'reset_link' };
export const accountMfaEnabledExample: AccountMfaEnabledV1 = { userId: 'usr_77', method: 'totp' };
export const accountMfaDisabledExample: AccountMfaDisabledV1 = { email: 'carol@acme.test', ip: '203.0.113.9', method: 'totp' };
