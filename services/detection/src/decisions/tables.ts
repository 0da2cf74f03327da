import type { Generated, JSONColumnType } from 'kysely';
import type { DecisionPolicy } from '@vigil/contracts';
import type { DetectionDatabase } from '../db/schema';

/** One response decision; `change_seq` orders creations and revocations per org for pollers. */
export interface DecisionsTable {
  id: string;
  org_id: string;
  kind: string;
  target: string;
  target_net: string | null;
  reason: string;
  rule_id: string;
  detection_id: string;
  created_at: Date;
  expires_at: Date;
  duration_seconds: number;
  repeat_count: number;
  revoked_at: Date | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  change_seq: string;
  recorded_at: Generated<Date>;
}

/** An org's overrides of the default decision policy (see policy.ts). */
export interface DecisionPoliciesTable {
  org_id: string;
  policy: JSONColumnType<DecisionPolicy>;
  updated_at: Generated<Date>;
}

/** Monitored domains and email addresses of an org. */
export interface WatchlistTable {
  id: string;
  org_id: string;
  kind: 'domain' | 'email';
  value: string;
  label: string | null;
  created_at: Generated<Date>;
  last_checked_at: Date | null;
}

/** Each (identity, breach) pair reported, so it becomes credential.exposed once. */
export interface BreachExposuresTable {
  org_id: string;
  identity: string;
  breach_name: string;
  event_id: string;
  found_at: Generated<Date>;
}

/** Detection's database as the decision and breach-feed code sees it. */
export interface ResponseDatabase extends DetectionDatabase {
  decisions: DecisionsTable;
  decision_policies: DecisionPoliciesTable;
  watchlist: WatchlistTable;
  breach_exposures: BreachExposuresTable;
}
