import type { DetectionRule } from '../engine/rule';
import { accessDeniedBurst, adminMassChange, bulkExportCount, bulkExportVolume, manyIps } from './activity.rule';
import { bruteForceByAccount, bruteForceByIp, credentialStuffing } from './brute-force.rule';
import { impossibleTravel, newLocation, successAfterFailures } from './login.rule';
import { afterHoursAdmin, credentialExposure, thirdPartySharing } from './privacy.rule';
import { passwordSpraying } from './spraying.rule';

/** Every rule the engine runs, in the order the docs list them. Ids are stable forever. */
export const rules: readonly DetectionRule[] = [
  bruteForceByIp,
  bruteForceByAccount,
  credentialStuffing,
  passwordSpraying,
  successAfterFailures,
  newLocation,
  impossibleTravel,
  manyIps,
  afterHoursAdmin,
  bulkExportCount,
  bulkExportVolume,
  accessDeniedBurst,
  thirdPartySharing,
  credentialExposure,
  adminMassChange,
];
