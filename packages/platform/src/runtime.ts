import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { Database, MigrationSet } from '@vigil/db';
import { eventTypeFilter, type EventData, type EventDefinition, type StreamDefinition, type VigilEvent } from '@vigil/contracts';
import {
  JetStreamConsumerRunner,
  OutboxRelay,
  consumerDefaults,
  inboxHandler,
  maxRetryBackoffMs,
  outboxDepth,
  pruneInbox,
  type BatchHandler,
  type ConsumerSpec,
  type ConsumerStatus,
  type MessagingMetrics,
  type MessagingTables,
} from '@vigil/messaging';
import type { Transaction } from 'kysely';
import type { Kysely } from 'kysely';
import { CONFIG, DATABASE, LOGGER, NATS, SERVICE_OPTIONS } from './tokens';
import type { BaseConfig } from './config';
import { Metrics } from './metrics';

/** Inbox entries are kept this long: far past any redelivery or publish-dedup window. */
const INBOX_RETENTION_DAYS = 30;
const INBOX_PRUNE_EVERY_MS = 60 * 60_000;
/** A scrape and a readiness probe arriving together share one look at JetStream. */
const STATUS_REUSE_MS = 1_000;
const SETTLED_AS = ['ack', 'retry', 'dead_letter'] as const;

export interface ServiceOptions {
  /** Service name: logs, NATS connection name, health output. */
  service: string;
  /** PostgreSQL schema the service owns (its role's schema). */
  schema: string;
  migrations: MigrationSet;
  /** Streams this service publishes to or consumes from; declared idempotently at start-up. */
  streams: readonly StreamDefinition[];
  /** Runs an outbox relay: set for services that write and publish. */
  outbox?: boolean;
}

/**
 * Owns the moving parts of a service process: JetStream consumers and the outbox relay start after
 * the app is bootstrapped, and on SIGTERM consumers drain first, then the relay, then NATS and the pool.
 */
