import { mergeMigrations } from '@vigil/db';
import { messagingMigrations } from '@vigil/messaging';
import * as orgsAndApiKeys from './20261123T000100-orgs-and-api-keys';

export const migrations = mergeMigrations(messagingMigrations, {
  '20261123T000100-orgs-and-api-keys': orgsAndApiKeys,
});
