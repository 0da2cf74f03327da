import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('orgs')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('org_admin_recipients')
    .addColumn('org_id', 'uuid', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull().check(sql`email = lower(email) and position('@' in email) > 1`))
    .addPrimaryKeyConstraint('org_admin_recipients_pk', ['org_id', 'email'])
    .execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('incident_id', 'uuid', (c) => c.notNull())
    .addColumn('incident_number', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('admin_alert')`))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text_body', 'text', (c) => c.notNull())
    .addColumn('html_body', 'text', (c) => c.notNull())
    .addColumn('source_event_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // One admin alert per incident, even if incident.created arrives again under another event id.
    .addUniqueConstraint('notifications_org_incident_kind_uq', ['org_id', 'incident_id', 'kind'])
    .execute();

  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('notification_id', 'uuid', (c) => c.notNull().references('notifications.id'))
    .addColumn('org_id', 'uuid', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('email')`))
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending','sending','sent','failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('claimed_at', 'timestamptz')
    .addColumn('sent_at', 'timestamptz')
    .addColumn('provider_message_id', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('deliveries_notification_channel_recipient_uq', ['notification_id', 'channel', 'recipient'])
    .execute();
  // The worker's two claim paths: due pending rows, and sending rows abandoned by a dead process.
  await sql`create index deliveries_due_idx on deliveries (next_attempt_at) where status = 'pending'`.execute(db);
  await sql`create index deliveries_sending_idx on deliveries (claimed_at) where status = 'sending'`.execute(db);
  await db.schema.createIndex('deliveries_org_created_idx').on('deliveries').columns(['org_id', 'created_at']).execute();

  // Wakes the delivery worker on commit (NOTIFY is transactional), so mail leaves without polling delay.
  await sql`
    create function deliveries_notify() returns trigger language plpgsql as $$
    begin
      perform pg_notify('notification_deliveries', '');
      return null;
    end $$`.execute(db);
  await sql`create trigger deliveries_notify after insert on deliveries for each statement execute function deliveries_notify()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['deliveries', 'notifications', 'org_admin_recipients', 'orgs']) await db.schema.dropTable(t).execute();
  await sql`drop function if exists deliveries_notify()`.execute(db);
}
