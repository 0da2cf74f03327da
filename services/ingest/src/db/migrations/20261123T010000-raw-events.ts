import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('raw_events')
    .addColumn('seq', 'bigserial', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('producer_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('dataschema', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('envelope', 'jsonb', (c) => c.notNull())
    .addColumn('prev_hash', 'bytea', (c) => c.notNull())
    .addColumn('hash', 'bytea', (c) => c.notNull())
    .addUniqueConstraint('raw_events_org_event_uq', ['org_id', 'event_id'])
    .execute();
  await db.schema.createIndex('raw_events_org_type_time_idx').on('raw_events').columns(['org_id', 'type', 'occurred_at']).execute();
  await db.schema
    .createTable('chain_heads')
    .addColumn('org_id', 'uuid', (c) => c.primaryKey())
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .addColumn('last_hash', 'bytea', (c) => c.notNull())
    .execute();
  // The store is evidence: rows are never changed or removed, not even by the service's own role.
  await sql`
    create function raw_events_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'raw_events is append-only (% refused)', tg_op;
    end $$`.execute(db);
  await sql`create trigger raw_events_append_only before update or delete on raw_events
            for each row execute function raw_events_append_only()`.execute(db);
  await sql`create trigger raw_events_no_truncate before truncate on raw_events
            for each statement execute function raw_events_append_only()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('chain_heads').execute();
  await db.schema.dropTable('raw_events').execute();
  await sql`drop function if exists raw_events_append_only()`.execute(db);
}
