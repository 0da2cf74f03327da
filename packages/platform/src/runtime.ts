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
import { JetStreamConsumerRunner, OutboxRelay, inboxHandler, pruneInbox, type BatchHandler, type ConsumerSpec, type MessagingTables } from '@vigil/messaging';
import type { Transaction } from 'kysely';
import type { Kysely } from 'kysely';
import { CONFIG, DATABASE, LOGGER, NATS, SERVICE_OPTIONS } from './tokens';
import type { BaseConfig } from './config';

/** Inbox entries are kept this long: far past any redelivery or publish-dedup window. */
const INBOX_RETENTION_DAYS = 30;
const INBOX_PRUNE_EVERY_MS = 60 * 60_000;

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
  private readonly runners: JetStreamConsumerRunner[] = [];
  private relay?: OutboxRelay;
  private inboxPruner?: NodeJS.Timeout;

  constructor(
    @Inject(SERVICE_OPTIONS) private readonly opts: ServiceOptions,
    @Inject(DATABASE) private readonly database: Database<any>,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(CONFIG) private readonly config: BaseConfig,
  ) {}

  /**
   * Registers a durable consumer; it starts once the app is bootstrapped. Call from onModuleInit.
   * Redelivery limits not set in the spec come from the service's config.
   */
  consume(spec: ConsumerSpec, handler: BatchHandler, batchSize?: number): void {
    const withDefaults = { maxDeliver: this.config.VIGIL_CONSUMER_MAX_DELIVER, ackWaitMs: this.config.VIGIL_CONSUMER_ACK_WAIT_MS, ...spec };
    this.runners.push(new JetStreamConsumerRunner(this.nc, withDefaults, handler, this.log, batchSize));
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
      inboxHandler<DB, D>({ db: this.database.db as Kysely<DB>, durable: opts.durable, definition: opts.definition, handle: opts.handle }),
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
      );
      await this.relay.start();
    }
    for (const r of this.runners) await r.start();
    if (this.runners.length) {
      this.inboxPruner = setInterval(() => void this.pruneInbox(), INBOX_PRUNE_EVERY_MS);
      this.inboxPruner.unref();
    }
    this.log.info({ consumers: this.runners.map((r) => r.durable), outbox: !!this.opts.outbox }, 'service running');
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
    await Promise.all(this.runners.map((r) => r.stop()));
    await this.relay?.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.nc.drain().catch(() => undefined);
    await this.database.close();
    this.log.info('stopped');
  }
}
