import { sql, type Kysely } from 'kysely';

/**
 * The rule engine's state: every event a windowed rule reads (not only failed logins), keyed by IP and
 * by account/actor, and per-org rule settings as one JSON document per rule (validated by the rule's
 * own schema in the service) instead of three fixed columns.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('observed_events')
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('account', 'text')
    .addColumn('attrs', 'jsonb')
    .addColumn('late', 'boolean', (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint('observed_events_pk', ['org_id', 'event_id'])
    .execute();
  await sql`create index observed_events_ip_idx on observed_events (org_id, ip, occurred_at) where ip is not null`.execute(db);
  await sql`create index observed_events_account_idx on observed_events (org_id, account, occurred_at) where account is not null`.execute(db);
  // BRIN: rows arrive roughly in time order, and the prune job is its only reader; a B-tree here cost every insert.
  await sql`create index observed_events_prune_idx on observed_events using brin (occurred_at)`.execute(db);
  await sql`
    insert into observed_events (org_id, event_id, type, occurred_at, ip, account, late)
    select org_id, event_id::text, 'login.failed', occurred_at, ip, username, late from failed_logins
  `.execute(db);
  await db.schema.dropTable('failed_logins').execute();
  // A key's state loads the attacks of every rule on that key at once: one probe per key, not per rule.
  await db.schema.createIndex('attacks_org_key_idx').on('attacks').columns(['org_id', 'key']).execute();

  await db.schema
    .createTable('rule_settings')
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('settings', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('rule_settings_pk', ['org_id', 'rule_id'])
    .execute();
  await sql`
    insert into rule_settings (org_id, rule_id, settings, updated_at, updated_by)
    select org_id, rule_id, jsonb_strip_nulls(jsonb_build_object('enabled', enabled, 'threshold', threshold, 'windowSeconds', window_seconds)), updated_at, 'migration'
      from rule_overrides
  `.execute(db);
  await db.schema.dropTable('rule_overrides').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('attacks_org_key_idx').execute();
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
  await sql`
    insert into rule_overrides (org_id, rule_id, enabled, threshold, window_seconds, updated_at)
    select org_id, rule_id, coalesce((settings->>'enabled')::boolean, true), (settings->>'threshold')::int, (settings->>'windowSeconds')::int, updated_at
      from rule_settings where rule_id = 'brute_force.ip'
  `.execute(db);
  await db.schema.dropTable('rule_settings').execute();
  await db.schema
    .createTable('failed_logins')
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('username', 'text')
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('late', 'boolean', (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint('failed_logins_pk', ['org_id', 'event_id'])
    .execute();
  await sql`
    insert into failed_logins (org_id, event_id, ip, username, occurred_at, late)
    select org_id, event_id::uuid, ip, account, occurred_at, late from observed_events where type = 'login.failed' and ip is not null
  `.execute(db);
  await db.schema.createIndex('failed_logins_window_idx').on('failed_logins').columns(['org_id', 'ip', 'occurred_at']).execute();
  await db.schema.createIndex('failed_logins_prune_idx').on('failed_logins').column('occurred_at').execute();
  await db.schema.dropTable('observed_events').execute();
}
