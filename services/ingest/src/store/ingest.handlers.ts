import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { JsMsg } from 'nats';
import {
  INGEST_SUBMITTED,
  deriveId,
  parseProducerEvent,
  streams,
  type VigilEvent,
} from '@vigil/contracts';
import type { Logger } from 'pino';
import { ack, correlationIdOf, enqueueEvents, type Outcome } from '@vigil/messaging';
import { CONFIG, LOGGER, ServiceRuntime, eventTimeBounds } from '@vigil/platform';
import { eventSizeProblem, type EventTimeBounds } from '@vigil/contracts';
import type { IngestConfig } from '../config';
import { RawEventRepository, type NewRawEvent } from './raw-event.repository';

// fatal: invalid UTF-8 on the bus is refused with a reason, not silently turned into U+FFFD.
const decoder = new TextDecoder('utf-8', { fatal: true });
/**
 * Ingest judges event times against when the message entered the stream, with this much slack over
 * the gateway's bounds: an event the gateway accepted a moment earlier is never refused here.
 */
const TIME_BOUNDS_SLACK_MS = 60_000;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Normalised {
  orgId: string;
  raw: NewRawEvent;
  event: VigilEvent;
  /** The message's correlation id: the events it causes carry it on, whatever batch it shared. */
  correlationId?: string;
}

/**
 * Consumes raw producer events (from the gateway or straight from NATS), stores them in the org's
 * hash chain and, in the same transaction, queues the normalised per-type event for publishing.
 * Invalid input is dead-lettered with the reason; the stream never silently drops anything.
 */
@Injectable()
export class IngestHandlers implements OnModuleInit {
  private readonly timeBounds: EventTimeBounds;

  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly repo: RawEventRepository,
    @Inject(CONFIG) config: IngestConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    const bounds = eventTimeBounds(config);
    this.timeBounds = { maxFutureMs: bounds.maxFutureMs + TIME_BOUNDS_SLACK_MS, maxAgeMs: bounds.maxAgeMs + TIME_BOUNDS_SLACK_MS };
  }

  onModuleInit(): void {
    this.runtime.consume(
      { stream: streams.ingest, durable: 'ingest-submitted', filterSubject: `${INGEST_SUBMITTED}.*`, maxAckPending: 4096 },
      (msgs) => this.handleBatch(msgs),
      512,
    );
  }

  async handleBatch(msgs: JsMsg[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = new Array(msgs.length);
    const byOrg = new Map<string, { index: number; n: Normalised }[]>();
    msgs.forEach((msg, index) => {
      const r = normalise(msg, this.timeBounds);
      if ('reason' in r) {
        outcomes[index] = { kind: 'dead-letter', reason: r.reason };
        return;
      }
      const list = byOrg.get(r.orgId) ?? [];
      list.push({ index, n: r });
      byOrg.set(r.orgId, list);
    });
    if (!byOrg.size) return outcomes;

    // A failing transaction throws: the runner retries the halves of the batch on their own, so one
    // unstorable event can't take its valid neighbours down with it.
    const storedEvents: Normalised[] = [];
    await this.repo.db.transaction().execute(async (tx) => {
      // Fixed lock order across batches: no deadlocks between concurrent ingest replicas.
      for (const orgId of [...byOrg.keys()].sort()) {
        const items = byOrg.get(orgId)!;
        const stored = await this.repo.append(tx, orgId, items.map((i) => i.n.raw));
        const storedIds = new Set(stored.map((s) => s.eventId));
        // A batch may carry the same event twice; publish it once.
        const publish = [...new Map(items.filter((i) => storedIds.has(i.n.raw.eventId)).map((i) => [i.n.event.id, i.n])).values()];
        await enqueueEvents(
          tx,
          publish.map((n) => n.event),
          { correlationId: (_e, index) => publish[index]!.correlationId },
        );
        storedEvents.push(...publish);
      }
    });
    for (const items of byOrg.values()) for (const i of items) outcomes[i.index] = ack;
    this.logStored(storedEvents);
    return outcomes;
  }

  /** One line per org and correlation id: each request's events can be followed into the chain. */
  private logStored(stored: Normalised[]): void {
    if (!this.log.isLevelEnabled('info')) return;
    const groups = new Map<string, { orgId: string; correlationId?: string; eventIds: string[] }>();
    for (const n of stored) {
      const key = `${n.orgId} ${n.correlationId ?? ''}`;
      const g = groups.get(key) ?? { orgId: n.orgId, correlationId: n.correlationId, eventIds: [] };
      g.eventIds.push(n.event.id);
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      this.log.info({ orgId: g.orgId, stored: g.eventIds.length, eventIds: g.eventIds.slice(0, 20), correlationId: g.correlationId }, 'events stored');
    }
  }
}

function normalise(msg: Pick<JsMsg, 'subject' | 'data' | 'info' | 'headers'>, timeBounds: EventTimeBounds): Normalised | { reason: string } {
  const orgId = msg.subject.slice(INGEST_SUBMITTED.length + 1);
  if (!uuidPattern.test(orgId)) return { reason: `subject ${msg.subject} does not end in an organisation id` };
  const tooLarge = eventSizeProblem(msg.data.length);
  if (tooLarge) return { reason: `payload ${tooLarge}` };
  let text: string;
  try {
    text = decoder.decode(msg.data);
  } catch {
    return { reason: 'payload is not valid UTF-8' };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { reason: 'payload is not valid JSON' };
  }
  const receivedAt = new Date(Math.floor(msg.info.timestampNanos / 1e6));
  const parsed = parseProducerEvent(raw, { receivedAt, timeBounds });
  if (!parsed.ok) return { reason: parsed.errors.map((e) => `${e.pointer}: ${e.message}`).join('; ') };
  const { envelope, definition, data } = parsed.value;
  if (envelope.orgid !== undefined && envelope.orgid !== orgId) return { reason: '/orgid: does not match the subject\'s organisation' };

  const eventId = deriveId(orgId, envelope.source, envelope.id);
  // No producer time: the moment the event entered the stream, not whenever ingest got to it.
  const occurredAt = (envelope.time !== undefined ? new Date(envelope.time) : receivedAt).toISOString();
  const stored = { ...envelope, orgid: orgId, dataschema: definition.dataschema };
  const event: VigilEvent = {
    specversion: '1.0',
    id: eventId,
    source: envelope.source,
    type: definition.type,
    time: occurredAt,
    ...(envelope.subject !== undefined ? { subject: envelope.subject } : {}),
    datacontenttype: 'application/json',
    dataschema: definition.dataschema,
    orgid: orgId,
    data,
  };
  return {
    orgId,
    correlationId: correlationIdOf(msg),
    raw: { eventId, producerId: envelope.id, source: envelope.source, type: definition.type, dataschema: definition.dataschema, occurredAt, envelope: stored },
    event,
  };
}
