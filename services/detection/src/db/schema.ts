import type { Generated } from 'kysely';
import type { MessagingTables } from '@vigil/messaging';

/** Failed logins kept for the sliding windows (pruned after the longest window). */
export interface FailedLoginsTable {
  org_id: string;
  event_id: string;
  ip: string;
  username: string | null;
  occurred_at: Date;
  /** Arrived more than half a window behind its IP's newest failure (see docs/architecture.md). */
  late: Generated<boolean>;
}

/**
 * One row per detected attack of an (org, rule, key), spanning its whole cluster of events: every
 * event of the cluster lies in [started_at, last_seen_at], and rows of one key are more than a window apart.
 */
export interface AttacksTable {
  detection_id: string;
  org_id: string;
  rule_id: string;
  key: string;
  started_at: Date;
  last_seen_at: Date;
  event_count: number;
  detected_at: Generated<Date>;
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
  attacks: AttacksTable;
  rule_overrides: RuleOverridesTable;
}
