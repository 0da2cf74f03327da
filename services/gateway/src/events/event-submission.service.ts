import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import {
  MAX_BATCH_EVENTS,
  deriveId,
  eventSizeProblem,
  headers as vigilHeaders,
  ingestSubmittedSubject,
  intakeMac,
  parseProducerEvent,
  type EventResultV1,
  type SubmissionOutcomeV1,
} from '@vigil/contracts';
import { AckedPublisher, correlationHeaders, currentCorrelationId } from '@vigil/messaging';
import { CONFIG, LOGGER, Metrics, NATS, ProblemException, eventTimeBounds, type Counter } from '@vigil/platform';
import type { GatewayConfig } from '../config';
import { IngestConfirmations } from './ingest-confirmations';

/** Room left in a batch message for its headers, under the server's max_payload. */
const BATCH_MESSAGE_HEADROOM_BYTES = 16 * 1024;

export interface Accepted {
  index: number;
  eventId: string;
  /** The event as it goes to ingest, JSON; encoded once per message, not per event. */
  json: string;
  bytes: number;
}

export type EventResult = EventResultV1;
export type SubmissionOutcome = SubmissionOutcomeV1;

/**
 * Validates a CloudEvents batch event by event and hands the valid ones to ingest through JetStream.
 * An event is "accepted" only once JetStream has persisted it; its Vigil id is derived from (org,
 * source, id), so a producer retrying a batch never creates a second copy.
 */
@Injectable()
export class EventSubmissionService implements OnModuleInit, OnApplicationShutdown {
  private readonly timeBounds;
  private readonly confirmMs: number;
  /** Absent when the gateway does not wait for ingest (VIGIL_INGEST_CONFIRM_MS=0). */
  private readonly confirmations?: IngestConfirmations;
  private publisher?: AckedPublisher;
  private readonly outcomes: Counter<'outcome'>;
  private readonly intakeKey?: string;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(CONFIG) config: GatewayConfig,
    metrics: Metrics,
  ) {
    this.timeBounds = eventTimeBounds(config);
    this.confirmMs = config.VIGIL_INGEST_CONFIRM_MS;
    if (this.confirmMs > 0) this.confirmations = new IngestConfirmations(nc, log);
    this.intakeKey = config.VIGIL_INTAKE_KEY;
    this.outcomes = metrics.counter({
      name: 'vigil_gateway_events_total',
      help: 'Events submitted over HTTP, by outcome: accepted (stored in JetStream), duplicate or rejected',
      labelNames: ['outcome'],
    });
    for (const outcome of ['accepted', 'duplicate', 'rejected']) this.outcomes.labels(outcome).inc(0);
  }

  onModuleInit(): void {
    this.confirmations?.start();
    // One reply subscription for every JetStream ack: js.publish makes each a request with its own timer.
    this.publisher = new AckedPublisher(this.nc);
  }

  /** After the HTTP server has closed, so no request still waits. */
  onApplicationShutdown(): void {
    this.confirmations?.close();
    this.publisher?.close();
  }

  /** `allowedTypes`: the API key's event-type allow-list (null: every producer type). */
  async submit(orgId: string, body: unknown, allowedTypes: readonly string[] | null = null): Promise<SubmissionOutcome> {
    if (!Array.isArray(body)) {
      throw new ProblemException({
        status: 400,
        title: 'Bad Request',
        detail: 'body must be a JSON array of CloudEvents (a batch), e.g. [{"specversion":"1.0",...}]',
        errors: [{ pointer: '', message: `expected an array, got ${body === null ? 'null' : typeof body}` }],
      });
    }
    if (body.length === 0) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'the batch is empty', errors: [{ pointer: '', message: 'at least one event is required' }] });
    if (body.length > MAX_BATCH_EVENTS) {
      throw new ProblemException({ status: 413, title: 'Payload Too Large', detail: `at most ${MAX_BATCH_EVENTS} events per batch, got ${body.length}` });
    }

    const results: EventResult[] = new Array(body.length);
    const toPublish: Accepted[] = [];
    const seenInBatch = new Set<string>();
    const receivedAt = new Date();
    body.forEach((raw: unknown, index) => {
      const id = echoableId(raw);
      const parsed = parseProducerEvent(raw, { receivedAt, timeBounds: this.timeBounds });
      if (!parsed.ok) {
        results[index] = { index, id, status: 'rejected', errors: parsed.errors.map((e) => ({ pointer: `/${index}${e.pointer === '/' ? '' : e.pointer}`, message: e.message })) };
        return;
      }
      const { envelope } = parsed.value;
      if (allowedTypes && !allowedTypes.includes(envelope.type)) {
        results[index] = { index, id, status: 'rejected', errors: [{ pointer: `/${index}/type`, message: `this API key may only submit ${allowedTypes.join(', ')} events` }] };
        return;
      }
      if (envelope.orgid !== undefined && envelope.orgid !== orgId) {
        results[index] = { index, id, status: 'rejected', errors: [{ pointer: `/${index}/orgid`, message: 'does not match the organisation of the API key (omit it; Vigil sets it)' }] };
        return;
      }
      const eventId = deriveId(orgId, envelope.source, envelope.id);
      if (seenInBatch.has(eventId)) {
        results[index] = { index, id, status: 'duplicate', eventId };
        return;
      }
      seenInBatch.add(eventId);
      // Set on the parsed copy (never the producer's object): stringifying a spread copy took three times as long.
      envelope.orgid = orgId;
      const json = JSON.stringify(envelope);
      const bytes = Buffer.byteLength(json);
      const tooLarge = eventSizeProblem(bytes);
      if (tooLarge) {
        results[index] = { index, id, status: 'rejected', errors: [{ pointer: `/${index}`, message: tooLarge }] };
        return;
      }
      results[index] = { index, id, status: 'accepted', eventId };
      toPublish.push({ index, eventId, json, bytes });
    });

    if (toPublish.length) await this.handOver(orgId, toPublish, results);

    const count = (s: EventResult['status']) => results.filter((r) => r.status === s).length;
    const outcome = { accepted: count('accepted'), duplicates: count('duplicate'), rejected: count('rejected'), results };
    this.outcomes.labels('accepted').inc(outcome.accepted);
    this.outcomes.labels('duplicate').inc(outcome.duplicates);
    this.outcomes.labels('rejected').inc(outcome.rejected);
    return outcome;
  }

  /**
   * Hands the valid events to ingest as few JetStream messages as fit (one per request as a rule):
   * "accepted" means persisted in JetStream. The message id is a digest of the events' ids, so a
   * retried request is stored once. Then waits (bounded) for ingest to confirm the batch stored, to
   * name the events it already had as duplicates.
   */
  private async handOver(orgId: string, accepted: Accepted[], results: EventResult[]): Promise<void> {
    const chunks = chunkForMessages(accepted, (this.nc.info?.max_payload ?? 1024 * 1024) - BATCH_MESSAGE_HEADROOM_BYTES);
    const confirmations = this.confirmations?.open();
    const publisher = this.publisher!;
    const subject = ingestSubmittedSubject(orgId);
    // The request's correlation id rides along, so ingest and everything downstream log it too.
    const headers = { ...correlationHeaders(currentCorrelationId()), ...(confirmations ? { [vigilHeaders.confirmTo]: confirmations.subject } : {}) };
    const acks = await Promise.allSettled(
      // async: a publish that throws is a failed publish (503) like one that rejects.
      chunks.map(async (c) => publisher.publish(subject, c.payload, c.msgId, this.intakeKey ? { ...headers, [vigilHeaders.intakeMac]: intakeMac(this.intakeKey, subject, c.payload) } : headers)),
    );
    const failed = acks.filter((a) => a.status === 'rejected');
    if (failed.length) {
      confirmations?.cancel();
      this.log.error({ err: (failed[0] as PromiseRejectedResult).reason, failed: failed.length }, 'JetStream publish failed');
      throw new ProblemException({
        status: 503,
        title: 'Service Unavailable',
        detail: `${accepted.length} events could not be handed to storage; retry the whole batch (events already stored are deduplicated by their id)`,
      });
    }
    const waitingFor = new Set<string>();
    acks.forEach((a, i) => {
      const chunk = chunks[i]!;
      // The same events sent before (a retried request): JetStream already holds them.
      if (a.status === 'fulfilled' && a.value.duplicate) for (const e of chunk.events) results[e.index] = { index: e.index, id: results[e.index]!.id, status: 'duplicate', eventId: e.eventId };
      else waitingFor.add(chunk.msgId);
    });
    if (!confirmations) return;
    const answers = await confirmations.until(waitingFor, this.confirmMs);
    if (answers.size < waitingFor.size) this.log.warn({ waiting: waitingFor.size, confirmed: answers.size, ms: this.confirmMs }, 'ingest did not confirm in time; answering without naming duplicates');
    for (const chunk of chunks) {
      const answer = answers.get(chunk.msgId);
      if (!answer) continue;
      const duplicates = new Set(answer.duplicates);
      for (const e of chunk.events) if (duplicates.has(e.eventId)) results[e.index] = { index: e.index, id: results[e.index]!.id, status: 'duplicate', eventId: e.eventId };
      for (const d of answer.deadLettered) {
        const e = chunk.events[d.index];
        if (e) results[e.index] = { index: e.index, id: results[e.index]!.id, status: 'rejected', errors: [{ pointer: `/${e.index}`, message: `could not be stored (kept as a dead letter): ${d.reason}` }] };
      }
    }
  }
}

