import type { Generated } from 'kysely';
import type { IncidentStatus, Severity } from '@vigil/contracts';
import type { MessagingTables } from '@vigil/messaging';

export interface IncidentsTable {
  id: string;
  org_id: string;
  number: string;
  title: string;
  description: string;
  category: string;
  severity: Severity;
  status: IncidentStatus;
  /** Open incidents are unique per correlation key: repeats of one attack fold into one incident. */
  correlation_key: string | null;
  detected_at: Date;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
  origin: unknown;
}

/** Per org and UTC day, the last number handed out (INC-YYYYMMDD-NNNN). */
export interface IncidentCountersTable {
  org_id: string;
  day: string;
  last_value: number;
}

export interface IncidentTimelineTable {
  id: Generated<string>;
  incident_id: string;
  org_id: string;
  at: Date;
  kind: string;
  detail: unknown;
}

/** Every detection folded into an incident. */
export interface IncidentDetectionsTable {
  org_id: string;
  detection_id: string;
  incident_id: string;
  received_at: Generated<Date>;
}

export interface IncidentDatabase extends MessagingTables {
  incidents: IncidentsTable;
  incident_counters: IncidentCountersTable;
  incident_timeline: IncidentTimelineTable;
  incident_detections: IncidentDetectionsTable;
}
