import { mergeMigrations } from '@vigil/db';
import { messagingMigrations } from '@vigil/messaging';
import * as orgsAndApiKeys from './20261123T000100-orgs-and-api-keys';
import * as deadLetters from './20261201T000100-dead-letters';
import * as apiKeyManagement from './20261203T000100-api-key-management';

export const migrations = mergeMigrations(messagingMigrations, {
  '20261123T000100-orgs-and-api-keys': orgsAndApiKeys,
  '20261201T000100-dead-letters': deadLetters,
  '20261203T000100-api-key-management': apiKeyManagement,
});
