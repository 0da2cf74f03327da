import { sql, type Kysely } from 'kysely';

/**
 * Per-org playbook templates: the tasks new incidents of the org start with instead of the seed
 * default. Each task now keeps its own clock (hours after discovery), so a corrected discovery time
 * moves a template's deadlines too; tasks written before this migration get the seed's hours by phase.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table playbook_templates (
      org_id uuid primary key,
      tasks jsonb not null,
      updated_at timestamptz not null,
      updated_by jsonb not null
    )`.execute(db);
  await sql`alter table incident_tasks add column due_after_hours integer`.execute(db);
  await sql`
    update incident_tasks set due_after_hours = case phase
      when 'detection' then 1 when 'containment' then 4 when 'assessment' then 24 when 'notification' then 72 end`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table incident_tasks drop column due_after_hours`.execute(db);
  await sql`drop table playbook_templates`.execute(db);
}
