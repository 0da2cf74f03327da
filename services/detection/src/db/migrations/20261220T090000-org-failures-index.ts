import { sql, type Kysely } from 'kysely';

/**
 * Password spraying keeps one window per org over all its failed logins and rebuilds it from
 * observed_events after a restart or an eviction: one range scan of the org's last hour (and its
 * newest failure) instead of every row of the org. Partial: only login.failed rows pay for it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index observed_events_org_failed_idx on observed_events (org_id, occurred_at) where type = 'login.failed'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index observed_events_org_failed_idx`.execute(db);
}
