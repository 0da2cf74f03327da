import type { ColumnType, Generated } from 'kysely';
import type { IncidentStatus, PlaybookTemplateBodyV1, Severity } from '@vigil/contracts';
import type { MessagingTables } from '@vigil/messaging';

/** jsonb: read as the value, written as JSON text. */
type Json<T> = ColumnType<T, string, string>;
/** bigint counts come back from pg as strings. */
type Count = ColumnType<string, number | string, number | string>;

export interface ActorJson {
  type: 'api-key' | 'service';
  id: string;
}

export interface IncidentsTable {
  id: string;
  org_id: string;
  number: string;
  title: string;
  description: string;
  category: string;
  /** Effective severity: the override's if set, else severity_computed. */
  severity: Severity;
  status: IncidentStatus;
  /** Detections with this key (one attack) merge into the newest open incident of the key. */
  correlation_key: string | null;
  detected_at: Date;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  origin: Json<Record<string, unknown>>;
  discovered_at: Date;
  breach_at: Date | null;
  contained_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  reopened_at: Date | null;
  data_categories: Json<string[]>;
  affected_count: Count | null;
  affected_by_region: Json<{ country: string; region?: string; count: number }[]>;
  affected_people_rows: Count;
  encryption: 'none' | 'encrypted' | 'encrypted_key_compromised';
  active_threat: boolean;
  jurisdictions: Json<string[]>;
  risk_assessment: Json<Record<string, unknown> | null>;
  mitigation_steps: string;
  user_actions_required: string;
  support_contact: string;
  reported_to_authorities: boolean;
  authority_reference: string | null;
  users_notified: boolean;
  notification_sent_at: Date | null;
  notification_method: 'email' | 'in_app' | 'both' | 'sms' | 'post' | null;
  lessons_learned: string | null;
  post_mortem: string | null;
  created_by: Json<ActorJson>;
  assignee: string | null;
  drill: boolean;
  severity_baseline: Severity | null;
  severity_computed: Severity;
  severity_reasons: Json<string[]>;
  severity_override: Json<{ severity: Severity; reason: string; by: ActorJson; at: string } | null>;
  origin_kind: 'manual' | 'detection';
  trigger_count: number;
  last_seen_at: Date | null;
  evidence_event_ids: Json<string[]>;
  /** Entries in the timeline and the hash of the last: the chain's head. */
  timeline_seq: number;
  timeline_head: Buffer | null;
}

/** Per org and UTC day, the last number handed out (INC-YYYYMMDD-NNNN). */
export interface IncidentCountersTable {
  org_id: string;
  day: string;
  last_value: number;
}

/** Append-only (trigger-enforced), hash-chained per incident. */
export interface IncidentTimelineTable {
  id: Generated<string>;
  incident_id: string;
  org_id: string;
  seq: number;
  at: Date;
  kind: string;
  actor: Json<ActorJson>;
  detail: Json<unknown>;
  prev_hash: Buffer;
  hash: Buffer;
}

/** Every detection folded into an incident. */
export interface IncidentDetectionsTable {
  org_id: string;
  detection_id: string;
  incident_id: string;
  received_at: Generated<Date>;
}

export interface IncidentAffectedPeopleTable {
  id: Generated<string>;
  incident_id: string;
  org_id: string;
  subject_id: string;
  contact: string | null;
  country: string | null;
  region: string | null;
  data_categories: string[];
  added_at: Generated<Date>;
}

export interface IncidentTasksTable {
  id: string;
  incident_id: string;
  org_id: string;
  position: number;
  phase: string;
  title: string;
  due_at: Date | null;
  /** The task's clock: due_at = discovery + these hours (null = no deadline). */
  due_after_hours: number | null;
  assignee: string | null;
  completed_at: Date | null;
  completed_by: Json<ActorJson | null>;
}

/** Which entity-scoped regimes bind the organisation (HIPAA covered entity, NIS2 entity, …). */
export interface OrgComplianceProfilesTable {
  org_id: string;
  flags: Json<Record<string, boolean>>;
  updated_at: Generated<Date>;
}

/** An obligation met: the report made under one rule of a regime, with the recipient's reference. */
export interface ObligationReportsTable {
  incident_id: string;
  org_id: string;
  rule_id: string;
  reported_at: Date;
  reference: string;
  reasons_for_delay: string | null;
  recorded_at: Generated<Date>;
  recorded_by: Json<ActorJson>;
}

/** Deadline warnings and misses already queued, by event id: each leaves once. */
export interface DeadlineNoticesTable {
  event_id: string;
  incident_id: string;
  org_id: string;
  kind: string;
  rule_id: string;
  queued_at: Generated<Date>;
}

/** An org's own playbook: the tasks its new incidents start with instead of the seed default. */
export interface PlaybookTemplatesTable {
  org_id: string;
  tasks: Json<PlaybookTemplateBodyV1['tasks']>;
  updated_at: Date;
  updated_by: Json<ActorJson>;
}

export interface IncidentDatabase extends MessagingTables {
  playbook_templates: PlaybookTemplatesTable;
  org_compliance_profiles: OrgComplianceProfilesTable;
  obligation_reports: ObligationReportsTable;
  deadline_notices: DeadlineNoticesTable;
  incidents: IncidentsTable;
  incident_counters: IncidentCountersTable;
  incident_timeline: IncidentTimelineTable;
  incident_detections: IncidentDetectionsTable;
  incident_affected_people: IncidentAffectedPeopleTable;
  incident_tasks: IncidentTasksTable;
}
