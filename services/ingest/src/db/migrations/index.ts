import { mergeMigrations } from '@vigil/db';
import { messagingMigrations } from '@vigil/messaging';
import * as rawEvents from './20261123T010000-raw-events';
import * as ingestSeq from './20261216T000000-raw-events-ingest-seq';
import * as dropTypeTimeIndex from './20261217T000000-raw-events-drop-type-time-index';
import * as appendFunction from './20261218T000000-raw-events-append-function';

export const migrations = mergeMigrations(messagingMigrations, {
  '20261123T010000-raw-events': rawEvents,
  '20261216T000000-raw-events-ingest-seq': ingestSeq,
  '20261217T000000-raw-events-drop-type-time-index': dropTypeTimeIndex,
  '20261218T000000-raw-events-append-function': appendFunction,
});
