import { sql, type Kysely } from 'kysely';

/**
 * One row per detected attack, spanning its whole cluster of events (rule_state kept only the latest
 * attack of a key and missed attacks whose events arrived out of order). Failed logins that arrive
 * more than half a window behind their key's newest are flagged `late`.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('attacks')
    .addColumn('detection_id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addColumn('detected_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('attacks_span_check', sql`started_at <= last_seen_at`)
    .execute();
  await db.schema.createIndex('attacks_key_idx').on('attacks').columns(['org_id', 'rule_id', 'key', 'last_seen_at']).execute();
  await db.schema.createIndex('attacks_prune_idx').on('attacks').column('last_seen_at').execute();
  await sql`
    insert into attacks (detection_id, org_id, rule_id, key, started_at, last_seen_at, event_count)
    select detection_id, org_id, rule_id, key, least(attack_started_at, last_seen_at), greatest(attack_started_at, last_seen_at), event_count
      from rule_state
    on conflict (detection_id) do nothing
  `.execute(db);
  await db.schema.dropTable('rule_state').execute();
  await db.schema.alterTable('failed_logins').addColumn('late', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('failed_logins').dropColumn('late').execute();
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
  // rule_state holds one attack per key: keep each key's latest.
  await sql`
    insert into rule_state (org_id, rule_id, key, attack_started_at, last_seen_at, detection_id, event_count)
    select distinct on (org_id, rule_id, key) org_id, rule_id, key, started_at, last_seen_at, detection_id, event_count
      from attacks order by org_id, rule_id, key, last_seen_at desc
  `.execute(db);
  await db.schema.dropTable('attacks').execute();
}
