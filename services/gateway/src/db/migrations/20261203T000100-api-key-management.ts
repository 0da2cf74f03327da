import { sql, type Kysely } from 'kysely';

/**
 * Key management: an optional event-type allow-list and a rate limit per key, when its secret was last
 * rotated, and the count of an org's active admin keys (refusing to revoke the last one) by index.
 * Existing keys keep every type and get the default rate limit.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('api_keys')
    .addColumn('event_types', sql`text[]`)
    .addColumn('rate_limit_per_minute', 'integer', (c) => c.notNull().defaultTo(6000).check(sql`rate_limit_per_minute > 0`))
    .addColumn('rotated_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('api_keys_org_active_idx').on('api_keys').column('org_id').where(sql.ref('revoked_at'), 'is', null).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('api_keys_org_active_idx').execute();
  await db.schema.alterTable('api_keys').dropColumn('event_types').dropColumn('rate_limit_per_minute').dropColumn('rotated_at').execute();
}
