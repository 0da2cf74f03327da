/**
 * Subject layout: `<event type>.<orgid>`, e.g. `login.failed.7c0e…`. The event type comes first so a
 * consumer filters by type (`login.failed.*`); the org token lets ops route or limit one tenant.
 */
export function eventSubject(type: string, orgid: string): string {
  return `${type}.${orgid}`;
}

/** Filter matching one event type for every org. */
export function eventTypeFilter(type: string): string {
  return `${type}.*`;
}

/** Raw producer events accepted by the gateway (or published by a producer straight to NATS), before ingest. */
export const INGEST_SUBMITTED = 'ingest.submitted';
export function ingestSubmittedSubject(orgid: string): string {
  return `${INGEST_SUBMITTED}.${orgid}`;
}

/** Where a consumer parks a message it gave up on; the reason travels in headers. */
export function deadLetterSubject(durable: string): string {
  return `deadletter.${durable}`;
}

/** Core NATS request/reply subjects for the gateway's synchronous queries (queue groups load-balance). */
export const rpc = {
  incidentGet: 'rpc.incident.get.v1',
  reportBreachSummary: 'rpc.reporting.breach-summary.v1',
} as const;

export const headers = {
  deadLetterReason: 'Vigil-Dead-Letter-Reason',
  deadLetterStream: 'Vigil-Dead-Letter-Stream',
  deadLetterSubject: 'Vigil-Dead-Letter-Subject',
  deadLetterDeliveries: 'Vigil-Dead-Letter-Deliveries',
  /** When the original message entered its stream (ISO 8601). */
  deadLetterReceivedAt: 'Vigil-Dead-Letter-Received-At',
  /** Set when the parked payload is only the start of the original (its full length in bytes). */
  deadLetterTruncatedFrom: 'Vigil-Dead-Letter-Truncated-From',
  /** On a dead letter published again: which dead letter it replays (ingest republishes what it had stored). */
  replayOf: 'Vigil-Replay-Of',
  /**
   * On a batch the gateway hands to ingest: the core NATS subject ingest answers on once the batch is
   * stored and published (see ingestConfirmationV1), so the HTTP answer can name real duplicates.
   */
  confirmTo: 'Vigil-Confirm-To',
  /** On a batch the gateway hands to ingest: its seal (see intakeMac); ingest then skips re-validation. */
  intakeMac: 'Vigil-Intake-Mac',
} as const;
