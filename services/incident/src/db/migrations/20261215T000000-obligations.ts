import { sql, type Kysely } from 'kysely';

/**
 * Regulatory obligations: the organisation's profile (which entity-scoped regimes bind it), the
 * reports made per obligation rule, and the deadline notices already queued (their event ids are the
 * key, so the monitor publishes each warning and each miss once, whatever its ticks and restarts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table org_compliance_profiles (
      org_id uuid primary key,
      flags jsonb not null default '{}',
      updated_at timestamptz not null default now()
    )`.execute(db);
  await sql`
    create table obligation_reports (
      incident_id uuid not null references incidents (id),
      org_id uuid not null,
      rule_id text not null,
      reported_at timestamptz not null,
      reference text not null,
      reasons_for_delay text,
      recorded_at timestamptz not null default now(),
      recorded_by jsonb not null,
      primary key (incident_id, rule_id)
    )`.execute(db);
  await sql`
    create table deadline_notices (
      event_id uuid primary key,
      incident_id uuid not null references incidents (id),
      org_id uuid not null,
      kind text not null,
      rule_id text not null,
      queued_at timestamptz not null default now()
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table deadline_notices`.execute(db);
  await sql`drop table obligation_reports`.execute(db);
  await sql`drop table org_compliance_profiles`.execute(db);
}
