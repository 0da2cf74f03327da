import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import type { GatewayDatabase } from '../db/schema';
import type { DeadLetterRecord } from './dead-letter';

export interface DeadLetterFilter {
  /** Only this org's records; undefined (operators, CLI) means every record, including those with no org. */
  orgId?: string;
  consumer?: string;
  /** Records older than this position (exclusive): the previous page's last `seq`. */
  beforeSeq?: string;
  limit: number;
}

/** The only code that touches the gateway's dead_letters table. */
@Injectable()
export class DeadLetterRepository {
  constructor(@Inject(DATABASE) private readonly database: Database<GatewayDatabase>) {}

  private get db() {
    return this.database.db;
  }

  /**
   * Upserts by the dead letter's own id. The same dead-letter message again (a redelivery to this
   * consumer) changes nothing; the same id under a new dead-letter sequence is the original message
   * failing again, so its last failure, reason and deliveries move on.
   */
  async record(records: DeadLetterRecord[]): Promise<void> {
    // One statement may not update a row twice: keep each id's latest copy.
    const latest = new Map<string, DeadLetterRecord>();
    for (const r of records) if ((latest.get(r.id)?.deadLetterSeq ?? -1) < r.deadLetterSeq) latest.set(r.id, r);
    if (!latest.size) return;
    await this.db
      .insertInto('dead_letters')
      .values(
        [...latest.values()].map((r) => ({
          id: r.id,
          message_id: r.messageId,
          dead_letter_seq: String(r.deadLetterSeq),
          org_id: r.orgId,
          consumer: r.consumer,
          original_subject: r.originalSubject,
          original_stream: r.originalStream,
          payload: Buffer.from(r.payload),
          reason: r.reason,
          deliveries: r.deliveries,
          original_received_at: r.originalReceivedAt,
        })),
      )
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet({
            dead_letter_seq: (eb) => eb.ref('excluded.dead_letter_seq'),
            reason: (eb) => eb.ref('excluded.reason'),
            deliveries: (eb) => eb.ref('excluded.deliveries'),
            last_failed_at: sql<Date>`now()`,
          })
          .where('dead_letters.dead_letter_seq', '<>', (eb) => eb.ref('excluded.dead_letter_seq')),
      )
      .execute();
  }

  /** Newest first; one row more than asked tells whether another page exists. */
  async list(filter: DeadLetterFilter) {
    let q = this.db.selectFrom('dead_letters').selectAll();
    if (filter.orgId !== undefined) q = q.where('org_id', '=', filter.orgId);
    if (filter.consumer !== undefined) q = q.where('consumer', '=', filter.consumer);
    if (filter.beforeSeq !== undefined) q = q.where('seq', '<', filter.beforeSeq);
    const rows = await q.orderBy('seq', 'desc').limit(filter.limit + 1).execute();
    const more = rows.length > filter.limit;
    const page = more ? rows.slice(0, filter.limit) : rows;
    return { rows: page, nextSeq: more ? page[page.length - 1]!.seq : null };
  }

  /** One record; with an org, another org's record (or one with no org) is indistinguishable from none. */
  async find(id: string, orgId?: string) {
    let q = this.db.selectFrom('dead_letters').selectAll().where('id', '=', id);
    if (orgId !== undefined) q = q.where('org_id', '=', orgId);
    return q.executeTakeFirst();
  }

  /** Records replay number `n`; a repeat of the same replay (a retried request) doesn't count twice. */
  async markReplayed(id: string, n: number) {
    return this.db
      .updateTable('dead_letters')
      .set({ replayed_at: sql<Date>`now()`, replay_count: sql<number>`greatest(replay_count, ${n})` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }
}
