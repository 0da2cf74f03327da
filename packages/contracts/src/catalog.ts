import type { EventDefinition } from './registry';
import { loginFailedV1, loginSucceededV1 } from './events/login';
import { detectionTriggeredV1 } from './events/detection';
import { incidentChangeEvents, incidentCreatedV1 } from './events/incident';
import { incidentDeadlineApproachingV1, incidentDeadlineMissedV1 } from './events/obligations';
import { orgCreatedV1 } from './events/org';
import { adminActionV1 } from './events/admin';
import { dataExportV1 } from './events/data';
import { accessDeniedV1 } from './events/access';
import { thirdPartySharedV1 } from './events/thirdparty';
import { credentialExposedV1 } from './events/credential';
import { decisionCreatedV1, decisionRevokedV1 } from './events/decision';
import { accountMfaDisabledV1, accountMfaEnabledV1, accountPasswordChangedV1 } from './events/account';

/** Event types a producer may submit through the gateway (or to `ingest.submitted.<orgid>`). */
export const producerEventDefinitions: readonly EventDefinition[] = [
  loginFailedV1,
  loginSucceededV1,
  adminActionV1,
  dataExportV1,
  accessDeniedV1,
  thirdPartySharedV1,
  credentialExposedV1,
  accountPasswordChangedV1,
  accountMfaEnabledV1,
  accountMfaDisabledV1,
];

/** Every contract Vigil knows, keyed by dataschema: the producer events and Vigil's own. */
export const eventCatalog: readonly EventDefinition[] = [
  ...producerEventDefinitions,
  detectionTriggeredV1,
  incidentCreatedV1,
  ...incidentChangeEvents,
  incidentDeadlineApproachingV1,
  incidentDeadlineMissedV1,
  orgCreatedV1,
  decisionCreatedV1,
  decisionRevokedV1,
];

const byDataschema = new Map(eventCatalog.map((d) => [d.dataschema, d]));
const latestByType = new Map<string, EventDefinition>();
for (const d of eventCatalog) {
  const seen = latestByType.get(d.type);
  if (!seen || seen.version < d.version) latestByType.set(d.type, d);
}

/** Resolves the contract an event claims: its `dataschema` if given, else the latest version of its type. */
export function resolveDefinition(type: string, dataschema?: string): EventDefinition | undefined {
  if (dataschema !== undefined) {
    const d = byDataschema.get(dataschema);
    return d && d.type === type ? d : undefined;
  }
  return latestByType.get(type);
}

export function isProducerType(type: string): boolean {
  return producerEventDefinitions.some((d) => d.type === type);
}
