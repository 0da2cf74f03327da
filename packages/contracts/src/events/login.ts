import { z } from 'zod';
import { defineEvent } from '../registry';

const ip = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' });
const principal = {
  /** The login name that was tried (email, username). Stored as given; never a password. */
  username: z.string().min(1).max(320).optional(),
  /** The producer's own id for the account, when it resolved one. */
  userId: z.string().min(1).max(128).optional(),
  userAgent: z.string().max(1024).optional(),
};

export const loginFailedV1 = defineEvent({
  type: 'login.failed',
  version: 1,
  schema: z
    .object({
      ip,
      ...principal,
      // `unknown_user` is the preferred name; `invalid_username` stays valid for producers already sending it.
      reason: z.enum(['invalid_password', 'invalid_username', 'unknown_user', 'account_locked', 'mfa_failed', 'other']).optional(),
    })
    .strict(),
});
export type LoginFailedV1 = z.infer<typeof loginFailedV1.schema>;

export const loginSucceededV1 = defineEvent({
  type: 'login.succeeded',
  version: 1,
  schema: z
    .object({
      ip,
      ...principal,
      mfa: z.boolean().optional(),
    })
    .strict(),
});
export type LoginSucceededV1 = z.infer<typeof loginSucceededV1.schema>;

export const loginFailedExample: LoginFailedV1 = { ip: '203.0.113.50', username: 'alice@acme.test', reason: 'unknown_user', userAgent: 'curl/8.5' };
export const loginSucceededExample: LoginSucceededV1 = { ip: '203.0.113.50', username: 'alice@acme.test', userId: 'usr_42', mfa: true };
