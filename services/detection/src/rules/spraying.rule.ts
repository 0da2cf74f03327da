import { z } from 'zod';
import type { OrgRule } from '../engine/rule';
import { commonSettings } from '../engine/settings';
import { distinct, duration, eventIdsOf } from './text';

/**
 * The org-wide window lives in memory (every counted failure of the org within it): a day at most,
 * and at least 10 minutes, so it is always longer than the allowed lateness (see org-window.ts).
 */
const MIN_WINDOW_SECONDS = 600;
const MAX_WINDOW_SECONDS = 24 * 60 * 60;

const sprayingSettings = z
  .object({
    ...commonSettings,
    accounts: z.number().int().min(2).max(1_000_000).default(30),
    ips: z.number().int().min(1).max(1_000_000).default(10),
    windowSeconds: z.number().int().min(MIN_WINDOW_SECONDS).max(MAX_WINDOW_SECONDS).default(3600),
    maxFailuresPerAccount: z.number().int().min(1).max(100).default(3),
  })
  .strict();
export type SprayingSettings = z.infer<typeof sprayingSettings>;

/**
 * 4. Password spraying: at least 30 accounts each failing only a few times (at most 3) within one
 * hour, from at least 10 IPs: a few common passwords tried against many accounts, slowly and from
 * many addresses so that no per-IP or per-account limit fires.
 */
export const passwordSpraying: OrgRule<SprayingSettings> = {
  kind: 'org',
  id: 'password_spraying.org',
  version: 1,
  category: 'password_spraying',
  severity: 'high',
  title: 'Password spraying across the organisation',
  description:
    'Many accounts failing a few times each, from many IPs, within an hour: a few common passwords tried against every account, slow and distributed to stay under per-IP and per-account limits. Counts accounts with at most maxFailuresPerAccount failures in the window (more is brute force on that account) and the IPs of their failures.',
  eventTypes: ['login.failed'],
  settings: sprayingSettings,
  params: (s) => ({ windowMs: s.windowSeconds * 1000, accounts: s.accounts, ips: s.ips, maxPerAccount: s.maxFailuresPerAccount }),
  describe: ({ orgId, window, settings }) => {
    const within = duration(settings.windowSeconds * 1000);
    return {
      correlationKey: `password_spraying.org:${orgId}`,
      title: `Password spraying: ${window.accounts} accounts failing from ${window.ips} IPs`,
      summary:
        `Failed logins for ${window.accounts} distinct accounts (each at most ${settings.maxFailuresPerAccount} times) from ${window.ips} distinct IPs within ${within} ` +
        `(thresholds ${settings.accounts} accounts, ${settings.ips} IPs).`,
      evidence: {
        usernames: distinct(window.failures.map((f) => f.account)),
        ips: distinct(window.failures.map((f) => f.ip)),
        eventIds: eventIdsOf(window.failures),
        facts: { accounts: window.accounts, ips: window.ips, windowSeconds: settings.windowSeconds, maxFailuresPerAccount: settings.maxFailuresPerAccount },
      },
      remediation: [
        'Check the targeted accounts for a successful login from one of the listed IPs during or after the window; reset the password of any that did and end their sessions.',
        'Require multi-factor authentication for every account the attack reached (sprayers guess common passwords: MFA stops them).',
        'Block or challenge the listed IPs (CAPTCHA, rate limit per network rather than per IP), and look for their networks in your edge logs.',
        'Refuse common and breached passwords at the next change (a deny list, e.g. the Have I Been Pwned range API).',
      ],
    };
  },
};
