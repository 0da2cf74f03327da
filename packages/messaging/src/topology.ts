import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  nanos,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from 'nats';
import type { StreamDefinition } from '@vigil/contracts';

const DAY_MS = 24 * 60 * 60 * 1000;

function streamConfig(def: StreamDefinition): Partial<StreamConfig> {
  return {
    name: def.name,
    subjects: [...def.subjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(def.maxAgeDays * DAY_MS),
    duplicate_window: nanos(def.duplicateWindowMinutes * 60 * 1000),
    num_replicas: 1,
  };
}

/** Creates each stream, or brings an existing one to the declared config. Safe to run from every service. */
export async function ensureStreams(jsm: JetStreamManager, defs: readonly StreamDefinition[]): Promise<void> {
  for (const def of defs) {
    const cfg = streamConfig(def);
    try {
      await jsm.streams.info(def.name);
      await jsm.streams.update(def.name, cfg);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await jsm.streams.add(cfg);
      } catch (addErr) {
        // Another service created it between our info and add.
        if (!/already in use|exists/i.test(String(addErr))) throw addErr;
      }
    }
  }
}

export interface ConsumerSpec {
  stream: StreamDefinition;
  /** Durable name, `<service>-<what>`; also names the dead-letter subject. */
  durable: string;
  /** Omitted: every subject of the stream (NATS 2.9 takes one filter per consumer). */
  filterSubject?: string;
  /** Deliveries before a message that keeps failing (not transiently) is dead-lettered. */
  maxDeliver?: number;
  ackWaitMs?: number;
  maxAckPending?: number;
}

/** Defaults for a durable whose spec doesn't say (services take theirs from validated config). */
export const consumerDefaults = { maxDeliver: 5, ackWaitMs: 30_000, maxAckPending: 1000 };

export function consumerConfig(spec: ConsumerSpec): Partial<ConsumerConfig> {
  return {
    durable_name: spec.durable,
    ...(spec.filterSubject ? { filter_subject: spec.filterSubject } : {}),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(spec.ackWaitMs ?? consumerDefaults.ackWaitMs),
    // Unlimited: the runner decides. It dead-letters after maxDeliver failures of the message's own
    // making, but retries transient ones (database or NATS away) for as long as they last; a server
    // limit would silently strand those messages instead.
    max_deliver: -1,
    max_ack_pending: spec.maxAckPending ?? consumerDefaults.maxAckPending,
  };
}

/** Creates the durable pull consumer, or updates the mutable parts of an existing one. */
export async function ensureConsumer(jsm: JetStreamManager, spec: ConsumerSpec): Promise<void> {
  const cfg = consumerConfig(spec);
  try {
    await jsm.consumers.info(spec.stream.name, spec.durable);
    await jsm.consumers.update(spec.stream.name, spec.durable, {
      ack_wait: cfg.ack_wait,
      max_deliver: cfg.max_deliver,
      max_ack_pending: cfg.max_ack_pending,
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.consumers.add(spec.stream.name, cfg);
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { code?: string | number; api_error?: { err_code?: number } };
  return e?.api_error?.err_code === 10059 || e?.api_error?.err_code === 10014 || /not found/i.test(String(err));
}
