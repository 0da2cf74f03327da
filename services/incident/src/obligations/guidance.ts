import type { IncidentRecommendationV1, ObligationViewV1 } from '@vigil/contracts';

/** The incident facts the guidance reads (the lifecycle's words, not the regimes'). */
export interface GuidanceFacts {
  drill: boolean;
  dataCategories: readonly string[];
  affected: number;
  encryption: 'none' | 'encrypted' | 'encrypted_key_compromised';
  activeThreat: boolean;
  exfiltrated: boolean;
  /** The detection rule that opened it, if any (e.g. credential_exposure.account). */
  ruleId: string | null;
  /** credential.exposed source type, when the detection carried it (stealer_malware, phishing, …). */
  sourceType: string | null;
}

const SPECIAL = ['health', 'biometric', 'genetic', 'racial_ethnic_origin', 'political_opinion', 'religious_belief', 'trade_union', 'sex_life', 'criminal_record', 'children'];

/**
 * Record only, notify the authority, or notify the people: the widest notice any applicable obligation
 * requires (the obligations engine decides per regime; this names the upshot), with the reasons and
 * the remediation steps for this incident's data, state and source.
 */
export function recommend(facts: GuidanceFacts, obligations: readonly ObligationViewV1[]): IncidentRecommendationV1 {
  const applicable = obligations.filter((o) => o.applies);
  const people = applicable.filter((o) => o.audience === 'individuals');
  const authority = applicable.filter((o) => o.audience === 'authority');
  const rationale: string[] = [];
  let action: IncidentRecommendationV1['action'] = 'record_only';
  if (facts.drill) {
    rationale.push('a drill: no real notice is owed; run the notices against test recipients only');
  } else if (people.length) {
    action = 'notify_people';
    rationale.push(`the people must be told under ${names(people)}`);
    if (authority.length) rationale.push(`the authority must be told under ${names(authority)}`);
  } else if (authority.length) {
    action = 'notify_authority';
    rationale.push(`the authority must be told under ${names(authority)}; no regime requires telling the people (yet)`);
  } else {
    rationale.push('no regime in force requires a notice for these facts: record the breach and the reasoning (GDPR Art. 33(5) asks for that record too)');
  }
  if (facts.dataCategories.includes('payment_card') || facts.dataCategories.includes('bank_account')) rationale.push('payment data exposed');
  const special = facts.dataCategories.filter((c) => SPECIAL.includes(c));
  if (special.length) rationale.push(`special-category data exposed: ${special.join(', ')}`);
  if (facts.dataCategories.includes('credentials')) rationale.push('credentials exposed');
  if (facts.affected > 1000) rationale.push(`${facts.affected} people affected`);
  if (facts.encryption === 'encrypted') rationale.push('the data was encrypted and the key is not known to be compromised: a mitigating factor');
  if (facts.encryption === 'encrypted_key_compromised') rationale.push('the data was encrypted but the key was compromised too: treat as unencrypted');
  if (facts.exfiltrated) rationale.push('the data left the organisation');
  if (facts.activeThreat) rationale.push('the attacker may still have access');
  if (facts.sourceType === 'stealer_malware') rationale.push('stealer malware: the person\'s device is compromised, not only the password');

  return { action, rationale, remediation: remediation(facts, people.length > 0 || facts.drill) };
}

function names(obligations: readonly ObligationViewV1[]): string {
  return [...new Set(obligations.map((o) => `${o.regimeName} (${o.citation.reference})`))].join('; ');
}

function remediation(f: GuidanceFacts, notifyPeople: boolean): string[] {
  const steps: string[] = ['Preserve evidence before changing anything: logs, access records, affected hosts\' images.'];
  if (f.activeThreat) steps.push('Contain: revoke the attacker\'s access — disable compromised accounts and API keys, end their sessions, block the source addresses.');
  if (f.dataCategories.includes('credentials') || f.ruleId?.startsWith('credential_exposure') || f.ruleId?.startsWith('account_takeover')) {
    steps.push('Force a password reset for the affected accounts, invalidate their sessions and tokens, and require MFA.');
    steps.push('Check the exposed passwords against other accounts of the same people (reuse) and block known-breached passwords.');
  }
  if (f.sourceType === 'stealer_malware') steps.push('Treat the person\'s device as compromised: have it cleaned or reimaged before new credentials are entered on it; revoke every session started from it.');
  if (f.dataCategories.includes('payment_card')) steps.push('Tell the card acquirer / payment processor (PCI DSS incident response) and watch for fraud; consider reissuing the cards.');
  if (f.dataCategories.includes('bank_account')) steps.push('Alert the banks concerned and advise the people to watch their statements.');
  if (f.dataCategories.includes('government_id')) steps.push('Offer identity-theft protection or credit monitoring to the people affected.');
  if (f.dataCategories.some((c) => SPECIAL.includes(c))) steps.push('Restrict access to the special-category records to those who need it and review who accessed them.');
  if (f.encryption === 'none') steps.push('Encrypt the exposed data store at rest and in transit.');
  if (f.encryption === 'encrypted_key_compromised') steps.push('Rotate the compromised keys and re-encrypt the data under new ones.');
  if (f.exfiltrated) steps.push('Search paste sites and breach forums for the data and request takedowns.');
  if (notifyPeople) steps.push('Notify the people affected: what happened, what data, what you did, what they should do, whom to contact.');
  steps.push('Monitor for further activity against the same accounts, addresses and systems.');
  steps.push('Hold a post-mortem; record lessons learned and update the response plan.');
  return steps;
}
