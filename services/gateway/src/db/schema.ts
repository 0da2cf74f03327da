import type { Generated } from 'kysely';
import type { MessagingTables } from '@vigil/messaging';

export interface OrgsTable {
  id: string;
  name: string;
  created_at: Generated<Date>;
}

/** API keys are stored as SHA-256 of the full key (256 bits of entropy: no slow hash needed); the prefix is for display. */
export interface ApiKeysTable {
  id: string;
  org_id: string;
  name: string;
  prefix: string;
  key_hash: Buffer<ArrayBufferLike>;
  scopes: string[];
  /** Allow-list of event types the key may submit; null: every producer type. */
  event_types: string[] | null;
  rate_limit_per_minute: Generated<number>;
  created_at: Generated<Date>;
  last_used_at: Date | null;
  rotated_at: Date | null;
  revoked_at: Date | null;
}

/** Who read or changed what: every authenticated admin call. */
export interface AuditLogTable {
  id: Generated<string>;
  org_id: string;
  api_key_id: string;
  method: string;
  route: string;
  path: string;
  status: number;
  ip: string | null;
  at: Generated<Date>;
}

/** One dead-lettered message (keyed by the dead letter's own Nats-Msg-Id), with its replay history. */
export interface DeadLettersTable {
  id: string;
  seq: Generated<string>;
  message_id: string;
  /** Sequence of the dead letter in VIGIL_DEAD_LETTERS: the same one again is a redelivery, not a new failure. */
  dead_letter_seq: string;
  org_id: string | null;
  consumer: string;
  original_subject: string | null;
  original_stream: string | null;
  payload: Buffer<ArrayBufferLike>;
  payload_truncated_from: number | null;
  reason: string;
  deliveries: number | null;
  original_received_at: Date | null;
  first_failed_at: Generated<Date>;
  last_failed_at: Generated<Date>;
  replayed_at: Date | null;
  replay_count: Generated<number>;
}

export interface GatewayDatabase extends MessagingTables {
  orgs: OrgsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  dead_letters: DeadLettersTable;
}
