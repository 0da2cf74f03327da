import { mergeMigrations } from '@vigil/db';
import { messagingMigrations } from '@vigil/messaging';
import * as bruteForceState from './20261123T020000-brute-force-state';
import * as attacks from './20261201T090000-attacks';
import * as detectionEngine from './20261205T090000-detection-engine';
import * as decisionsAndWatchlist from './20261210T090000-decisions-and-watchlist';
import * as orgFailuresIndex from './20261220T090000-org-failures-index';

export const migrations = mergeMigrations(messagingMigrations, {
  '20261123T020000-brute-force-state': bruteForceState,
  '20261201T090000-attacks': attacks,
  '20261205T090000-detection-engine': detectionEngine,
  '20261210T090000-decisions-and-watchlist': decisionsAndWatchlist,
  '20261220T090000-org-failures-index': orgFailuresIndex,
});
