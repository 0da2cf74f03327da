import { sql, type Kysely } from 'kysely';

/**
 * The read model follows every incident change: `seq` is the incident timeline entry of the snapshot
 * kept (incident.created is entry 1), so events applied out of order never roll a record back; drills
 * are kept but left out of statistics.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table incident_records add column seq integer not null default 1, add column drill boolean not null default false`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table incident_records drop column seq, drop column drill`.execute(db);
}
