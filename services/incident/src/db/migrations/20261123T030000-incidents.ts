import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('incidents')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('number', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('category', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('low','medium','high','critical')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('investigating','contained','resolved','closed')`))
    .addColumn('correlation_key', 'text')
    .addColumn('detected_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('origin', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addUniqueConstraint('incidents_org_number_uq', ['org_id', 'number'])
    .execute();
  await sql`create unique index incidents_open_correlation_uq on incidents (org_id, correlation_key)
            where correlation_key is not null and status in ('investigating', 'contained')`.execute(db);
  await db.schema.createIndex('incidents_org_created_idx').on('incidents').columns(['org_id', 'created_at']).execute();
  await db.schema
    .createTable('incident_counters')
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('last_value', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('incident_counters_pk', ['org_id', 'day'])
    .execute();
  await db.schema
    .createTable('incident_timeline')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('incidents.id'))
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('detail', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('incident_timeline_incident_idx').on('incident_timeline').columns(['incident_id', 'at']).execute();
  await db.schema
    .createTable('incident_detections')
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('detection_id', 'uuid', (c) => c.notNull())
    .addColumn('incident_id', 'uuid', (c) => c.notNull().references('incidents.id'))
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('incident_detections_pk', ['org_id', 'detection_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['incident_detections', 'incident_timeline', 'incident_counters', 'incidents']) await db.schema.dropTable(t).execute();
}
