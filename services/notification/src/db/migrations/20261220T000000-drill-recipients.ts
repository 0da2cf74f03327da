import { sql, type Kysely } from 'kysely';

/** Who receives a drill's notices instead of the real admins (per organisation; none: drills stay silent). */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table org_drill_recipients (
      org_id uuid not null references orgs (id),
      email text not null,
      primary key (org_id, email)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop table org_drill_recipients`.execute(db);
}
