import { mergeMigrations } from '@vigil/db';
import { messagingMigrations } from '@vigil/messaging';
import * as rawEvents from './20261123T010000-raw-events';
import * as ingestSeq from './20261216T000000-raw-events-ingest-seq';

export const migrations = mergeMigrations(messagingMigrations, {
  '20261123T010000-raw-events': rawEvents,
  '20261216T000000-raw-events-ingest-seq': ingestSeq,
});