/** The producer's id, echoed back only when it is a plausible id (never a hostile blob). */
function echoableId(raw: unknown): string | number | undefined {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  if (typeof id === 'number' && Number.isFinite(id)) return id;
  if (typeof id === 'string' && id.length <= 128) return id;
  return undefined;
}

export interface Chunk {
  msgId: string;
  payload: Uint8Array;
  events: Accepted[];
}

/** Splits the events into JSON-array messages of at most `room` bytes (and MAX_BATCH_EVENTS events). */
export function chunkForMessages(accepted: Accepted[], room: number): Chunk[] {
  const chunks: Chunk[] = [];
  let events: Accepted[] = [];
  let bytes = 2;
  const close = () => {
    if (!events.length) return;
    // Encoded straight into the message (`bytes` counts one comma too many): joining the events into
    // one string first and encoding that cost up to ten times as much for a batch of 1,000.
    const payload = Buffer.allocUnsafe(bytes - 1);
    payload[0] = 0x5b; // [
    let at = 1;
    for (let i = 0; i < events.length; i++) {
      if (i) payload[at++] = 0x2c; // ,
      at += payload.write(events[i]!.json, at);
    }
    // allocUnsafe: a byte left unwritten would carry old memory to ingest. It can't be, so say so loudly.
    if (at !== payload.length - 1) throw new Error(`batch payload of ${payload.length} bytes ended at ${at}`);
    payload[at] = 0x5d; // ]
    // The ids joined, hashed in one update: the same digest as one update per id (earlier versions' msg ids).
    chunks.push({ msgId: `batch:${createHash('sha256').update(events.map((e) => e.eventId).join('')).digest('base64url')}`, payload, events });
    events = [];
    bytes = 2;
  };
  for (const e of accepted) {
    if (events.length && (bytes + e.bytes + 1 > room || events.length >= MAX_BATCH_EVENTS)) close();
    events.push(e);
    bytes += e.bytes + 1;
  }
  close();
  return chunks;
}
