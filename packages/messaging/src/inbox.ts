import type { JsMsg, NatsConnection } from 'nats';
import type { Kysely, Transaction } from 'kysely';
import type { EventData, EventDefinition, VigilEvent } from '@vigil/contracts';
import type { MessagingTables } from './tables';
import { decodeEvents, type DecodedItem } from './decode';
import { publishDeadLetter } from './dead-letter';
import { encodeEvent } from './publisher';
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
  /**
   * Where one bad event of a batch message is parked on its own (its stream names the record). Without
   * it, such an event fails its whole message.
   */
  deadLetters?: { nc: NatsConnection; stream: string };
}

/**
 * Exactly-once effects over at-least-once delivery: the event id goes into the inbox in the same
 * transaction as the effect. A redelivery finds the id and does nothing; a crash before commit leaves
 * neither, and the redelivery does both. Each message is handled under its own correlation id, so its
 * log lines and the events it enqueues carry it. A batch message (a JSON array of events) is handled
 * event by event, each in its own transaction: a bad event is parked alone and its neighbours applied.
 */
export function inboxHandler<DB extends MessagingTables, D extends EventDefinition>(spec: InboxHandlerSpec<DB, D>): BatchHandler {
  const concurrency = spec.concurrency ?? 4;
  const applyOne = async (event: VigilEvent<D['type'], EventData<D>>): Promise<void> => {
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
  };
  /** Parks one event of a batch message; false when it could not be parked (the message then waits). */
  const park = async (msg: JsMsg, index: number, raw: unknown, reason: string): Promise<boolean> => {
    if (!spec.deadLetters) return false;
    try {
      await publishDeadLetter(spec.deadLetters.nc, {
        durable: spec.durable,
        stream: spec.deadLetters.stream,
        subject: msg.subject,
        msgId: `${spec.durable}:${msg.info.streamSequence}:${index}`,
        data: encodeEvent(raw),
        reason,
        deliveries: msg.info.redeliveryCount,
        receivedAt: new Date(Math.floor(msg.info.timestampNanos / 1e6)),
        correlationId: correlationIdOf(msg),
      });
      return true;
    } catch {
      return false;
    }
  };
  const handleOne = async (msg: JsMsg): Promise<Outcome> => {
    let items: DecodedItem<D>[];
    try {
      items = decodeEvents(msg, spec.definition);
    } catch (err) {
      return { kind: 'dead-letter', reason: describeError(err) };
    }
    if (items.length === 1 && items[0]!.index === null) {
      const [item] = items;
      if ('error' in item!) return { kind: 'dead-letter', reason: item.error };
      try {
        await applyOne(item!.event);
        return { kind: 'ack' };
      } catch (err) {
        // Each message has its own transaction, so a failure here is this message's (or the world's).
        return failureOutcome(err);
      }
    }
    // A batch: each event on its own. The message is acked once every event is applied or parked; the
    // events applied before a retry are in the inbox and skipped on the redelivery.
    let settled: Outcome = { kind: 'ack' };
    const cannotPark: Outcome = { kind: 'retry', reason: 'could not park a bad event of the batch', transient: true };
    for (const item of items) {
      if ('error' in item) {
        if (!spec.deadLetters) return { kind: 'dead-letter', reason: item.error };
        if (!(await park(msg, item.index!, item.raw, item.error))) settled = cannotPark;
        continue;
      }
      try {
        await applyOne(item.event);
      } catch (err) {
        const outcome = failureOutcome(err);
        if (outcome.kind === 'retry' && outcome.transient) return outcome;
        if (outcome.kind === 'dead-letter') {
          if (!spec.deadLetters) return outcome;
          if (!(await park(msg, item.index!, item.event, outcome.reason))) settled = cannotPark;
        } else if (settled.kind === 'ack') {
          // Unknown: tried again with the message (the rest of the batch is applied meanwhile).
          settled = outcome;
        }
      }
    }
    return settled;
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
