import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('failed_logins')
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('username', 'text')
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('failed_logins_pk', ['org_id', 'event_id'])
    .execute();
  await db.schema.createIndex('failed_logins_window_idx').on('failed_logins').columns(['org_id', 'ip', 'occurred_at']).execute();
  await db.schema.createIndex('failed_logins_prune_idx').on('failed_logins').column('occurred_at').execute();
  await db.schema
    .createTable('rule_state')
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('attack_started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('detection_id', 'uuid', (c) => c.notNull())
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('rule_state_pk', ['org_id', 'rule_id', 'key'])
    .execute();
  await db.schema
    .createTable('rule_overrides')
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('threshold', 'integer', (c) => c.check(sql`threshold > 0`))
    .addColumn('window_seconds', 'integer', (c) => c.check(sql`window_seconds between 1 and 604800`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('rule_overrides_pk', ['org_id', 'rule_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('rule_overrides').execute();
  await db.schema.dropTable('rule_state').execute();
  await db.schema.dropTable('failed_logins').execute();
}
