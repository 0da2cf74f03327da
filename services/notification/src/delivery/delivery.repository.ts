import { Inject, Injectable } from '@nestjs/common';
import { sql, type UpdateObject } from 'kysely';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import type { NotificationDatabase } from '../db/schema';

/** A delivery claimed for sending, with the content to send. `attempts` is this attempt's number and its fencing token. */
export interface ClaimedDelivery {
  id: string;
  notificationId: string;
  orgId: string;
  recipient: string;
  attempts: number;
  subject: string;
  text: string;
  html: string;
}

/** Channel the deliveries insert trigger notifies on. */
export const DELIVERIES_CHANNEL = 'notification_deliveries';

/** The delivery worker's side of notification's tables. */
@Injectable()
export class DeliveryRepository {
  constructor(@Inject(DATABASE) private readonly database: Database<NotificationDatabase>) {}

  /**
   * Claims up to `limit` deliveries that are due (pending and past next_attempt_at, or 'sending' but
   * abandoned for longer than `staleMs`) in one short transaction: FOR UPDATE SKIP LOCKED lets several
   * workers claim side by side without waiting on or double-taking each other's rows.
   */
  async claimDue(limit: number, staleMs: number, maxAttempts: number): Promise<ClaimedDelivery[]> {
    return this.database.db.transaction().execute(async (tx) => {
      const staleBefore = sql<Date>`now() - make_interval(secs => ${staleMs / 1000})`;
      // Abandoned on its last attempt: nothing is left to try. (The crashed send may or may not have gone out.)
      await tx
        .updateTable('deliveries')
        .set({ status: 'failed', last_error: 'abandoned mid-send on the last attempt (process stopped); outcome unknown', updated_at: sql`now()` })
        .where('status', '=', 'sending')
        .where('claimed_at', '<', staleBefore)
        .where('attempts', '>=', maxAttempts)
        .execute();
      const due = await tx
        .selectFrom('deliveries')
        .select('id')
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', sql<Date>`now()`)]),
            eb.and([eb('status', '=', 'sending'), eb('claimed_at', '<', staleBefore)]),
          ]),
        )
        .orderBy('next_attempt_at')
        .limit(limit)
        .forUpdate()
        .skipLocked()
        .execute();
      if (!due.length) return [];
      const claimed = await tx
        .updateTable('deliveries')
        .set((eb) => ({ status: 'sending', attempts: eb('attempts', '+', 1), claimed_at: sql`now()`, updated_at: sql`now()` }))
        .where(
          'id',
          'in',
          due.map((d) => d.id),
        )
        .returning(['id', 'notification_id', 'org_id', 'recipient', 'attempts'])
        .execute();
      const contents = await tx
        .selectFrom('notifications')
        .select(['id', 'subject', 'text_body', 'html_body'])
        .where('id', 'in', [...new Set(claimed.map((c) => c.notification_id))])
        .execute();
      const byId = new Map(contents.map((c) => [c.id, c]));
      return claimed.map((c) => {
        const n = byId.get(c.notification_id)!;
        return {
          id: c.id,
          notificationId: c.notification_id,
          orgId: c.org_id,
          recipient: c.recipient,
          attempts: c.attempts,
          subject: n.subject,
          text: n.text_body,
          html: n.html_body,
        };
      });
    });
  }

  /**
   * The outcome of one attempt. Each update only applies while the row is still in the state this
   * attempt put it in (status 'sending', same attempts): a sender that lost its claim can't overwrite
   * a newer attempt's result. Returns false when it didn't apply.
   */
  async markSent(d: Pick<ClaimedDelivery, 'id' | 'attempts'>, providerMessageId: string): Promise<boolean> {
    return this.finish(d, { status: 'sent', sent_at: sql`now()`, provider_message_id: providerMessageId, last_error: null });
  }

  async markRetry(d: Pick<ClaimedDelivery, 'id' | 'attempts'>, delayMs: number, error: string): Promise<boolean> {
    return this.finish(d, { status: 'pending', next_attempt_at: sql`now() + make_interval(secs => ${delayMs / 1000})`, last_error: error });
  }

  async markFailed(d: Pick<ClaimedDelivery, 'id' | 'attempts'>, error: string): Promise<boolean> {
    return this.finish(d, { status: 'failed', last_error: error });
  }

  private async finish(d: Pick<ClaimedDelivery, 'id' | 'attempts'>, set: UpdateObject<NotificationDatabase, 'deliveries'>): Promise<boolean> {
    const r = await this.database.db
      .updateTable('deliveries')
      .set({ ...set, updated_at: sql`now()` })
      .where('id', '=', d.id)
      .where('status', '=', 'sending')
      .where('attempts', '=', d.attempts)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
