import type { Severity } from '@vigil/contracts';

/**
 * The seed's rule: at least `threshold` failed logins from one IP inside a sliding window (by event
 * time). Failures that keep coming within a window of the last one belong to the same attack and
 * raise nothing new; a quiet window ends the attack.
 */
export const bruteForceByIp = {
  id: 'brute_force.ip',
  version: 1,
  severity: 'medium' as Severity,
  defaults: { threshold: 5, windowSeconds: 15 * 60 },
};

export interface RuleSettings {
  enabled: boolean;
  threshold: number;
  windowMs: number;
}

export interface AttackState {
  attackStartedAt: Date;
  lastSeenAt: Date;
}

export type Verdict = 'trigger' | 'continue-attack' | 'below-threshold';

export function evaluateBruteForce(args: { at: Date; countInWindow: number; state?: AttackState; settings: RuleSettings }): Verdict {
  const { at, countInWindow, state, settings } = args;
  if (state && Math.abs(at.getTime() - state.lastSeenAt.getTime()) <= settings.windowMs) return 'continue-attack';
  if (state && at.getTime() >= state.attackStartedAt.getTime() && at.getTime() <= state.lastSeenAt.getTime()) return 'continue-attack';
  return countInWindow >= settings.threshold ? 'trigger' : 'below-threshold';
}
