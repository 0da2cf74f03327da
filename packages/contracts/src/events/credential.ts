import { z } from 'zod';
import { defineEvent } from '../registry';
import { isoDate } from './shared';

export const credentialSourceTypeSchema = z
  .enum(['service_breach', 'stealer_malware', 'phishing', 'supply_chain', 'insider'])
  .describe('How the credential leaked');
export const exposedDataTypeSchema = z
  .enum(['email', 'username', 'password', 'password_hash', 'phone', 'address', 'payment_card', 'bank_account', 'national_id', 'date_of_birth', 'ip_address', 'session_token', 'security_question', 'other'])
  .describe('Kind of data found exposed');
export const passwordFormSchema = z.enum(['plaintext', 'weak_hash', 'strong_hash', 'none']).describe('How the password was exposed');

/** An account's credentials were found in a breach corpus or stealer log (e.g. from a breach-monitoring feed). */
export const credentialExposedV1 = defineEvent({
  type: 'credential.exposed',
  version: 1,
  schema: z
    .object({
      account: z.string().min(1).max(320).describe('The exposed account: email or username'),
      breachSource: z.string().min(1).max(256).describe('Where it was found, e.g. the breached service or feed'),
      sourceType: credentialSourceTypeSchema,
      exposedDataTypes: z.array(exposedDataTypeSchema).min(1).max(16).describe('Kinds of data exposed with the account'),
      passwordForm: passwordFormSchema,
      hashType: z.string().min(1).max(64).optional().describe('Hash algorithm when known, e.g. bcrypt, md5'),
      breachDate: isoDate.optional().describe('When the breach happened (date or date-time), when known'),
    })
    .strict()
    .describe('Credentials of an account found exposed'),
});
export type CredentialExposedV1 = z.infer<typeof credentialExposedV1.schema>;

export const credentialExposedExample: CredentialExposedV1 = {
  account: 'alice@acme.test',
  breachSource: 'example-forum.test',
  sourceType: 'service_breach',
  exposedDataTypes: ['email', 'password_hash'],
  passwordForm: 'weak_hash',
  hashType: 'md5',
  breachDate: '2026-10-01',
};
