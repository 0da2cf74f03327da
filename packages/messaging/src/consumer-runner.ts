import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { streams } from '@vigil/contracts';
import { consumerDefaults, ensureConsumer, type ConsumerSpec } from './topology';
import { publishDeadLetter } from './dead-letter';
import { classifyFailure, describeError } from './errors';
import { correlationIdOf } from './correlation';
import type { MessagingMetrics, SettledAs } from './metrics';

export type Outcome =
  | { kind: 'ack' }
  /** `transient`: retried with backoff however long it takes, never dead-lettered for it. */
  | { kind: 'retry'; reason: string; transient?: boolean }
  | { kind: 'dead-letter'; reason: string };

export const ack: Outcome = { kind: 'ack' };

/**
 * Handles a micro-batch (everything available right now, up to batchSize); one outcome per message, in
 * order. A handler that applies the batch in one transaction throws when that transaction fails: the
 * runner then splits the batch to find the message that fails alone (poison isolation).
 */
export type BatchHandler = (messages: JsMsg[]) => Promise<Outcome[]>;

/** The outcome for a message whose handling failed with `err`, as one message alone. */
export function failureOutcome(err: unknown): Outcome {
  const reason = describeError(err);
  switch (classifyFailure(err)) {
    case 'transient':
      return { kind: 'retry', reason, transient: true };
    case 'permanent':
      return { kind: 'dead-letter', reason };
    default:
      return { kind: 'retry', reason };
  }
}

const NOTHING_BUFFERED = Symbol('nothing-buffered');
const nextMacrotask = () => new Promise<typeof NOTHING_BUFFERED>((resolve) => setImmediate(() => resolve(NOTHING_BUFFERED)));

/** Redelivery delays after a retryable failure, by attempt. */
const backoffMs = [1_000, 5_000, 15_000, 30_000, 60_000];

/** The longest delay before a retried message comes back. */
export const maxRetryBackoffMs = backoffMs[backoffMs.length - 1]!;

export interface ConsumerRunnerOptions {
  metrics?: MessagingMetrics;
  /**
   * Batches handled at once (default 1). More overlaps one batch's waiting (a commit, publish acks)
   * with the next one's work; only for handlers whose batches may run side by side.
   */
  concurrency?: number;
}

/** The pull loop's life: `ended`/`failed` while not stopping means the consumer no longer consumes. */
export type ConsumerLoopState = 'new' | 'running' | 'stopping' | 'stopped' | 'ended' | 'failed';

/** A consumer's progress as seen now, for readiness and metrics. */
export interface ConsumerStatus {
  durable: string;
  loop: ConsumerLoopState;
  /** Messages handed to the handler and not yet settled. */
  inHand: number;
  /** JetStream: not yet delivered / delivered and not yet acked. Undefined when JetStream did not answer. */
  pending?: number;
  ackPending?: number;
  lastSettledAt?: Date;
  /** Why the consumer counts as stalled; undefined when it is fine. */
  stalled?: string;
}

const CONSUMER_INFO_TIMEOUT_MS = 2_000;
/** JetStream API error code: consumer not found. */
const CONSUMER_NOT_FOUND = 10014;

/**
 * Runs one durable pull consumer: explicit ack after the handler's effect is committed, bounded
 * redelivery with backoff, and a dead-letter subject (with the reason in headers) for messages that
 * can't be processed. Never acks a message whose effect is not durable.
 */
export class JetStreamConsumerRunner {
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private readonly maxDeliver: number;
  private readonly metrics: MessagingMetrics;
  private loopState: ConsumerLoopState = 'new';
  private loopError?: string;
  private inHand = 0;
  /** Last sign of life of the handling: a batch received, a handler call returned, a message settled. */
  private lastProgressAt = Date.now();
  private lastSettledAt?: number;
  /** When a status check first saw messages waiting in JetStream with none in hand (reset when idle). */
  private waitingSeenAt?: number;
  private reportedStall?: string;
  private readonly concurrency: number;

  constructor(
    private readonly nc: NatsConnection,
    private readonly spec: ConsumerSpec,
    private readonly handler: BatchHandler,
    private readonly log: Logger,
    private readonly batchSize = 64,
    opts: ConsumerRunnerOptions = {},
  ) {
    this.maxDeliver = spec.maxDeliver ?? consumerDefaults.maxDeliver;
    this.metrics = opts.metrics ?? {};
    this.concurrency = Math.max(1, opts.concurrency ?? 1);
  }

  get durable(): string {
    return this.spec.durable;
  }

