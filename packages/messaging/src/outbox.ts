import type { JetStreamClient } from 'nats';
import type { Kysely, Transaction } from 'kysely';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { VigilEvent } from '@vigil/contracts';
import { eventSubject } from '@vigil/contracts';
import type { MessagingTables } from './tables';
import { publishRaw, encodeEvent } from './publisher';
import { WakeableLoop } from './wakeable-loop';

/**
 * Records an event to publish in the caller's transaction: it leaves if and only if the effect commits.
 */
export async function enqueueEvents<DB extends MessagingTables>(tx: Transaction<DB>, events: readonly VigilEvent[]): Promise<void> {
  if (!events.length) return;
  await (tx as unknown as Transaction<MessagingTables>)
    .insertInto('outbox')
    .values(events.map((e) => ({ event_id: e.id, subject: eventSubject(e.type, e.orgid), payload: JSON.stringify(e) })))
    .execute();
}

/**
 * Publishes committed outbox rows to JetStream and deletes them once JetStream has acked. Woken by
 * NOTIFY on commit, with a slow poll as a safety net. A crash between publish and delete republishes
 * with the same Nats-Msg-Id, which JetStream drops inside its duplicate window and inboxes drop after.
 */
export class OutboxRelay {
  private readonly loop: WakeableLoop;

  constructor(
    private readonly db: Kysely<MessagingTables>,
    pool: Pool,
    private readonly js: JetStreamClient,
    schema: string,
    log: Logger,
    private readonly batchSize = 256,
  ) {
    // The outbox trigger notifies `<schema>_outbox` (see messagingMigrations).
    this.loop = new WakeableLoop({ name: `${schema}-outbox`, pool, channel: `${schema}_outbox`, work: () => this.drain(), log });
  }

  start(): Promise<void> {
    return this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Publishes everything committed so far; resolves when the outbox is empty (tests, shutdown). */
  flush(): Promise<void> {
    return this.loop.flush();
  }

  private async drain(): Promise<void> {
    for (;;) {
      const published = await this.db.transaction().execute(async (tx) => {
        const rows = await tx
          .selectFrom('outbox')
          .select(['seq', 'event_id', 'subject', 'payload'])
          .orderBy('seq')
          .limit(this.batchSize)
          .forUpdate()
          .skipLocked()
          .execute();
        if (!rows.length) return 0;
        await Promise.all(rows.map((r) => publishRaw(this.js, r.subject, r.event_id, encodeEvent(r.payload))));
        await tx
          .deleteFrom('outbox')
          .where(
            'seq',
            'in',
            rows.map((r) => r.seq),
          )
          .execute();
        return rows.length;
      });
      if (published < this.batchSize) return;
    }
  }
}
