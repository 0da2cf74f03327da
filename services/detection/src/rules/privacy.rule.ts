import { z } from 'zod';
import type { AdminActionV1, CredentialExposedV1, LoginSucceededV1, Severity, ThirdPartySharedV1 } from '@vigil/contracts';
import type { EventRule } from '../engine/rule';
import { commonSettings } from '../engine/settings';

const exposureSettings = z.object({ ...commonSettings }).strict();

const severityRank: Severity[] = ['low', 'medium', 'high', 'critical'];
const atLeast = (a: Severity, b: Severity): Severity => (severityRank.indexOf(a) >= severityRank.indexOf(b) ? a : b);
/** Data that lets an attacker act as the person or take their money without the password. */
const HIGH_RISK_DATA = new Set(['session_token', 'payment_card', 'bank_account', 'national_id', 'security_question']);

/**
 * The severity matrix of an exposed credential: what was exposed (plaintext password > weak hash >
 * strong hash > email only), raised by high-risk data, and critical whenever the source is stealer
 * malware (the person's device itself is compromised, so a new password is stolen too).
 */
export function exposureSeverity(d: Pick<CredentialExposedV1, 'passwordForm' | 'sourceType' | 'exposedDataTypes'>): Severity {
  if (d.sourceType === 'stealer_malware') return 'critical';
  let s: Severity = { plaintext: 'critical', weak_hash: 'high', strong_hash: 'medium', none: 'low' }[d.passwordForm] as Severity;
  if (d.exposedDataTypes.some((t) => HIGH_RISK_DATA.has(t))) s = atLeast(s, 'high');
  return s;
}

/** Step by step, what the affected person and the admins do (the seed's alert workflow). */
export function exposureRemediation(d: CredentialExposedV1): string[] {
  const steps: string[] = [];
  if (d.sourceType === 'stealer_malware') {
    steps.push(`Treat ${d.account}'s device as compromised: isolate it and have IT clean or reimage it before anything else.`);
    steps.push('End every active session of the account and revoke its tokens and API keys.');
  }
  if (d.passwordForm !== 'none') {
    steps.push(`Reset ${d.account}'s password now${d.sourceType === 'stealer_malware' ? ' from a clean device' : ''}, and on every other service where the same password was used.`);
  }
  steps.push('Turn on multi-factor authentication for the account.');
  if (d.exposedDataTypes.some((t) => HIGH_RISK_DATA.has(t))) steps.push('Alert the bank/card issuer or identity services for the high-risk data exposed, and watch for fraud.');
  steps.push(`Review the account's recent logins and activity since ${d.breachDate ?? 'the breach'} for anything the owner did not do.`);
  steps.push('Tell the person what was exposed, where, and what they should do (Vigil\'s notice covers it).');
  return steps;
}

/** 13. Every `credential.exposed` is a detection, graded by the severity matrix. */
export const credentialExposure: EventRule<z.infer<typeof exposureSettings>> = {
  kind: 'event',
  id: 'credential_exposure.account',
  version: 1,
  category: 'credential_exposure',
  severity: 'high',
  title: 'Exposed credentials',
  description: 'An account\'s credentials turned up in a breach or stealer log. Severity from what was exposed and how; remediation steps for the person.',
  eventTypes: ['credential.exposed'],
  settings: exposureSettings,
  evaluate: ({ event }) => {
    const d = event.data as CredentialExposedV1;
    const at = Date.parse(event.time);
    const what = d.passwordForm === 'none' ? d.exposedDataTypes.join(', ') : `password (${d.passwordForm.replace('_', ' ')}${d.hashType ? `, ${d.hashType}` : ''})`;
    return [
      {
        idParts: [event.id],
        windowStart: at,
        windowEnd: at,
        count: 1,
        threshold: 1,
        severity: exposureSeverity(d),
        correlationKey: `credential_exposure.account:${d.account}:${d.breachSource}`.slice(0, 255),
        title: `Credentials of ${d.account} exposed in ${d.breachSource}`.slice(0, 255),
        summary: `${d.account}: ${what} found via ${d.sourceType.replace('_', ' ')} (${d.breachSource}${d.breachDate ? `, ${d.breachDate}` : ''}).`,
        evidence: { account: d.account, eventIds: [event.id], facts: { breachSource: d.breachSource, sourceType: d.sourceType, passwordForm: d.passwordForm, exposed: d.exposedDataTypes.join(',') } },
        affectedPerson: { account: d.account },
        remediation: exposureRemediation(d),
      },
    ];
  },
};

const sharingSettings = z
  .object({
    ...commonSettings,
    flagWithoutConsent: z.boolean().default(true),
    flagSensitive: z.boolean().default(true),
    /** Recipients this org has a data processing agreement with: sharing with them is never flagged. */
    approvedRecipients: z.array(z.string().min(1).max(200)).max(500).default([]),
  })
  .strict();

