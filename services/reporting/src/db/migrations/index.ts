import { mergeMigrations } from '@vigil/db';
import { messagingMigrations } from '@vigil/messaging';
import * as incidentRecords from './20261123T050000-incident-records';
import * as incidentRecordChanges from './20261205T000000-incident-record-changes';

export const migrations = mergeMigrations(messagingMigrations, {
  '20261123T050000-incident-records': incidentRecords,
  '20261205T000000-incident-record-changes': incidentRecordChanges,
});
