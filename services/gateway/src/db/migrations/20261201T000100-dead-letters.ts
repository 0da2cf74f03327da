import { sql, type Kysely } from 'kysely';

/** Dead letters recorded from `deadletter.>`, so operators and org admins can see and replay them. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('dead_letters')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    // Insertion order: the list's stable "newest first" order and its cursor.
    .addColumn('seq', 'bigserial', (c) => c.notNull().unique())
    .addColumn('message_id', 'text', (c) => c.notNull().unique())
    .addColumn('dead_letter_seq', 'bigint', (c) => c.notNull())
    .addColumn('org_id', 'uuid')
    .addColumn('consumer', 'text', (c) => c.notNull())
    .addColumn('original_subject', 'text')
    .addColumn('original_stream', 'text')
    .addColumn('payload', 'bytea', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('deliveries', 'integer')
    .addColumn('original_received_at', 'timestamptz')
    .addColumn('first_failed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_failed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('replayed_at', 'timestamptz')
    .addColumn('replay_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('dead_letters_org_seq_idx').on('dead_letters').columns(['org_id', 'seq']).execute();
  await db.schema.createIndex('dead_letters_org_consumer_seq_idx').on('dead_letters').columns(['org_id', 'consumer', 'seq']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('dead_letters').execute();
}
