import type { Generated } from 'kysely';
import type { MessagingTables } from '@vigil/messaging';

/** Append-only, hash-chained store of every accepted producer event. */
export interface RawEventsTable {
  seq: Generated<string>;
  org_id: string;
  /** Vigil-wide id, derived from (org, source, producer id): the same event always gets the same id. */
  event_id: string;
  producer_id: string;
  source: string;
  type: string;
  dataschema: string;
  occurred_at: Date;
  received_at: Generated<Date>;
  envelope: unknown;
  prev_hash: Buffer<ArrayBufferLike>;
  hash: Buffer<ArrayBufferLike>;
  /** Stream sequence of the ingest message that stored it (delivery metadata, not chained); null before it was recorded. */
  ingest_seq: string | null;
}

/** Head of each org's hash chain; its row lock serialises appends per org. */
export interface ChainHeadsTable {
  org_id: string;
  last_seq: string;
  last_hash: Buffer<ArrayBufferLike>;
}

export interface IngestDatabase extends MessagingTables {
  raw_events: RawEventsTable;
  chain_heads: ChainHeadsTable;
}
