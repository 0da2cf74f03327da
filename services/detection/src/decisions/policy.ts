import { isIP } from 'node:net';
import { decisionTargetsIp, type DecisionAction, type DecisionKind, type DecisionPolicy, type DetectionTriggeredV1, type Severity } from '@vigil/contracts';

const HOUR = 3600;
const DAY = 24 * HOUR;
/** Repeat offences look back this far. */
export const REPEAT_WINDOW_SECONDS = 30 * DAY;

const action = (kind: DecisionKind, baseSeconds: number, maxSeconds: number, minSeverity: Severity = 'low'): DecisionAction => ({ kind, baseSeconds, maxSeconds, minSeverity });

/**
 * Defaults, by the detection engine's rule ids; a rule missing here decides nothing. Credential exposure
 * acts only at `critical`: by the engine's severity matrix, a plaintext password or a stealer log.
 */
export const DEFAULT_DECISION_POLICY: DecisionPolicy = {
  rules: {
    'brute_force.ip': [action('block_ip', HOUR, 7 * DAY)],
    'brute_force.account': [action('lock_account', HOUR, 7 * DAY)],
    'account_takeover.success_after_failures': [action('lock_account', HOUR, 7 * DAY), action('force_password_reset', 7 * DAY, 30 * DAY)],
    'credential_exposure.account': [action('force_password_reset', 7 * DAY, 30 * DAY, 'critical')],
  },
};

export function effectivePolicy(overrides: DecisionPolicy | undefined): DecisionPolicy {
  return { rules: { ...DEFAULT_DECISION_POLICY.rules, ...(overrides?.rules ?? {}) } };
}

const severityRank: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** The actions a detection calls for under a policy. */
export function actionsFor(policy: DecisionPolicy, detection: Pick<DetectionTriggeredV1, 'ruleId' | 'severity'>): DecisionAction[] {
  return (policy.rules[detection.ruleId] ?? []).filter((a) => severityRank[detection.severity] >= severityRank[a.minSeverity]);
}

/** First offence: base; each earlier decision in the repeat window doubles it, up to the cap. */
export function durationSeconds(a: Pick<DecisionAction, 'baseSeconds' | 'maxSeconds'>, repeatCount: number): number {
  // 2^31 already exceeds any cap: stop doubling before the number stops being exact.
  return Math.min(a.maxSeconds, a.baseSeconds * 2 ** Math.min(repeatCount, 31));
}

/** Optional detection fields that name the account at risk (added by the engine's rules when they know it). */
type AccountHints = { affectedPerson?: { account?: string }; key?: { kind?: string; value?: string }; evidence: { account?: string; ip?: string; usernames?: string[] } };

/**
 * Who a decision is about: for block_ip the IP (evidence, else the rule's key, else the correlation
 * key `<rule id>:<key>`); otherwise the account (the affected person, the evidence's account or its one
 * username, else a key that is not an IP). Undefined when the detection names none: guessing which of
 * several accounts to lock would be worse than locking none.
 */
export function targetOf(kind: DecisionKind, detection: Pick<DetectionTriggeredV1, 'correlationKey' | 'evidence'>): string | undefined {
  const d = detection as typeof detection & AccountHints;
  const sep = d.correlationKey.indexOf(':');
  const key = d.key?.value ?? (sep >= 0 ? d.correlationKey.slice(sep + 1) : undefined);
  if (decisionTargetsIp(kind)) {
    const ip = d.evidence.ip ?? key;
    return ip !== undefined && isIP(ip) ? ip : undefined;
  }
  const users = d.evidence.usernames ?? [];
  const account = d.affectedPerson?.account ?? d.evidence.account ?? (users.length === 1 ? users[0] : undefined);
  if (account !== undefined) return account;
  return key !== undefined && key.length > 0 && !isIP(key) ? key : undefined;
}