  async start(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    await ensureConsumer(jsm, this.spec);
    const consumer = await this.nc.jetstream().consumers.get(this.spec.stream.name, this.spec.durable);
    this.messages = await consumer.consume({ max_messages: this.batchSize * (this.concurrency + 1) });
    this.loopState = 'running';
    this.lastProgressAt = Date.now();
    // A loop that ends on its own (or throws) stops consuming: recorded for /readyz, never an unhandled rejection.
    this.loop = this.run(this.messages).then(
      () => {
        if (this.loopState === 'stopping') return;
        this.loopState = 'ended';
        this.log.error({ durable: this.spec.durable }, 'consumer pull loop ended');
      },
      (err: unknown) => {
        this.loopState = 'failed';
        this.loopError = describeError(err);
        this.log.error({ err, durable: this.spec.durable }, 'consumer pull loop failed');
      },
    );
    this.log.info({ durable: this.spec.durable, filter: this.spec.filterSubject }, 'consumer started');
  }

  /** Stops pulling, finishes the batch in hand; unacked buffered messages are redelivered elsewhere. */
  async stop(): Promise<void> {
    if (this.loopState === 'running') this.loopState = 'stopping';
    await this.messages?.close();
    await this.loop;
    if (this.loopState === 'stopping') this.loopState = 'stopped';
    this.log.info({ durable: this.spec.durable }, 'consumer drained');
  }

  /**
   * Is the consumer getting anywhere? Stalled when its pull loop is gone, or when it has work (messages
   * in hand, or waiting in JetStream) and has shown no progress for longer than `stallAfterMs`.
   * Waiting messages count from the first check that saw them, so a consumer that was idle for an hour
   * is not judged by that hour. Asks JetStream for the consumer's counts (one API call).
   */
  async status(stallAfterMs: number): Promise<ConsumerStatus> {
    let pending: number | undefined;
    let ackPending: number | undefined;
    let missing = false;
    try {
      const info = await withTimeout(
        this.nc.jetstreamManager().then((jsm) => jsm.consumers.info(this.spec.stream.name, this.spec.durable)),
        CONSUMER_INFO_TIMEOUT_MS,
      );
      pending = info.num_pending;
      ackPending = info.num_ack_pending;
    } catch (err) {
      // Deleted under us (an operator, a stream re-created): the pull loop keeps waiting for nothing.
      missing = (err as { api_error?: { err_code?: number } })?.api_error?.err_code === CONSUMER_NOT_FOUND;
      // Otherwise NATS is away: /readyz says so in its own check; judge by what is in hand.
    }
    const now = Date.now();
    let stalled: string | undefined;
    if (this.loopState === 'ended' || this.loopState === 'failed') {
      stalled = `pull loop ${this.loopState}${this.loopError ? `: ${this.loopError}` : ''}`;
    } else if (this.loopState === 'running' && this.nc.isClosed()) {
      // Closed for good (not a disconnect: those reconnect); the pull loop would wait forever.
      stalled = 'NATS connection closed';
    } else if (this.loopState === 'running' && missing) {
      stalled = `durable consumer not found on stream ${this.spec.stream.name}`;
    } else if (this.loopState === 'running') {
      const waiting = pending ?? 0;
      if (this.inHand === 0 && waiting === 0) this.waitingSeenAt = undefined;
      else if (this.inHand === 0) this.waitingSeenAt ??= now;
      const since = this.inHand > 0 ? this.lastProgressAt : Math.max(this.lastProgressAt, this.waitingSeenAt ?? now);
      if ((this.inHand > 0 || waiting > 0) && now - since > stallAfterMs) {
        stalled = `no progress for ${Math.round((now - since) / 1000)} s with ${this.inHand} message(s) in hand and ${pending ?? 'unknown'} waiting`;
      }
    }
    // Asked by probes, which run outside any correlation context (see observeHttp).
    if (stalled && !this.reportedStall) this.log.error({ durable: this.spec.durable, reason: stalled }, 'consumer stalled');
    if (!stalled && this.reportedStall) this.log.info({ durable: this.spec.durable }, 'consumer making progress again');
    this.reportedStall = stalled;
    return {
      durable: this.spec.durable,
      loop: this.loopState,
      inHand: this.inHand,
      pending,
      ackPending,
      lastSettledAt: this.lastSettledAt !== undefined ? new Date(this.lastSettledAt) : undefined,
      stalled,
    };
  }

