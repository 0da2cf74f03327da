import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Inbox and outbox DDL, shipped with this package and merged into each service's migrations.
 * Frozen in time: a change is a new migration here, never an edit.
 */
export const messagingMigrations: Record<string, Migration> = {
  '20261123T000000-messaging-inbox-outbox': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('inbox')
        .addColumn('consumer', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('processed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('inbox_pk', ['consumer', 'event_id'])
        .execute();
      await db.schema
        .createTable('outbox')
        .addColumn('seq', 'bigserial', (c) => c.primaryKey())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('payload', 'jsonb', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      // Wakes the relay on commit (NOTIFY is transactional), so events leave without polling delay.
      await sql`
        create function outbox_notify() returns trigger language plpgsql as $$
        begin
          perform pg_notify(tg_table_schema || '_outbox', '');
          return null;
        end $$`.execute(db);
      await sql`create trigger outbox_notify after insert on outbox for each statement execute function outbox_notify()`.execute(db);
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('outbox').execute();
      await db.schema.dropTable('inbox').execute();
      await sql`drop function if exists outbox_notify()`.execute(db);
    },
  },
  '20261202T000000-messaging-outbox-correlation-id': {
    async up(db: Kysely<any>) {
      // Nullable: rows queued before this column existed, and events caused by nothing traceable.
      await db.schema.alterTable('outbox').addColumn('correlation_id', 'text').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('outbox').dropColumn('correlation_id').execute();
    },
  },
};
