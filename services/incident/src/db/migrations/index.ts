import { mergeMigrations } from '@vigil/db';
import { messagingMigrations } from '@vigil/messaging';
import * as incidents from './20261123T030000-incidents';
import * as lifecycle from './20261205T000000-incident-lifecycle';
import * as obligations from './20261215T000000-obligations';
import * as playbookTemplates from './20261220T000000-playbook-templates';

export const migrations = mergeMigrations(messagingMigrations, {
  '20261123T030000-incidents': incidents,
  '20261205T000000-incident-lifecycle': lifecycle,
  '20261215T000000-obligations': obligations,
  '20261220T000000-playbook-templates': playbookTemplates,
});
