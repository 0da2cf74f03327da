import type { Generated } from 'kysely';
import type { MessagingTables } from '@vigil/messaging';

/** Failed logins kept for the sliding windows (pruned after the longest window). */
export interface FailedLoginsTable {
  org_id: string;
  event_id: string;
  ip: string;
  username: string | null;
  occurred_at: Date;
}

/** Per (org, rule, key) attack state: suppresses repeats so one attack raises one detection. */
export interface RuleStateTable {
  org_id: string;
  rule_id: string;
  key: string;
  attack_started_at: Date;
  last_seen_at: Date;
  detection_id: string;
  event_count: number;
}

/** Per-org overrides of a rule's defaults. */
export interface RuleOverridesTable {
  org_id: string;
  rule_id: string;
  enabled: boolean;
  threshold: number | null;
  window_seconds: number | null;
  updated_at: Generated<Date>;
}

export interface DetectionDatabase extends MessagingTables {
  failed_logins: FailedLoginsTable;
  rule_state: RuleStateTable;
  rule_overrides: RuleOverridesTable;
}
