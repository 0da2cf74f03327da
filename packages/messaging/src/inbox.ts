import type { JsMsg } from 'nats';
import type { Kysely, Transaction } from 'kysely';
import type { EventData, EventDefinition, VigilEvent } from '@vigil/contracts';
import type { MessagingTables } from './tables';
import { decodeEvent } from './decode';
import { describeError } from './errors';
import { crashPoint } from './faults';
import { correlationIdOf, withCorrelationId } from './correlation';
import { failureOutcome, type BatchHandler, type Outcome } from './consumer-runner';

export interface InboxHandlerSpec<DB extends MessagingTables, D extends EventDefinition> {
  db: Kysely<DB>;
  durable: string;
  definition: D;
  /** The effect. Runs inside the transaction that records the event in the inbox. */
  handle(event: VigilEvent<D['type'], EventData<D>>, tx: Transaction<DB>): Promise<void>;
  /** Messages of one batch handled at once; keep below the pool size. */
  concurrency?: number;
}

/**
 * Exactly-once effects over at-least-once delivery: the event id goes into the inbox in the same
 * transaction as the effect. A redelivery finds the id and does nothing; a crash before commit leaves
 * neither, and the redelivery does both. Each message is handled under its own correlation id, so its
 * log lines and the events it enqueues carry it.
 */
export function inboxHandler<DB extends MessagingTables, D extends EventDefinition>(spec: InboxHandlerSpec<DB, D>): BatchHandler {
  const concurrency = spec.concurrency ?? 4;
  const handleOne = async (msg: JsMsg): Promise<Outcome> => {
    let event: VigilEvent<D['type'], EventData<D>>;
    try {
      event = decodeEvent(msg, spec.definition);
    } catch (err) {
      return { kind: 'dead-letter', reason: describeError(err) };
    }
    try {
      await (spec.db as unknown as Kysely<MessagingTables>).transaction().execute(async (tx) => {
        const fresh = await tx
          .insertInto('inbox')
          .values({ consumer: spec.durable, event_id: event.id })
          .onConflict((oc) => oc.doNothing())
          .returning('event_id')
          .executeTakeFirst();
        if (!fresh) return; // already processed: a redelivery or a duplicate publish
        await spec.handle(event, tx as unknown as Transaction<DB>);
        crashPoint(spec.durable, 'before-commit');
      });
      crashPoint(spec.durable, 'after-commit');
      return { kind: 'ack' };
    } catch (err) {
      // Each message has its own transaction, so a failure here is this message's (or the world's).
      return failureOutcome(err);
    }
  };
  return async (messages) => {
    const outcomes: Outcome[] = new Array(messages.length);
    let next = 0;
    const worker = async () => {
      while (next < messages.length) {
        const i = next++;
        const msg = messages[i]!;
        outcomes[i] = await withCorrelationId(correlationIdOf(msg), () => handleOne(msg));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, messages.length) }, worker));
    return outcomes;
  };
}

/**
 * Forgets inbox entries older than `before`. Safe once no copy of those events can still arrive: a
 * durable redelivers within minutes, JetStream's dedup window is 10 minutes, and a replay under a new
 * durable name has an inbox of its own.
 */
export async function pruneInbox<DB extends MessagingTables>(db: Kysely<DB>, before: Date): Promise<number> {
  const r = await (db as unknown as Kysely<MessagingTables>).deleteFrom('inbox').where('processed_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}
