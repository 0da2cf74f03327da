import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { MessagingTables } from '@vigil/messaging';

/** Facts a rule needs beyond time, IP and account (record counts, action names, coordinates). */
export type EventAttrs = Record<string, string | number | boolean | null>;

/**
 * Every event a windowed rule reads, once per (org, event id): the window state the engine rebuilds a
 * key from after a restart or an eviction. Pruned after the longest window an org can configure.
 */
export interface ObservedEventsTable {
  org_id: string;
  event_id: string;
  type: string;
  occurred_at: Date;
  ip: string | null;
  /** Login name, export/denial actor or admin id: the "who" a rule keys on. */
  account: string | null;
  attrs: ColumnType<EventAttrs | null, string | null, string | null>;
  /** Arrived more than the allowed lateness behind its key's newest event (see docs/detection-rules.md). */
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

/** An org's settings of one rule: a JSON document the rule's zod schema validates (defaults fill the rest). */
export interface RuleSettingsTable {
  org_id: string;
  rule_id: string;
  settings: ColumnType<Record<string, unknown>, string, string>;
  updated_at: Generated<Date>;
  updated_by: string;
}

export interface DetectionDatabase extends MessagingTables {
  observed_events: ObservedEventsTable;
  attacks: AttacksTable;
  rule_settings: RuleSettingsTable;
}

export type ObservedEventRow = Selectable<ObservedEventsTable>;
export type NewObservedEvent = Insertable<ObservedEventsTable>;
export type AttackRow = Selectable<AttacksTable>;
export type RuleSettingsRow = Selectable<RuleSettingsTable>;
