import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { JsMsg, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { resolveDefinition, streams, type EventDefinition, type VigilEvent } from '@vigil/contracts';
import { ack, classifyFailure, correlationIdOf, crashPoint, decodeEvents, describeError, encodeEvent, enqueueEvents, failureOutcome, publishDeadLetter, type DecodedItem, type Outcome } from '@vigil/messaging';
import { LOGGER, NATS, ServiceRuntime } from '@vigil/platform';
import { DetectionPartition } from '../partition/detection-partition';
import { DetectionEngine, type BatchChanges } from './engine';
import { RuleRegistry } from './registry';
import { MAX_WINDOW_SECONDS } from './settings';
import { StateRepository } from './state.repository';

/** Thrown inside a batch's transaction to roll it back: a batch before it rolled back after it read state. */
class Superseded extends Error {
  override readonly name = 'Superseded';
}

/**
 * The inbox name of the security-stream consumer, whatever this replica's durable (`partition.durable`):
 * one name for all partitions, so an event evaluated before a re-partition is never evaluated again.
 */
export const DETECTION_CONSUMER = 'detection-events';
const BATCH_SIZE = 1024;
/** Batches in flight: one evaluating while the one before it commits. */
const PIPELINE_DEPTH = 2;
/** How often a batch is evaluated again after earlier batches rolled back under it. */
const MAX_ATTEMPTS = 3;
/** Deliveries after which one event of a batch message that keeps failing on its own is parked. */
const ITEM_MAX_DELIVERIES = 5;
const cannotPark: Outcome = { kind: 'retry', reason: 'could not park a bad event of the batch', transient: true };

/** The outcome for a message from those of its parts: any retry wins. */
function worst(a: Outcome, b: Outcome): Outcome {
  return a.kind === 'retry' ? a : b.kind === 'retry' ? b : a.kind === 'dead-letter' ? a : b;
}
const PRUNE_EVERY_MS = 10 * 60_000;
/** Observed events are kept a day longer than the longest window an org can configure. */
const RETAIN_MS = (MAX_WINDOW_SECONDS + 24 * 60 * 60) * 1000;

/**
 * One transaction per batch: the inbox rows, the window state the batch changed and the detections
 * it raised (outbox) commit together or not at all. A batch that fails is split by the runner (poison
 * isolation); the keys it touched in memory are forgotten and reload from PostgreSQL.
 */
@Injectable()
export class DetectionHandlers implements OnModuleInit, OnModuleDestroy {
  private pruneTimer?: NodeJS.Timeout;
  private readonly types: Set<string>;

  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly repo: StateRepository,
    private readonly engine: DetectionEngine,
    private readonly partition: DetectionPartition,
    registry: RuleRegistry,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {
    this.types = new Set(registry.eventTypes);
  }

  onModuleInit(): void {
    // No filter: NATS 2.9 has one filter subject per consumer, and this one reads every type the
    // stream carries (types no rule reads are acked at once); with partitions, one durable per replica.
    this.runtime.consume({ stream: streams.security, durable: this.partition.durable, maxAckPending: 8 * BATCH_SIZE }, (msgs) => this.handleBatch(msgs), BATCH_SIZE, { concurrency: PIPELINE_DEPTH });
    this.pruneTimer = setInterval(() => {
      const before = new Date(Date.now() - RETAIN_MS);
      Promise.all([this.repo.pruneObserved(before), this.repo.pruneAttacks(before)]).catch((err) => this.log.warn({ err }, 'prune failed'));
    }, PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

  async handleBatch(msgs: JsMsg[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = new Array(msgs.length);
    const events: { index: number; event: VigilEvent }[] = [];
    const parking: Promise<void>[] = [];
    msgs.forEach((msg, index) => {
      // Another replica's org: acked unread (the subject names the org).
      if (!this.partition.owns(msg.subject)) {
        outcomes[index] = ack;
        return;
      }
      const type = msg.subject.slice(0, msg.subject.lastIndexOf('.'));
      if (!this.types.has(type)) {
        outcomes[index] = ack;
        return;
      }
      let items: DecodedItem<EventDefinition>[];
      try {
        items = decodeEvents(msg, resolveDefinition(type)!);
      } catch (err) {
        outcomes[index] = { kind: 'dead-letter', reason: describeError(err) };
        return;
      }
      for (const item of items) {
        if ('event' in item) events.push({ index, event: item.event });
        else if (item.index === null) outcomes[index] = { kind: 'dead-letter', reason: item.error };
        // One bad event of a batch message is parked alone; its neighbours are evaluated.
        else parking.push(this.park(msg, item.index, item.raw, item.error).then((parked) => void (parked || (outcomes[index] = cannotPark))));
      }
    });
    await Promise.all(parking);
    // A message whose every event was parked (or none was read) is done.
    const settled = () => Array.from(outcomes, (o) => o ?? ack);
    if (!events.length) return settled();

    // Headers are parsed only for the few messages a detection names (not per message: it shows in profiles).
    const messageOf = new Map(events.map(({ index, event }) => [event.id, msgs[index]!]));
    const batch = events.map((e) => e.event);
    let changes: BatchChanges | 'gave-up';
    try {
      changes = await this.commitBatch(batch, messageOf);
    } catch (err) {
      // The runner isolates a failing message by splitting the batch; one message carrying many events
      // is split here, so a poison event is parked without its neighbours.
      if (msgs.length !== 1 || batch.length < 2 || classifyFailure(err) === 'transient') throw err;
      this.log.warn({ err, events: batch.length, subject: msgs[0]!.subject }, 'batch message failed; splitting it to isolate the failing event');
      outcomes[0] = worst(outcomes[0] ?? ack, await this.commitIsolating(msgs[0]!, batch, messageOf));
      return settled();
    }
    if (changes === 'gave-up') {
      const reason = 'evaluated on the state of a batch that rolled back, again and again';
      for (const { index } of events) outcomes[index] = { kind: 'retry', reason, transient: true };
      return outcomes;
    }
    return settled();
  }

  /**
   * Commits a batch, evaluating it again while batches before it roll back under it; then logs what it
   * detected. Throws when its own transaction fails.
   */
  private async commitBatch(batch: VigilEvent[], messageOf: Map<string, JsMsg>): Promise<BatchChanges | 'gave-up'> {
    for (let attempt = 1; ; attempt++) {
      const result = await this.evaluateAndCommit(batch, messageOf);
      if (result !== 'superseded') {
        crashPoint(DETECTION_CONSUMER, 'after-commit');
        // Logged once committed, under the correlation id of the event that raised it.
        for (const d of result.detections) {
          const data = d.data as { ruleId: string; correlationKey: string; severity: string; count: number };
          const msg = messageOf.get(result.causedBy.get(d.id) ?? '');
          this.log.info({ orgId: d.orgid, ruleId: data.ruleId, correlationKey: data.correlationKey, severity: data.severity, count: data.count, detectionId: d.id, correlationId: msg ? correlationIdOf(msg) : undefined }, 'attack detected');
        }
        return result;
      }
      // A batch evaluated before this one rolled back after this one had read its window state: nothing
      // of this one was committed; evaluate it again on the state as it is now.
      this.log.warn({ attempt, events: batch.length }, 'batch superseded by the rollback of an earlier one; evaluating it again');
      if (attempt === MAX_ATTEMPTS) return 'gave-up';
    }
  }

  /**
   * Halves of one message's events committed on their own until the failing event is alone: parked
   * when its failure is permanent or the message has come back ITEM_MAX_DELIVERIES times, else the
   * message is retried (what committed meanwhile is in the inbox, skipped on the redelivery).
   */
  private async commitIsolating(msg: JsMsg, batch: VigilEvent[], messageOf: Map<string, JsMsg>): Promise<Outcome> {
    try {
      const result = await this.commitBatch(batch, messageOf);
      return result === 'gave-up' ? { kind: 'retry', reason: 'superseded again and again', transient: true } : ack;
    } catch (err) {
      const outcome = failureOutcome(err);
      if (outcome.kind === 'retry' && outcome.transient) return outcome;
      if (batch.length === 1) {
        if (outcome.kind !== 'dead-letter' && msg.info.redeliveryCount < ITEM_MAX_DELIVERIES) return outcome;
        this.log.error({ err, eventId: batch[0]!.id, correlationId: correlationIdOf(msg) }, 'event failed on its own; parking it');
        return (await this.park(msg, batch[0]!.id, batch[0], describeError(err))) ? ack : cannotPark;
      }
      const mid = batch.length >>> 1;
      return worst(await this.commitIsolating(msg, batch.slice(0, mid), messageOf), await this.commitIsolating(msg, batch.slice(mid), messageOf));
    }
  }

  /** Parks one event of a batch message on detection's dead-letter subject; false when that failed. */
  private async park(msg: JsMsg, which: number | string, raw: unknown, reason: string): Promise<boolean> {
    try {
      await publishDeadLetter(this.nc, {
        durable: DETECTION_CONSUMER,
        stream: streams.security.name,
        subject: msg.subject,
        msgId: `${DETECTION_CONSUMER}:${msg.info.streamSequence}:${which}`,
        data: encodeEvent(raw),
        reason,
        deliveries: msg.info.redeliveryCount,
        receivedAt: new Date(Math.floor(msg.info.timestampNanos / 1e6)),
        correlationId: correlationIdOf(msg),
      });
      return true;
    } catch (err) {
      this.log.warn({ err, subject: msg.subject }, 'could not park a bad event of a batch message; the message will come back');
      return false;
    }
  }

  /** The evaluation slot: batches evaluate one at a time, in arrival order (the window state is in memory). */
  private evaluationTail: Promise<void> = Promise.resolve();
  /** The write slot: batches write (and lock rows) one at a time, in arrival order. */
  private writeTail: Promise<void> = Promise.resolve();
  /** Settles once the latest batch has committed or rolled back (and cleaned up after itself). */
  private settleTail: Promise<void> = Promise.resolve();
  /** Bumped by each rollback: a batch that began evaluating under an older value read state that is gone. */
  private generation = 0;

  /**
   * One batch, pipelined with its neighbours: it evaluates once the batch before it has evaluated (so
   * it sees that batch's window state in memory), and commits only once that batch has committed, so
   * PostgreSQL never holds a batch's state without its predecessor's. Its reads and evaluation overlap
   * the predecessor's write and commit; its write waits for the predecessor's write (lock order). A rollback cleans up only after every earlier batch has settled (never
   * evicting a key an earlier batch still has to commit), then supersedes every later batch in flight:
   * they evaluated on memory that is gone, roll back too, and are evaluated again.
   */
  private async evaluateAndCommit(batch: VigilEvent[], messageOf: Map<string, JsMsg>): Promise<BatchChanges | 'superseded'> {
    const evaluatedBefore = this.evaluationTail;
    const writtenBefore = this.writeTail;
    const settledBefore = this.settleTail;
    let evaluated!: () => void;
    let written!: () => void;
    let settled!: () => void;
    this.evaluationTail = new Promise<void>((resolve) => (evaluated = resolve));
    this.writeTail = new Promise<void>((resolve) => (written = resolve));
    this.settleTail = new Promise<void>((resolve) => (settled = resolve));
    const changes = this.engine.begin();
    let generation = -1;
    try {
      await this.repo.db.transaction().execute(async (tx) => {
        await evaluatedBefore;
        generation = this.generation;
        try {
          // An earlier batch that rolled back while this one read may have taken keys from memory.
          await this.engine.evaluate(
            tx,
            DETECTION_CONSUMER,
            batch,
            changes,
            () => {
              if (generation !== this.generation) throw new Superseded();
            },
            settledBefore,
          );
        } finally {
          evaluated();
        }
        // Row locks (attack rows, outbox ids) are taken in batch order: a batch that locked a row before
        // an earlier batch's write would wait for that batch's commit while the earlier one waits for its lock.
        await writtenBefore;
        try {
          await this.repo.write(tx, changes);
          // A detection carries the correlation id of the event that completed it.
          await enqueueEvents(tx, changes.detections, {
            correlationId: (d) => {
              const msg = messageOf.get(changes.causedBy.get(d.id) ?? '');
              return msg ? correlationIdOf(msg) : undefined;
            },
          });
        } finally {
          written();
        }
        await settledBefore;
        if (generation !== this.generation) throw new Superseded();
        crashPoint(DETECTION_CONSUMER, 'before-commit');
      });
    } catch (err) {
      // Never let the next batch evaluate alongside an earlier one, nor clean up before earlier batches settle.
      await evaluatedBefore;
      evaluated();
      await writtenBefore;
      written();
      await settledBefore;
      this.engine.rolledBack(changes);
      this.generation++;
      settled();
      if (err instanceof Superseded) return 'superseded';
      throw err;
    }
    this.engine.committed(changes);
    settled();
    return changes;
  }
}
