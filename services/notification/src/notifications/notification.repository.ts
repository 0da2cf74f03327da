import { Inject, Injectable } from '@nestjs/common';
import type { Selectable, Transaction } from 'kysely';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import type { NotificationDatabase, NotificationsTable } from '../db/schema';

type Tx = Transaction<NotificationDatabase>;

export type NewNotification = Omit<Selectable<NotificationsTable>, 'created_at'>;

/** Orgs, recipients and notifications: the consumers' side of notification's tables. */
@Injectable()
export class NotificationRepository {
  constructor(@Inject(DATABASE) private readonly database: Database<NotificationDatabase>) {}

  get db() {
    return this.database.db;
  }

  /** Creates or renames the org and makes `recipients` (already lower-cased, distinct) its whole recipient list. */
  async upsertOrg(tx: Tx, org: { id: string; name: string }, recipients: readonly string[]): Promise<void> {
    await tx
      .insertInto('orgs')
      .values({ id: org.id, name: org.name })
      .onConflict((oc) => oc.column('id').doUpdateSet({ name: org.name, updated_at: new Date() }))
      .execute();
    await tx.deleteFrom('org_admin_recipients').where('org_id', '=', org.id).execute();
    if (recipients.length) {
      await tx
        .insertInto('org_admin_recipients')
        .values(recipients.map((email) => ({ org_id: org.id, email })))
        .execute();
    }
  }

  /** The org and its admin recipients, or undefined when notification has not heard of it. */
  async findOrgWithRecipients(tx: Tx, orgId: string): Promise<{ name: string; recipients: string[]; drillRecipients: string[] } | undefined> {
    // FOR SHARE: a concurrent org.created that replaces the recipients waits for this transaction (or we for it).
    const org = await tx.selectFrom('orgs').select('name').where('id', '=', orgId).forShare().executeTakeFirst();
    if (!org) return undefined;
    const rows = await tx.selectFrom('org_admin_recipients').select('email').where('org_id', '=', orgId).orderBy('email').execute();
    const drill = await tx.selectFrom('org_drill_recipients').select('email').where('org_id', '=', orgId).orderBy('email').execute();
    return { name: org.name, recipients: rows.map((r) => r.email), drillRecipients: drill.map((r) => r.email) };
  }

  async drillRecipients(orgId: string): Promise<string[]> {
    const rows = await this.db.selectFrom('org_drill_recipients').select('email').where('org_id', '=', orgId).orderBy('email').execute();
    return rows.map((r) => r.email);
  }

  /** Replaces the org's drill recipients; false when notification does not know the org (yet). */
  async setDrillRecipients(orgId: string, emails: readonly string[]): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      const org = await tx.selectFrom('orgs').select('id').where('id', '=', orgId).forUpdate().executeTakeFirst();
      if (!org) return false;
      await tx.deleteFrom('org_drill_recipients').where('org_id', '=', orgId).execute();
      if (emails.length) await tx.insertInto('org_drill_recipients').values(emails.map((email) => ({ org_id: orgId, email }))).execute();
      return true;
    });
  }

  /**
   * Inserts the notification unless one of the same kind already exists for this incident; returns
   * false then (a second incident.created for the same incident, under any event id).
   */
  async insertNotification(tx: Tx, n: NewNotification): Promise<boolean> {
    const row = await tx
      .insertInto('notifications')
      .values(n)
      .onConflict((oc) => oc.columns(['org_id', 'incident_id', 'kind']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  async insertDeliveries(tx: Tx, rows: readonly { id: string; notification_id: string; org_id: string; recipient: string }[]): Promise<void> {
    if (!rows.length) return;
    await tx
      .insertInto('deliveries')
      .values(rows.map((r) => ({ ...r, channel: 'email' as const, status: 'pending' as const })))
      .onConflict((oc) => oc.columns(['notification_id', 'channel', 'recipient']).doNothing())
      .execute();
  }
}
