import { sql, type Kysely } from 'kysely';

/**
 * Response decisions (with a change sequence a login service polls by), per-org decision policies, the
 * breach-feed watchlist and the (identity, breach) pairs already reported.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create sequence decision_change_seq`.execute(db);
  await db.schema
    .createTable('decisions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('block_ip', 'lock_account', 'force_password_reset', 'require_mfa')`))
    .addColumn('target', 'text', (c) => c.notNull())
    // Set for block_ip: the check endpoint asks `target_net >>= <ip>`, so a CIDR block covers its hosts.
    .addColumn('target_net', sql`cidr`)
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('rule_id', 'text', (c) => c.notNull())
    .addColumn('detection_id', 'uuid', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('duration_seconds', 'integer', (c) => c.notNull())
    .addColumn('repeat_count', 'integer', (c) => c.notNull())
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('revoked_by', 'text')
    .addColumn('revoke_reason', 'text')
    .addColumn('change_seq', 'bigint', (c) => c.notNull())
    .addColumn('recorded_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('decisions_ip_target_check', sql`(kind = 'block_ip') = (target_net is not null)`)
    .addCheckConstraint('decisions_span_check', sql`created_at < expires_at`)
    .execute();
  await db.schema.createIndex('decisions_change_idx').on('decisions').columns(['org_id', 'change_seq']).unique().execute();
  await db.schema.createIndex('decisions_target_idx').on('decisions').columns(['org_id', 'kind', 'target', 'created_at']).execute();
  await db.schema.createIndex('decisions_active_idx').on('decisions').columns(['org_id', 'expires_at']).where(sql.ref('revoked_at'), 'is', null).execute();
  // The login check's two lookups, so it stays one index probe however many decisions an org has in force.
  await sql`create index decisions_check_ip_idx on decisions using gist (target_net inet_ops) where revoked_at is null and kind = 'block_ip'`.execute(db);
  await sql`create index decisions_check_account_idx on decisions (org_id, lower(target)) where revoked_at is null and kind <> 'block_ip'`.execute(db);

  await db.schema
    .createTable('decision_policies')
    .addColumn('org_id', 'uuid', (c) => c.primaryKey())
    .addColumn('policy', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('watchlist')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('domain', 'email')`))
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_checked_at', 'timestamptz')
    .addUniqueConstraint('watchlist_value_key', ['org_id', 'kind', 'value'])
    .execute();

  // Kept when a watchlist entry is removed: re-adding it must not report the same breaches again.
  await db.schema
    .createTable('breach_exposures')
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('identity', 'text', (c) => c.notNull())
    .addColumn('breach_name', 'text', (c) => c.notNull())
    .addColumn('event_id', 'uuid', (c) => c.notNull())
    .addColumn('found_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('breach_exposures_pk', ['org_id', 'identity', 'breach_name'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('breach_exposures').execute();
  await db.schema.dropTable('watchlist').execute();
  await db.schema.dropTable('decision_policies').execute();
  await db.schema.dropTable('decisions').execute();
  await sql`drop sequence decision_change_seq`.execute(db);
}
