import type { Generated } from 'kysely';

/** Tables every service that consumes or publishes events has in its own schema. */
export interface InboxTable {
  consumer: string;
  event_id: string;
  processed_at: Generated<Date>;
}

export interface OutboxTable {
  seq: Generated<string>;
  event_id: string;
  subject: string;
  payload: unknown;
  created_at: Generated<Date>;
  /** Correlation id of the request or message that caused the event; published as a header. */
  correlation_id: string | null;
}

export interface MessagingTables {
  inbox: InboxTable;
  outbox: OutboxTable;
}
