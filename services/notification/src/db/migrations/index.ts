import { mergeMigrations } from '@vigil/db';
import { messagingMigrations } from '@vigil/messaging';
import * as notifications from './20261123T060000-notifications';

export const migrations = mergeMigrations(messagingMigrations, {
  '20261123T060000-notifications': notifications,
});