/** 12. Personal data shared with a third party without consent, or special-category data at all. */
export const thirdPartySharing: EventRule<z.infer<typeof sharingSettings>> = {
  kind: 'event',
  id: 'unlawful_sharing.thirdparty',
  version: 1,
  category: 'unlawful_sharing',
  severity: 'high',
  title: 'Sharing without consent or of sensitive data',
  description: 'Personal data sent to another company without the person\'s consent, or special-category data (health, biometric, ...) sent anywhere: each may be a reportable breach.',
  eventTypes: ['thirdparty.shared'],
  settings: sharingSettings,
  evaluate: ({ event, settings }) => {
    const d = event.data as ThirdPartySharedV1;
    const noConsent = !d.consentObtained && settings.flagWithoutConsent;
    const sensitive = d.sensitive && settings.flagSensitive;
    if ((!noConsent && !sensitive) || settings.approvedRecipients.some((r) => r.toLowerCase() === d.service.toLowerCase())) return [];
    const at = Date.parse(event.time);
    const why = [noConsent ? 'without consent' : '', sensitive ? 'including sensitive data' : ''].filter(Boolean).join(', ');
    return [
      {
        idParts: [event.id],
        windowStart: at,
        windowEnd: at,
        count: 1,
        threshold: 1,
        severity: noConsent && sensitive ? 'critical' : noConsent ? 'high' : 'medium',
        correlationKey: `unlawful_sharing.thirdparty:${d.service}`,
        title: `Personal data shared with ${d.service} ${why}`.slice(0, 255),
        summary: `${d.dataCategories.join(', ')} data${d.userId ? ` of ${d.userId}` : ''} shared with ${d.service} for "${d.purpose}" ${why}.`,
        evidence: { eventIds: [event.id], facts: { service: d.service, categories: d.dataCategories.join(','), consent: d.consentObtained, sensitive: d.sensitive } },
        ...(d.userId ? { affectedPerson: { account: d.userId, userId: d.userId } } : {}),
        remediation: [
          `Stop the transfer to ${d.service} until a legal basis is recorded.`,
          `Ask ${d.service} to delete the data received, and get written confirmation.`,
          'Assess whether this is a reportable breach (GDPR Art. 33) and record the decision.',
        ],
      },
    ];
  },
};

const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24-hour)');
const afterHoursSettings = z
  .object({
    ...commonSettings,
    // Off until an org sets its business hours: everyone's "after hours" differs.
    enabled: z.boolean().default(false),
    timeZone: z.string().refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone, e.g. Europe/Berlin').default('UTC'),
    businessDays: z.array(z.enum(weekday as [string, ...string[]])).max(7).default(['Mon', 'Tue', 'Wed', 'Thu', 'Fri']),
    start: hhmm.default('08:00'),
    end: hhmm.default('18:00'),
    /** Accounts whose logins count as admin logins (admin.action always counts). */
    adminAccounts: z.array(z.string().min(1).max(320)).max(1000).default([]),
  })
  .strict();
type AfterHoursSettings = z.infer<typeof afterHoursSettings>;

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Weekday and HH:MM of an instant in a time zone. */
export function localTime(at: number, timeZone: string): { day: string; time: string } {
  let f = formatters.get(timeZone);
  if (!f) formatters.set(timeZone, (f = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })));
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  return { day: parts.weekday!, time: `${parts.hour}:${parts.minute}` };
}

export function withinBusinessHours(at: number, s: Pick<AfterHoursSettings, 'timeZone' | 'businessDays' | 'start' | 'end'>): boolean {
  const { day, time } = localTime(at, s.timeZone);
  return s.businessDays.includes(day) && time >= s.start && time < s.end;
}

/** 9. Admin actions, or logins of admin accounts, outside the org's business hours in its time zone. */
export const afterHoursAdmin: EventRule<AfterHoursSettings> = {
  kind: 'event',
  id: 'after_hours.admin',
  version: 1,
  category: 'after_hours',
  severity: 'medium',
  title: 'Admin activity after hours',
  description: 'Administrative work at night or on weekends: rare for real admins, common for attackers using a stolen admin account. Off until the org sets its hours.',
  eventTypes: ['admin.action', 'login.succeeded'],
  settings: afterHoursSettings,
  evaluate: ({ event, settings }) => {
    const at = Date.parse(event.time);
    let admin: string | undefined;
    let what: string;
    if (event.type === 'admin.action') {
      const d = event.data as AdminActionV1;
      admin = d.adminEmail ?? d.adminId;
      what = d.action;
    } else {
      const d = event.data as LoginSucceededV1;
      const account = d.username ?? d.userId;
      if (!account || !settings.adminAccounts.some((a) => a.toLowerCase() === account.toLowerCase())) return [];
      admin = account;
      what = 'login';
    }
    if (withinBusinessHours(at, settings)) return [];
    const { day, time } = localTime(at, settings.timeZone);
    return [
      {
        idParts: [event.id],
        windowStart: at,
        windowEnd: at,
        count: 1,
        threshold: 1,
        // One incident per admin and local day: a night of work is one thing to look at.
        correlationKey: `after_hours.admin:${admin}:${new Date(at).toISOString().slice(0, 10)}`,
        title: `Admin ${what} by ${admin} after hours (${day} ${time} ${settings.timeZone})`.slice(0, 255),
        summary: `${admin}: ${what} at ${day} ${time} ${settings.timeZone}, outside business hours (${settings.businessDays.join(',')} ${settings.start}-${settings.end}).`,
        evidence: { actor: admin, eventIds: [event.id], facts: { action: what, localTime: `${day} ${time}`, timeZone: settings.timeZone } },
      },
    ];
  },
};
