import { mergeMigrations } from '@vigil/db';
import { messagingMigrations } from '@vigil/messaging';
import * as incidentRecords from './20261123T050000-incident-records';

export const migrations = mergeMigrations(messagingMigrations, {
  '20261123T050000-incident-records': incidentRecords,
});
