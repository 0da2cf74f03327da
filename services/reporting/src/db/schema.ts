import type { Generated } from 'kysely';
import type { IncidentStatus, Severity } from '@vigil/contracts';
import type { MessagingTables } from '@vigil/messaging';

/** Reporting's own read model of incidents, built from incident events. */
export interface IncidentRecordsTable {
  incident_id: string;
  org_id: string;
  number: string;
  title: string;
  category: string;
  severity: Severity;
  status: IncidentStatus;
  detected_at: Date;
  opened_at: Date;
  recorded_at: Generated<Date>;
  /** Incident timeline entry of the snapshot kept: a change only replaces an older one. */
  seq: Generated<number>;
  drill: Generated<boolean>;
}

export interface ReportingDatabase extends MessagingTables {
  incident_records: IncidentRecordsTable;
}
