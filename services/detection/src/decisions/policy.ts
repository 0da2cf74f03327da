import { isIP } from 'node:net';
import { decisionTargetsIp, type DecisionAction, type DecisionKind, type DecisionPolicy, type DetectionTriggeredV1, type Severity } from '@vigil/contracts';

const HOUR = 3600;
const DAY = 24 * HOUR;
/** Repeat offences look back this far. */
export const REPEAT_WINDOW_SECONDS = 30 * DAY;

const action = (kind: DecisionKind, baseSeconds: number, maxSeconds: number, minSeverity: Severity = 'low'): DecisionAction => ({ kind, baseSeconds, maxSeconds, minSeverity });

/**
 * Defaults. Rule ids are the detection engine's; a rule missing here decides nothing. Credential
 * exposure only acts from `high`: plaintext passwords and stealer logs, not a leaked email address.
 */
export const DEFAULT_DECISION_POLICY: DecisionPolicy = {
  rules: {
    'brute_force.ip': [action('block_ip', HOUR, 7 * DAY)],
    'brute_force.account': [action('lock_account', HOUR, 7 * DAY)],
    success_after_failures: [action('lock_account', HOUR, 7 * DAY), action('force_password_reset', 7 * DAY, 30 * DAY)],
    'credential.exposed': [action('force_password_reset', 7 * DAY, 30 * DAY, 'high')],
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

/**
 * Who a decision is about: the IP for block_ip, the account otherwise; taken from the evidence, else
 * from the correlation key (`<rule id>:<key>`). Undefined when the detection names none (e.g. an
 * account rule without a single account).
 */
export function targetOf(kind: DecisionKind, detection: Pick<DetectionTriggeredV1, 'correlationKey' | 'evidence'>): string | undefined {
  const sep = detection.correlationKey.indexOf(':');
  const key = sep >= 0 ? detection.correlationKey.slice(sep + 1) : undefined;
  if (decisionTargetsIp(kind)) {
    const ip = detection.evidence.ip ?? key;
    return ip !== undefined && isIP(ip) ? ip : undefined;
  }
  const users = detection.evidence.usernames ?? [];
  if (users.length === 1) return users[0];
  return key !== undefined && key.length > 0 && !isIP(key) ? key : undefined;
}
