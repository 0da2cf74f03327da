import type { CredentialExposedV1 } from '@vigil/contracts';
import type { HibpBreach } from './hibp.client';

type DataType = CredentialExposedV1['exposedDataTypes'][number];

/** HIBP DataClasses (its fixed vocabulary, see GET /dataclasses) -> credential.exposed data types. */
const DATA_CLASSES: Record<string, DataType> = {
  'email addresses': 'email',
  usernames: 'username',
  passwords: 'password',
  'password hints': 'password',
  'phone numbers': 'phone',
  'physical addresses': 'address',
  'credit cards': 'payment_card',
  'partial credit card data': 'payment_card',
  'credit card cvv': 'payment_card',
  'bank account numbers': 'bank_account',
  'government issued ids': 'national_id',
  'social security numbers': 'national_id',
  'passport numbers': 'national_id',
  'national identity numbers': 'national_id',
  'dates of birth': 'date_of_birth',
  'ip addresses': 'ip_address',
  'auth tokens': 'session_token',
  'security questions and answers': 'security_question',
};

/**
 * The credential.exposed data for one watched identity found in one breach. HIBP's "Passwords" class
 * does not say how they were stored: it is taken as a weak hash (the common case in its corpus, and the
 * cautious reading short of plaintext); stealer logs hold what the victim typed, so plaintext.
 */
export function credentialExposedData(identity: string, breach: HibpBreach): CredentialExposedV1 {
  const classes = (breach.DataClasses ?? []).map((c) => c.toLowerCase());
  const stealer = breach.IsStealerLog === true || breach.IsMalware === true;
  const types = new Set<DataType>(['email']);
  for (const c of classes) types.add(DATA_CLASSES[c] ?? 'other');
  const hasPassword = classes.includes('passwords') || stealer;
  if (hasPassword) types.add('password');
  const date = breach.BreachDate && /^\d{4}-\d{2}-\d{2}$/.test(breach.BreachDate) ? breach.BreachDate : undefined;
  const title = breach.Title ?? breach.Name;
  return {
    account: identity,
    breachSource: (breach.Domain ? `${title} (${breach.Domain}) via Have I Been Pwned` : `${title} via Have I Been Pwned`).slice(0, 256),
    sourceType: stealer ? 'stealer_malware' : 'service_breach',
    exposedDataTypes: [...types].slice(0, 16),
    passwordForm: !hasPassword ? 'none' : stealer ? 'plaintext' : 'weak_hash',
    ...(date ? { breachDate: date } : {}),
  };
}
