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

/**
 * The inbox name of the security-stream consumer, whatever this replica's durable (`partition.durable`):
 * one name for all partitions, so an event evaluated before a re-partition is never evaluated again.
 */
export const DETECTION_CONSUMER = 'detection-events';
const BATCH_SIZE = 1024;
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
    this.runtime.consume({ stream: streams.security, durable: this.partition.durable, maxAckPending: 8 * BATCH_SIZE }, (msgs) => this.handleBatch(msgs), BATCH_SIZE);
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

    let changes: BatchChanges | undefined;
    // Headers are parsed only for the few messages a detection names (not per message: it shows in profiles).
    const messageOf = new Map(events.map(({ index, event }) => [event.id, msgs[index]!]));
    try {
      await this.repo.db.transaction().execute(async (tx) => {
        changes = await this.engine.evaluate(
          tx,
          DETECTION_CONSUMER,
          events.map((e) => e.event),
        );
        await this.repo.write(tx, changes);
        // A detection carries the correlation id of the event that completed it.
        const raised = changes;
        await enqueueEvents(tx, raised.detections, {
          correlationId: (d) => {
            const msg = messageOf.get(raised.causedBy.get(d.id) ?? '');
            return msg ? correlationIdOf(msg) : undefined;
          },
        });
        crashPoint(DETECTION_CONSUMER, 'before-commit');
      });
    } catch (err) {
      if (changes) this.engine.rolledBack(changes);
      else this.engine.clear();
      throw err;
    }
    crashPoint(DETECTION_CONSUMER, 'after-commit');
    this.engine.committed(changes!);
    // Logged once committed, under the correlation id of the event that raised it.
    for (const d of changes!.detections) {
      const data = d.data as { ruleId: string; correlationKey: string; severity: string; count: number };
      const msg = messageOf.get(changes!.causedBy.get(d.id) ?? '');
      this.log.info({ orgId: d.orgid, ruleId: data.ruleId, correlationKey: data.correlationKey, severity: data.severity, count: data.count, detectionId: d.id, correlationId: msg ? correlationIdOf(msg) : undefined }, 'attack detected');
    }
    for (const { index } of events) outcomes[index] = ack;
    return outcomes;
  }
}
