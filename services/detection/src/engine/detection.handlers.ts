import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { JsMsg } from 'nats';
import type { Logger } from 'pino';
import { resolveDefinition, streams, type VigilEvent } from '@vigil/contracts';
import { ack, correlationIdOf, crashPoint, decodeEvent, describeError, enqueueEvents, type Outcome } from '@vigil/messaging';
import { LOGGER, ServiceRuntime } from '@vigil/platform';
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
      try {
        events.push({ index, event: decodeEvent(msg, resolveDefinition(type)!) });
      } catch (err) {
        outcomes[index] = { kind: 'dead-letter', reason: describeError(err) };
      }
    });
    if (!events.length) return outcomes;

    // Headers are parsed only for the few messages a detection names (not per message: it shows in profiles).
    const messageOf = new Map(events.map(({ index, event }) => [event.id, msgs[index]!]));
    let changes: BatchChanges | undefined;
    for (let attempt = 1; ; attempt++) {
      const result = await this.evaluateAndCommit(events.map((e) => e.event), messageOf);
      if (result !== 'superseded') {
        changes = result;
        break;
      }
      // A batch evaluated before this one rolled back after this one had read its window state: nothing
      // of this one was committed; evaluate it again on the state as it is now.
      this.log.warn({ attempt, messages: msgs.length }, 'batch superseded by the rollback of an earlier one; evaluating it again');
      if (attempt === MAX_ATTEMPTS) {
        const reason = 'evaluated on the state of a batch that rolled back, again and again';
        for (const { index } of events) outcomes[index] = { kind: 'retry', reason, transient: true };
        return outcomes;
      }
    }
    crashPoint(DETECTION_CONSUMER, 'after-commit');
    // Logged once committed, under the correlation id of the event that raised it.
    for (const d of changes!.detections) {
      const data = d.data as { ruleId: string; correlationKey: string; severity: string; count: number };
      const msg = messageOf.get(changes!.causedBy.get(d.id) ?? '');
      this.log.info({ orgId: d.orgid, ruleId: data.ruleId, correlationKey: data.correlationKey, severity: data.severity, count: data.count, detectionId: d.id, correlationId: msg ? correlationIdOf(msg) : undefined }, 'attack detected');
    }
    for (const { index } of events) outcomes[index] = ack;
    return outcomes;
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