  /**
   * Micro-batching: take one message, then whatever else is already buffered (resolves before the next
   * macrotask), up to batchSize. A lone message is handled at once; a burst shares one transaction.
   */
  private async run(messages: ConsumerMessages): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    try {
      await this.pull(messages, inFlight);
    } finally {
      await Promise.all(inFlight);
    }
  }

  private async pull(messages: ConsumerMessages, inFlight: Set<Promise<void>>): Promise<void> {
    const it = messages[Symbol.asyncIterator]();
    let next = it.next();
    for (;;) {
      const first = await next;
      if (first.done) return;
      const batch: JsMsg[] = [first.value];
      next = it.next();
      let done = false;
      while (batch.length < this.batchSize) {
        const r = await Promise.race([next, nextMacrotask()]);
        if (r === NOTHING_BUFFERED) break;
        if (r.done) {
          done = true;
          break;
        }
        batch.push(r.value);
        next = it.next();
      }
      const handling: Promise<void> = this.process(batch).finally(() => inFlight.delete(handling));
      inFlight.add(handling);
      if (inFlight.size >= this.concurrency) await Promise.race(inFlight);
      if (done) return;
    }
  }

  private async process(batch: JsMsg[]): Promise<void> {
    this.inHand += batch.length;
    this.lastProgressAt = Date.now();
    for (const msg of batch) this.metrics.consumerDelivered?.(this.spec.durable, msg.info.redeliveryCount);
    try {
      const outcomes = await this.outcomesOf(batch);
      // Acks are synchronous: settled in one pass and counted once (a promise and a metric lookup per
      // message showed in profiles); the rest one by one.
      let acked = 0;
      const others: Promise<void>[] = [];
      for (let i = 0; i < batch.length; i++) {
        const outcome = outcomes[i] ?? { kind: 'retry', reason: 'no outcome' };
        if (outcome.kind === 'ack') {
          batch[i]!.ack();
          acked++;
        } else others.push(this.settle(batch[i]!, outcome));
      }
      if (acked) {
        this.lastSettledAt = this.lastProgressAt = Date.now();
        this.metrics.consumerSettled?.(this.spec.durable, 'ack', acked);
      }
      await Promise.all(others);
    } finally {
      this.inHand -= batch.length;
    }
  }

  /**
   * Poison isolation: when a batch fails as a whole (its transaction rolled back), the halves are
   * retried on their own, down to single messages, so only a message that fails alone is retried or
   * dead-lettered and its neighbours commit now. A transient failure (database or NATS away) is not the
   * messages' fault: the whole batch waits for the backoff instead of being split.
   */
  private async outcomesOf(batch: JsMsg[]): Promise<Outcome[]> {
    try {
      // No AsyncLocalStorage context here: on Node 20 an active one costs every promise of the hot path
      // (measured: about a quarter of ingest's throughput). Per-message handlers (inbox) enter each
      // message's own; batch handlers pass ids explicitly; log lines here name it as a field.
      const outcomes = await this.handler(batch);
      this.lastProgressAt = Date.now();
      return outcomes;
    } catch (err) {
      this.lastProgressAt = Date.now();
      const outcome = failureOutcome(err);
      if (outcome.kind === 'retry' && outcome.transient) {
        this.log.warn({ err, durable: this.spec.durable, messages: batch.length }, 'batch failed transiently; will retry');
        return batch.map(() => outcome);
      }
      if (batch.length === 1) {
        this.log.error({ err, durable: this.spec.durable, subject: batch[0]!.subject, correlationId: correlationIdOf(batch[0]!) }, 'message failed on its own');
        return [outcome];
      }
      this.log.warn({ err, durable: this.spec.durable, messages: batch.length }, 'batch failed; splitting it to isolate the failing message');
      this.metrics.consumerBatchSplit?.(this.spec.durable);
      const mid = batch.length >>> 1;
      return [...(await this.outcomesOf(batch.slice(0, mid))), ...(await this.outcomesOf(batch.slice(mid)))];
    }
  }

  private async settle(msg: JsMsg, outcome: Outcome): Promise<void> {
    const settled = await this.settleAs(msg, outcome);
    this.lastSettledAt = this.lastProgressAt = Date.now();
    this.metrics.consumerSettled?.(this.spec.durable, settled, 1);
  }

  private async settleAs(msg: JsMsg, outcome: Outcome): Promise<SettledAs> {
    if (outcome.kind === 'ack') {
      msg.ack();
      return 'ack';
    }
    const deliveries = msg.info.redeliveryCount;
    if (outcome.kind === 'retry' && (outcome.transient || deliveries < this.maxDeliver)) {
      this.log.warn({ durable: this.spec.durable, subject: msg.subject, deliveries, reason: outcome.reason, transient: !!outcome.transient, correlationId: correlationIdOf(msg) }, 'will retry');
      msg.nak(backoffMs[Math.min(deliveries - 1, backoffMs.length - 1)]);
      return 'retry';
    }
    try {
      await publishDeadLetter(this.nc, {
        durable: this.spec.durable,
        stream: this.spec.stream.name,
        subject: msg.subject,
        msgId: `${this.spec.durable}:${msg.info.streamSequence}`,
        data: msg.data,
        reason: outcome.reason,
        deliveries,
        receivedAt: new Date(Math.floor(msg.info.timestampNanos / 1e6)),
        correlationId: correlationIdOf(msg),
      });
      this.log.error({ durable: this.spec.durable, subject: msg.subject, deliveries, reason: outcome.reason, correlationId: correlationIdOf(msg) }, 'dead-lettered');
      // No reason argument: `+TERM <reason>` is NATS 2.10+; a 2.9 server ignores it and redelivers.
      msg.term();
      return 'dead_letter';
    } catch (err) {
      // Could not park it: keep it in the stream rather than lose it.
      this.log.error({ err, durable: this.spec.durable, correlationId: correlationIdOf(msg) }, 'dead-letter publish failed; will redeliver');
      msg.nak(backoffMs[backoffMs.length - 1]);
      return 'retry';
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export const deadLetterStream = streams.deadLetters;
