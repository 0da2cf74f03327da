import { sql, type Kysely } from 'kysely';

/**
 * Which message of the ingest stream stored each event (its stream sequence). A redelivered message
 * finds its own events already stored and must publish them again (it may have died before
 * publishing); an event stored by another message was published by that one. Delivery counts can't
 * tell the two apart: NATS 2.9 may hand a message whose first receiver died the count of a first delivery.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table raw_events add column ingest_seq bigint`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table raw_events drop column ingest_seq`.execute(db);
}
