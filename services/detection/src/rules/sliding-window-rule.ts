import type { DetectionTriggeredV1, LoginFailedV1, Severity } from '@vigil/contracts';
import type { KeyColumn } from './detection.repository';
import type { WindowCount, WindowSettings } from './sliding-window';

/** A failed login as the rules see it. */
export interface FailedLogin {
  eventId: string;
  at: number;
  username: string | null;
}

/**
 * A rule of the form "at least `threshold` failed logins with the same key within `window`": the
 * windowed-cluster machinery (sliding-window.ts) runs it; the rule only says what its key is and how
 * its detection reads. Brute force by account and credential stuffing fit the same shape.
 */
export interface SlidingWindowRule {
  id: string;
  version: number;
  severity: Severity;
  defaults: { threshold: number; windowSeconds: number };
  /** The failed_logins column holding the key (indexed with org_id and occurred_at). */
  keyColumn: KeyColumn;
  /** The key of a failed login, or undefined when the rule does not apply to it. */
  keyOf(login: LoginFailedV1): string | undefined;
  /** The human and machine parts of the detection raised for one attack's qualifying window. */
  describe(args: { key: string; window: WindowCount; events: readonly FailedLogin[]; settings: WindowSettings }): Pick<
    DetectionTriggeredV1,
    'title' | 'summary' | 'correlationKey' | 'evidence'
  >;
}

export interface RuleSettings extends WindowSettings {
  enabled: boolean;
}

/** Per-org override (rule_overrides) over the rule's defaults. */
export function ruleSettings(rule: SlidingWindowRule, o?: { enabled: boolean; threshold: number | null; window_seconds: number | null }): RuleSettings {
  return {
    enabled: o?.enabled ?? true,
    threshold: o?.threshold ?? rule.defaults.threshold,
    windowMs: (o?.window_seconds ?? rule.defaults.windowSeconds) * 1000,
  };
}
