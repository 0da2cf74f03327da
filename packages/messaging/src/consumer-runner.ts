import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { deadLetterSubject, headers as vigilHeaders, streams } from '@vigil/contracts';
import { consumerDefaults, ensureConsumer, type ConsumerSpec } from './topology';
import { publishRaw } from './publisher';
import { classifyFailure, describeError } from './errors';

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

/**
 * Runs one durable pull consumer: explicit ack after the handler's effect is committed, bounded
 * redelivery with backoff, and a dead-letter subject (with the reason in headers) for messages that
 * can't be processed. Never acks a message whose effect is not durable.
 */
export class JetStreamConsumerRunner {
  private messages?: ConsumerMessages;
  private loop?: Promise<void>;
  private readonly maxDeliver: number;

  constructor(
    private readonly nc: NatsConnection,
    private readonly spec: ConsumerSpec,
    private readonly handler: BatchHandler,
    private readonly log: Logger,
    private readonly batchSize = 64,
  ) {
    this.maxDeliver = spec.maxDeliver ?? consumerDefaults.maxDeliver;
  }

  get durable(): string {
    return this.spec.durable;
  }

  async start(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    await ensureConsumer(jsm, this.spec);
    const consumer = await this.nc.jetstream().consumers.get(this.spec.stream.name, this.spec.durable);
    this.messages = await consumer.consume({ max_messages: this.batchSize * 2 });
    this.loop = this.run(this.messages);
    this.log.info({ durable: this.spec.durable, filter: this.spec.filterSubject }, 'consumer started');
  }

  /** Stops pulling, finishes the batch in hand; unacked buffered messages are redelivered elsewhere. */
  async stop(): Promise<void> {
    await this.messages?.close();
    await this.loop;
    this.log.info({ durable: this.spec.durable }, 'consumer drained');
  }

  /**
   * Micro-batching: take one message, then whatever else is already buffered (resolves before the next
   * macrotask), up to batchSize. A lone message is handled at once; a burst shares one transaction.
   */
  private async run(messages: ConsumerMessages): Promise<void> {
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
      await this.process(batch);
      if (done) return;
    }
  }

  private async process(batch: JsMsg[]): Promise<void> {
    const outcomes = await this.outcomesOf(batch);
    await Promise.all(batch.map((msg, i) => this.settle(msg, outcomes[i] ?? { kind: 'retry', reason: 'no outcome' })));
  }

  /**
   * Poison isolation: when a batch fails as a whole (its transaction rolled back), the halves are
   * retried on their own, down to single messages, so only a message that fails alone is retried or
   * dead-lettered and its neighbours commit now. A transient failure (database or NATS away) is not the
   * messages' fault: the whole batch waits for the backoff instead of being split.
   */
  private async outcomesOf(batch: JsMsg[]): Promise<Outcome[]> {
    try {
      return await this.handler(batch);
    } catch (err) {
      const outcome = failureOutcome(err);
      if (outcome.kind === 'retry' && outcome.transient) {
        this.log.warn({ err, durable: this.spec.durable, messages: batch.length }, 'batch failed transiently; will retry');
        return batch.map(() => outcome);
      }
      if (batch.length === 1) {
        this.log.error({ err, durable: this.spec.durable, subject: batch[0]!.subject }, 'message failed on its own');
        return [outcome];
      }
      this.log.warn({ err, durable: this.spec.durable, messages: batch.length }, 'batch failed; splitting it to isolate the failing message');
      const mid = batch.length >>> 1;
      return [...(await this.outcomesOf(batch.slice(0, mid))), ...(await this.outcomesOf(batch.slice(mid)))];
    }
  }

  private async settle(msg: JsMsg, outcome: Outcome): Promise<void> {
    if (outcome.kind === 'ack') {
      msg.ack();
      return;
    }
    const deliveries = msg.info.redeliveryCount;
    if (outcome.kind === 'retry' && (outcome.transient || deliveries < this.maxDeliver)) {
      this.log.warn({ durable: this.spec.durable, subject: msg.subject, deliveries, reason: outcome.reason, transient: !!outcome.transient }, 'will retry');
      msg.nak(backoffMs[Math.min(deliveries - 1, backoffMs.length - 1)]);
      return;
    }
    try {
      await publishRaw(
        this.nc.jetstream(),
        deadLetterSubject(this.spec.durable),
        `${this.spec.durable}:${msg.info.streamSequence}`,
        msg.data,
        {
          [vigilHeaders.deadLetterReason]: outcome.reason.slice(0, 1024),
          [vigilHeaders.deadLetterStream]: this.spec.stream.name,
          [vigilHeaders.deadLetterSubject]: msg.subject,
          [vigilHeaders.deadLetterDeliveries]: String(deliveries),
          [vigilHeaders.deadLetterReceivedAt]: new Date(Math.floor(msg.info.timestampNanos / 1e6)).toISOString(),
        },
      );
      this.log.error({ durable: this.spec.durable, subject: msg.subject, deliveries, reason: outcome.reason }, 'dead-lettered');
      // No reason argument: `+TERM <reason>` is NATS 2.10+; a 2.9 server ignores it and redelivers.
      msg.term();
    } catch (err) {
      // Could not park it: keep it in the stream rather than lose it.
      this.log.error({ err, durable: this.spec.durable }, 'dead-letter publish failed; will redeliver');
      msg.nak(backoffMs[backoffMs.length - 1]);
    }
  }
}

export const deadLetterStream = streams.deadLetters;
