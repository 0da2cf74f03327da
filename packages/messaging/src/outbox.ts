import type { JetStreamClient } from 'nats';
import type { Kysely, Transaction } from 'kysely';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import type { VigilEvent } from '@vigil/contracts';
import { eventSubject } from '@vigil/contracts';
import type { MessagingTables } from './tables';
import { publishRaw, encodeEvent } from './publisher';
import { WakeableLoop } from './wakeable-loop';
import { correlationHeaders, currentCorrelationId, validCorrelationId } from './correlation';
import type { MessagingMetrics } from './metrics';

export interface EnqueueOptions {
  /**
   * Correlation id each event travels with: one for all, or one per event (a batch handler carrying
   * each message's own). Default: the correlation id of the work in progress.
   */
  correlationId?: string | ((event: VigilEvent, index: number) => string | undefined);
  /**
   * Subject to publish on instead of `eventSubject(type, orgid)`: e.g. `ingest.submitted.<org>`, for an
   * event that must go through ingest (validated, hash-chained, republished) like any producer's.
   */
  subject?: (event: VigilEvent) => string;
}

/**
 * Records an event to publish in the caller's transaction: it leaves if and only if the effect commits.
 */
export async function enqueueEvents<DB extends MessagingTables>(tx: Transaction<DB>, events: readonly VigilEvent[], opts: EnqueueOptions = {}): Promise<void> {
  if (!events.length) return;
  const ambient = currentCorrelationId();
  const correlationOf = (e: VigilEvent, i: number): string | null => {
    const given = typeof opts.correlationId === 'function' ? opts.correlationId(e, i) : (opts.correlationId ?? ambient);
    return validCorrelationId(given) ?? null;
  };
  await (tx as unknown as Transaction<MessagingTables>)
    .insertInto('outbox')
    .values(events.map((e, i) => ({ event_id: e.id, subject: opts.subject ? opts.subject(e) : eventSubject(e.type, e.orgid), payload: JSON.stringify(e), correlation_id: correlationOf(e, i) })))
    .execute();
}

/** Events queued and not yet published (a gauge: a growing number means the relay can't keep up or can't publish). */
export async function outboxDepth<DB extends MessagingTables>(db: Kysely<DB>): Promise<number> {
  const row = await (db as unknown as Kysely<MessagingTables>)
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
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
    private readonly metrics: MessagingMetrics = {},
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
          .select(['seq', 'event_id', 'subject', 'payload', 'correlation_id'])
          .orderBy('seq')
          .limit(this.batchSize)
          .forUpdate()
          .skipLocked()
          .execute();
        if (!rows.length) return undefined;
        const acks = await Promise.all(rows.map((r) => publishRaw(this.js, r.subject, r.event_id, encodeEvent(r.payload), correlationHeaders(r.correlation_id ?? undefined))));
        await tx
          .deleteFrom('outbox')
          .where(
            'seq',
            'in',
            rows.map((r) => r.seq),
          )
          .execute();
        return { rows, acks };
      });
      if (!published) return;
      if (this.metrics.outboxPublished) {
        const byType = new Map<string, number>();
        // A republish after a crash (same Nats-Msg-Id, dropped by JetStream) is not a new event out.
        for (const [i, r] of published.rows.entries()) {
          if (published.acks[i]!.duplicate) continue;
          const type = eventTypeOf(r.payload, r.subject);
          byType.set(type, (byType.get(type) ?? 0) + 1);
        }
        for (const [type, n] of byType) this.metrics.outboxPublished(type, n);
      }
      if (published.rows.length < this.batchSize) return;
    }
  }
}

/** The event's type from its payload; the subject's leading tokens if the payload has none. */
function eventTypeOf(payload: unknown, subject: string): string {
  const type = (payload as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : subject.slice(0, subject.lastIndexOf('.'));
}
