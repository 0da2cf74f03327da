/** What a consumer finally did with a message. */
export type SettledAs = 'ack' | 'retry' | 'dead_letter';

/**
 * Counters the messaging code reports to; the service platform backs them with Prometheus metrics.
 * Kept as an interface so this package carries no metrics library and tests can pass a plain object.
 */
export interface MessagingMetrics {
  /** A message was handed to the consumer; `deliveries` > 1 is a redelivery. */
  consumerDelivered?(durable: string, deliveries: number): void;
  /** `count` messages of one batch were settled the same way. */
  consumerSettled?(durable: string, outcome: SettledAs, count: number): void;
  /** A batch failed as a whole and was split to isolate the failing message. */
  consumerBatchSplit?(durable: string): void;
  /** Events the outbox relay published (JetStream acked), by event type. */
  outboxPublished?(eventType: string, count: number): void;
}