@Injectable()
export class ServiceRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly runners: { runner: JetStreamConsumerRunner; stallAfterMs: number }[] = [];
  private relay?: OutboxRelay;
  private inboxPruner?: NodeJS.Timeout;
  private readonly messagingMetrics: MessagingMetrics;
  private readonly consumerCounters: ReturnType<ServiceRuntime['defineConsumerCounters']>;
  private statuses?: { at: number; result: Promise<ConsumerStatus[]> };

  constructor(
    @Inject(SERVICE_OPTIONS) private readonly opts: ServiceOptions,
    @Inject(DATABASE) private readonly database: Database<any>,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(CONFIG) private readonly config: BaseConfig,
    private readonly metrics: Metrics,
  ) {
    this.consumerCounters = this.defineConsumerCounters();
    this.messagingMetrics = this.defineMetrics();
  }

  /**
   * Registers a durable consumer; it starts once the app is bootstrapped. Call from onModuleInit.
   * Redelivery limits not set in the spec come from the service's config.
   */
  consume(spec: ConsumerSpec, handler: BatchHandler, batchSize?: number, opts: { concurrency?: number } = {}): void {
    const withDefaults = { maxDeliver: this.config.VIGIL_CONSUMER_MAX_DELIVER, ackWaitMs: this.config.VIGIL_CONSUMER_ACK_WAIT_MS, ...spec };
    const ackWaitMs = withDefaults.ackWaitMs ?? consumerDefaults.ackWaitMs;
    const stallAfterMs = this.config.VIGIL_CONSUMER_STALL_MS ?? Math.max(2 * ackWaitMs, 2 * maxRetryBackoffMs);
    const runner = new JetStreamConsumerRunner(this.nc, withDefaults, handler, this.log, batchSize, { metrics: this.messagingMetrics, concurrency: opts.concurrency });
    this.runners.push({ runner, stallAfterMs });
    // Every series exists from the start, at 0: rate() and alerts see the first event, not the second.
    const c = this.consumerCounters;
    for (const outcome of SETTLED_AS) c.settled.labels(spec.durable, outcome).inc(0);
    for (const counter of [c.redeliveries, c.deadLetters, c.splits]) counter.labels(spec.durable).inc(0);
  }

  /**
   * Each consumer's progress, for /readyz and the lag gauges: one JetStream look per consumer, shared by
   * callers within a second of each other.
   */
  consumerStatuses(): Promise<ConsumerStatus[]> {
    const now = Date.now();
    if (!this.statuses || now - this.statuses.at > STATUS_REUSE_MS) {
      this.statuses = { at: now, result: Promise.all(this.runners.map(({ runner, stallAfterMs }) => runner.status(stallAfterMs))) };
    }
    return this.statuses.result;
  }

  /**
   * The usual consumer: every event of one contract type (all orgs), validated on receipt, its effect
   * applied exactly once in the inbox transaction of the service's own database.
   */
  consumeEvents<DB extends MessagingTables, D extends EventDefinition>(opts: {
    durable: string;
    stream: StreamDefinition;
    definition: D;
    handle: (event: VigilEvent<D['type'], EventData<D>>, tx: Transaction<DB>) => Promise<void>;
  }): void {
    this.consume(
      { stream: opts.stream, durable: opts.durable, filterSubject: eventTypeFilter(opts.definition.type) },
      inboxHandler<DB, D>({ db: this.database.db as Kysely<DB>, durable: opts.durable, definition: opts.definition, handle: opts.handle, deadLetters: { nc: this.nc, stream: opts.stream.name } }),
    );
  }

  /** Publishes everything committed to the outbox now (tests, CLI). */
  async flushOutbox(): Promise<void> {
    await this.relay?.flush();
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.opts.outbox) {
      this.relay = new OutboxRelay(
        this.database.db as Kysely<MessagingTables>,
        this.database.pool,
        this.nc.jetstream(),
        this.opts.schema,
        this.log,
        undefined,
        this.messagingMetrics,
      );
      await this.relay.start();
    }
    for (const { runner } of this.runners) await runner.start();
    if (this.runners.length) {
      this.inboxPruner = setInterval(() => void this.pruneInbox(), INBOX_PRUNE_EVERY_MS);
      this.inboxPruner.unref();
    }
    this.log.info({ consumers: this.runners.map((r) => r.runner.durable), outbox: !!this.opts.outbox }, 'service running');
  }

  /** Drops inbox entries past the retention; returns how many. */
  async pruneInbox(): Promise<number> {
    try {
      const n = await pruneInbox(this.database.db as Kysely<MessagingTables>, new Date(Date.now() - INBOX_RETENTION_DAYS * 24 * 60 * 60_000));
      if (n) this.log.info({ pruned: n }, 'inbox pruned');
      return n;
    } catch (err) {
      this.log.warn({ err }, 'inbox prune failed; will retry');
      return 0;
    }
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    clearInterval(this.inboxPruner);
    this.log.info({ signal }, 'shutting down: draining consumers');
    await Promise.all(this.runners.map((r) => r.runner.stop()));
    await this.relay?.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.nc.drain().catch(() => undefined);
    await this.database.close();
    this.log.info('stopped');
  }

  private defineConsumerCounters() {
    const m = this.metrics;
    const settled = m.counter({
      name: 'vigil_consumer_messages_total',
      help: 'Messages settled by a durable consumer ("events in"), by outcome: ack, retry (nak with backoff) or dead_letter',
      labelNames: ['durable', 'outcome'],
    });
    const redeliveries = m.counter({ name: 'vigil_consumer_redeliveries_total', help: 'Messages received again (JetStream delivery count > 1)', labelNames: ['durable'] });
    const deadLetters = m.counter({ name: 'vigil_consumer_dead_letters_total', help: 'Messages parked on deadletter.<durable>', labelNames: ['durable'] });
    const splits = m.counter({
      name: 'vigil_consumer_batch_splits_total',
      help: 'Batches that failed as a whole and were split to isolate the failing message (poison isolation)',
      labelNames: ['durable'],
    });
    return { settled, redeliveries, deadLetters, splits };
  }

  /**
   * The messaging metrics: "events in" (messages settled per durable and outcome), redeliveries, dead
   * letters, poison-isolation splits, consumer lag and stalls; "events out" (published per event type)
   * and outbox depth. Gauges are measured when scraped.
   */
  private defineMetrics(): MessagingMetrics {
    const m = this.metrics;
    const { settled, redeliveries, deadLetters, splits } = this.consumerCounters;
    const published = m.counter({ name: 'vigil_outbox_published_total', help: 'Events published by the outbox relay ("events out"), by event type', labelNames: ['event_type'] });
    const statuses = async () => {
      try {
        return await this.consumerStatuses();
      } catch {
        return [];
      }
    };
    m.gauge({
      name: 'vigil_consumer_lag_messages',
      help: 'Messages of a durable consumer not yet acked: waiting in JetStream (num_pending) plus delivered and unacked (num_ack_pending)',
      labelNames: ['durable'],
      collect: async function () {
        for (const s of await statuses()) if (s.pending !== undefined) this.labels(s.durable).set(s.pending + (s.ackPending ?? 0));
      },
    });
    m.gauge({
      name: 'vigil_consumer_stalled',
      help: '1 when a consumer has work but has made no progress for longer than its stall threshold (or its pull loop ended), else 0',
      labelNames: ['durable'],
      collect: async function () {
        for (const s of await statuses()) this.labels(s.durable).set(s.stalled ? 1 : 0);
      },
    });
    m.gauge({
      name: 'vigil_consumer_last_settled_timestamp_seconds',
      help: 'When a consumer last settled a message (Unix time)',
      labelNames: ['durable'],
      collect: async function () {
        for (const s of await statuses()) if (s.lastSettledAt) this.labels(s.durable).set(s.lastSettledAt.getTime() / 1000);
      },
    });
    if (this.opts.outbox) {
      const db = this.database.db as Kysely<MessagingTables>;
      const log = this.log;
      m.gauge({
        name: 'vigil_outbox_depth',
        help: 'Events committed to the outbox and not yet published',
        collect: async function () {
          try {
            this.set(await outboxDepth(db));
          } catch (err) {
            log.debug({ err }, 'outbox depth unavailable');
          }
        },
      });
    }
    return {
      consumerDelivered: (durable, deliveries) => {
        if (deliveries > 1) redeliveries.labels(durable).inc();
      },
      consumerSettled: (durable, outcome, count) => {
        settled.labels(durable, outcome).inc(count);
        if (outcome === 'dead_letter') deadLetters.labels(durable).inc(count);
      },
      consumerBatchSplit: (durable) => splits.labels(durable).inc(),
      outboxPublished: (eventType, n) => published.labels(eventType).inc(n),
    };
  }
}
