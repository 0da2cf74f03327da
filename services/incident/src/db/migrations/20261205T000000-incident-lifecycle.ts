import { sql, type Kysely } from 'kysely';
import { TIMELINE_GENESIS, timelineHash } from '../../timeline/timeline-chain';

const SERVICE_ACTOR = { type: 'service', id: 'incident' };

/**
 * The incident lifecycle: the seed's data_breach_incidents facts, origin, assignee, severity
 * override, post-mortem and drill flag on incidents; affected people as rows; playbook tasks; and a
 * hash-chained, append-only timeline. Existing incidents keep their values: detection-opened ones get
 * their detection time as discovery and their severity as the baseline the facts may raise.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    alter table incidents
      add column discovered_at timestamptz,
      add column breach_at timestamptz,
      add column contained_at timestamptz,
      add column resolved_at timestamptz,
      add column closed_at timestamptz,
      add column reopened_at timestamptz,
      add column data_categories jsonb not null default '[]',
      add column affected_count bigint check (affected_count >= 0),
      add column affected_by_region jsonb not null default '[]',
      add column affected_people_rows bigint not null default 0,
      add column encryption text not null default 'none' check (encryption in ('none','encrypted','encrypted_key_compromised')),
      add column active_threat boolean not null default false,
      add column jurisdictions jsonb not null default '[]',
      add column risk_assessment jsonb,
      add column mitigation_steps text not null default '',
      add column user_actions_required text not null default '',
      add column support_contact text not null default '',
      add column reported_to_authorities boolean not null default false,
      add column authority_reference text,
      add column users_notified boolean not null default false,
      add column notification_sent_at timestamptz,
      add column notification_method text,
      add column lessons_learned text,
      add column post_mortem text,
      add column created_by jsonb not null default ${sql.lit(JSON.stringify(SERVICE_ACTOR))}::jsonb,
      add column assignee text,
      add column drill boolean not null default false,
      add column severity_baseline text check (severity_baseline in ('low','medium','high','critical')),
      add column severity_computed text check (severity_computed in ('low','medium','high','critical')),
      add column severity_reasons jsonb not null default '[]',
      add column severity_override jsonb,
      add column origin_kind text not null default 'manual' check (origin_kind in ('manual','detection')),
      add column trigger_count integer not null default 0,
      add column last_seen_at timestamptz,
      add column evidence_event_ids jsonb not null default '[]',
      add column timeline_seq integer not null default 0,
      add column timeline_head bytea`.execute(db);
  await sql`
    update incidents set
      discovered_at = detected_at,
      severity_baseline = case when correlation_key is not null then severity end,
      severity_computed = severity,
      origin_kind = case when correlation_key is not null then 'detection' else 'manual' end,
      trigger_count = (select count(*) from incident_detections d where d.incident_id = incidents.id),
      last_seen_at = detected_at`.execute(db);
  await sql`alter table incidents alter column discovered_at set not null, alter column severity_computed set not null`.execute(db);
  // Further detections of one attack merge into its incident until it is closed or has been quiet
  // long enough; the per-key advisory lock serialises that decision, so two open incidents of one key
  // can exist only across a quiet period.
  await sql`drop index incidents_open_correlation_uq`.execute(db);
  await sql`create index incidents_open_correlation_idx on incidents (org_id, correlation_key, last_seen_at desc)
            where correlation_key is not null and status <> 'closed'`.execute(db);
  await sql`create index incidents_org_list_idx on incidents (org_id, created_at desc, id desc)`.execute(db);

  await sql`
    alter table incident_timeline
      add column seq integer,
      add column actor jsonb not null default ${sql.lit(JSON.stringify(SERVICE_ACTOR))}::jsonb,
      add column prev_hash bytea,
      add column hash bytea`.execute(db);
  // Chain the entries written before the chain existed, in the order they were shown.
  const rows = await sql<{ id: string; incident_id: string; org_id: string; at: Date; kind: string; detail: unknown }>`
    select id, incident_id, org_id, at, kind, detail from incident_timeline order by incident_id, at, id`.execute(db);
  const heads = new Map<string, { seq: number; hash: Buffer }>();
  for (const r of rows.rows) {
    const head = heads.get(r.incident_id) ?? { seq: 0, hash: TIMELINE_GENESIS };
    const seq = head.seq + 1;
    const hash = timelineHash(head.hash, { incidentId: r.incident_id, orgId: r.org_id, seq, at: r.at.toISOString(), kind: r.kind, actor: SERVICE_ACTOR, detail: r.detail });
    await sql`update incident_timeline set seq = ${seq}, prev_hash = ${head.hash}, hash = ${hash} where id = ${r.id}`.execute(db);
    heads.set(r.incident_id, { seq, hash });
  }
  for (const [incidentId, head] of heads) {
    await sql`update incidents set timeline_seq = ${head.seq}, timeline_head = ${head.hash} where id = ${incidentId}`.execute(db);
  }
  await sql`alter table incident_timeline alter column seq set not null, alter column prev_hash set not null, alter column hash set not null`.execute(db);
  await sql`create unique index incident_timeline_seq_uq on incident_timeline (incident_id, seq)`.execute(db);
  await sql`
    create function incident_timeline_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'incident_timeline is append-only (% refused)', tg_op;
    end $$`.execute(db);
  await sql`create trigger incident_timeline_append_only before update or delete on incident_timeline
            for each row execute function incident_timeline_append_only()`.execute(db);
  await sql`create trigger incident_timeline_no_truncate before truncate on incident_timeline
            for each statement execute function incident_timeline_append_only()`.execute(db);

  await db.schema
    .createTable('incident_affected_people')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('incidents.id'))
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('contact', 'text')
    .addColumn('country', 'text')
    .addColumn('region', 'text')
    .addColumn('data_categories', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('added_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('incident_affected_people_subject_uq', ['incident_id', 'subject_id'])
    .execute();

  await db.schema
    .createTable('incident_tasks')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('incidents.id'))
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('phase', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('due_at', 'timestamptz')
    .addColumn('assignee', 'text')
    .addColumn('completed_at', 'timestamptz')
    .addColumn('completed_by', 'jsonb')
    .execute();
  await db.schema.createIndex('incident_tasks_incident_idx').on('incident_tasks').columns(['incident_id', 'position']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('incident_tasks').execute();
  await db.schema.dropTable('incident_affected_people').execute();
  await sql`drop trigger incident_timeline_no_truncate on incident_timeline`.execute(db);
  await sql`drop trigger incident_timeline_append_only on incident_timeline`.execute(db);
  await sql`drop function incident_timeline_append_only()`.execute(db);
  await sql`drop index incident_timeline_seq_uq`.execute(db);
  await sql`alter table incident_timeline drop column seq, drop column actor, drop column prev_hash, drop column hash`.execute(db);
  await sql`drop index incidents_org_list_idx`.execute(db);
  await sql`drop index incidents_open_correlation_idx`.execute(db);
  await sql`create unique index incidents_open_correlation_uq on incidents (org_id, correlation_key)
            where correlation_key is not null and status in ('investigating', 'contained')`.execute(db);
  for (const c of [
    'discovered_at', 'breach_at', 'contained_at', 'resolved_at', 'closed_at', 'reopened_at', 'data_categories', 'affected_count', 'affected_by_region',
    'affected_people_rows', 'encryption', 'active_threat', 'jurisdictions', 'risk_assessment', 'mitigation_steps', 'user_actions_required', 'support_contact',
    'reported_to_authorities', 'authority_reference', 'users_notified', 'notification_sent_at', 'notification_method', 'lessons_learned', 'post_mortem',
    'created_by', 'assignee', 'drill', 'severity_baseline', 'severity_computed', 'severity_reasons', 'severity_override', 'origin_kind', 'trigger_count',
    'last_seen_at', 'evidence_event_ids', 'timeline_seq', 'timeline_head',
  ]) {
    await sql`alter table incidents drop column ${sql.ref(c)}`.execute(db);
  }
}
