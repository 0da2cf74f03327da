import { mergeMigrations } from '@vigil/db';
import { messagingMigrations } from '@vigil/messaging';
import * as incidents from './20261123T030000-incidents';

export const migrations = mergeMigrations(messagingMigrations, {
  '20261123T030000-incidents': incidents,
});
