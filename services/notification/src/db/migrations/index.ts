import { mergeMigrations } from '@vigil/db';
import { messagingMigrations } from '@vigil/messaging';
import * as notifications from './20261123T060000-notifications';
import * as drillRecipients from './20261220T000000-drill-recipients';

export const migrations = mergeMigrations(messagingMigrations, {
  '20261123T060000-notifications': notifications,
  '20261220T000000-drill-recipients': drillRecipients,
});
