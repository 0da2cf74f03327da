/**
 * JetStream streams, one per publishing owner. Every service declares the streams it touches at start-up
 * (idempotent create-or-update), so start order never matters. Only NATS 2.9 features are used.
 */
export interface StreamDefinition {
  name: string;
  subjects: string[];
  /** Retention in days; events are replayable for that long. */
  maxAgeDays: number;
  /** JetStream publish-dedup window (Nats-Msg-Id), in minutes. */
  duplicateWindowMinutes: number;
}

export const streams = {
  /** Raw producer events between gateway and ingest. */
  ingest: { name: 'VIGIL_INGEST', subjects: ['ingest.submitted.*'], maxAgeDays: 7, duplicateWindowMinutes: 10 },
  /** Normalised producer events, published by ingest per type (one family per producer contract prefix). */
  security: {
    name: 'VIGIL_SECURITY',
    subjects: ['login.>', 'admin.>', 'data.>', 'access.>', 'thirdparty.>', 'credential.>', 'account.>'],
    maxAgeDays: 30,
    duplicateWindowMinutes: 10,
  },
  detections: { name: 'VIGIL_DETECTIONS', subjects: ['detection.>'], maxAgeDays: 30, duplicateWindowMinutes: 10 },
  incidents: { name: 'VIGIL_INCIDENTS', subjects: ['incident.>'], maxAgeDays: 365, duplicateWindowMinutes: 10 },
  orgs: { name: 'VIGIL_ORGS', subjects: ['org.>'], maxAgeDays: 3650, duplicateWindowMinutes: 10 },
  /**
   * Response decisions (detection). A stream of its own rather than more subjects on an existing one, so
   * services that predate it never see or undo it.
   */
  decisions: { name: 'VIGIL_DECISIONS', subjects: ['decision.>'], maxAgeDays: 30, duplicateWindowMinutes: 10 },
  deadLetters: { name: 'VIGIL_DEAD_LETTERS', subjects: ['deadletter.>'], maxAgeDays: 30, duplicateWindowMinutes: 2 },
} as const satisfies Record<string, StreamDefinition>;

export const allStreams: readonly StreamDefinition[] = Object.values(streams);
