import { sql, type Kysely } from 'kysely';

/**
 * Nothing reads raw_events by (org, type, time): detection and reporting keep their own state, and
 * verify walks the chain by seq. The index cost every append a third B-tree insert for no reader.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists raw_events_org_type_time_idx`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`create index if not exists raw_events_org_type_time_idx on raw_events (org_id, type, occurred_at)`.execute(db);
}
