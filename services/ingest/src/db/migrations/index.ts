import { mergeMigrations } from '@vigil/db';
import { messagingMigrations } from '@vigil/messaging';
import * as rawEvents from './20261123T010000-raw-events';

export const migrations = mergeMigrations(messagingMigrations, {
  '20261123T010000-raw-events': rawEvents,
});
