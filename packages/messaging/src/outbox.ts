import type { JetStreamClient } from 'nats';
import type { Kysely, Transaction } from 'kysely';
import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';
import type { VigilEvent } from '@vigil/contracts';
import { eventSubject } from '@vigil/contracts';
import type { MessagingTables } from './tables';
import { publishRaw, encodeEvent } from './publisher';

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
  private listener?: PoolClient;
  private timer?: NodeJS.Timeout;
  private draining?: Promise<void>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly db: Kysely<MessagingTables>,
    private readonly pool: Pool,
    private readonly js: JetStreamClient,
    private readonly schema: string,
    private readonly log: Logger,
    private readonly batchSize = 256,
    private readonly pollMs = 1_000,
  ) {}

  async start(): Promise<void> {
    this.listener = await this.pool.connect();
    this.listener.on('notification', () => this.kick());
    this.listener.on('error', (err) => this.log.warn({ err }, 'outbox listener lost; polling continues'));
    await this.listener.query(`listen ${this.schema}_outbox`);
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.draining;
    if (this.listener) {
      await this.listener.query(`unlisten *`).catch(() => undefined);
      this.listener.release();
    }
  }

  /** Drains now; resolves when the outbox is empty (used by tests and shutdown). */
  async flush(): Promise<void> {
    this.kick();
    while (this.draining) await this.draining;
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain()
      .catch((err) => this.log.error({ err }, 'outbox relay failed; will retry'))
      .finally(() => {
        this.draining = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
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
