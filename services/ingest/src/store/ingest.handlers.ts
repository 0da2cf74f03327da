import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { JsMsg, NatsConnection } from 'nats';
import {
  INGEST_SUBMITTED,
  MAX_BATCH_EVENTS,
  deriveId,
  eventSizeProblem,
  eventSubject,
  headers as vigilHeaders,
  isIntakeMacValid,
  isProducerType,
  parseProducerEvent,
  resolveDefinition,
  streams,
  type EventTimeBounds,
  type CloudEventEnvelope,
  type EventDefinition,
  type IngestConfirmationV1,
  type VigilEvent,
} from '@vigil/contracts';
import type { Logger } from 'pino';
import { AckedPublisher, ack, classifyFailure, crashPoint, correlationHeaders, correlationIdOf, describeError, encodeEvent, failureOutcome, packEventBatches, publishDeadLetter, type Outcome } from '@vigil/messaging';
import { CONFIG, LOGGER, Metrics, NATS, ServiceRuntime, eventTimeBounds, type Counter } from '@vigil/platform';
import type { IngestConfig } from '../config';
import { RawEventRepository, type NewRawEvent } from './raw-event.repository';
import { GeoLocator, type IpLocator } from '../enrichment/geo-locator';
import { enrichEventData } from '../enrichment/enrich-event';

const DURABLE = 'ingest-submitted';
// fatal: invalid UTF-8 on the bus is refused with a reason, not silently turned into U+FFFD.
const decoder = new TextDecoder('utf-8', { fatal: true });
/**
 * Ingest judges event times against when the message entered the stream, with this much slack over
 * the gateway's bounds: an event the gateway accepted a moment earlier is never refused here.
 */
const TIME_BOUNDS_SLACK_MS = 60_000;
/** Events per PostgreSQL transaction: bounds memory and lock time whatever the messages carry. */
const EVENTS_PER_TRANSACTION = 2_000;
/** Messages handed over at once: with up to 1,000 events each, the transaction bound above applies. */
const MESSAGES_PER_BATCH = 64;
/** Room left in a published batch for its headers, under the server's max_payload. */
const PUBLISH_HEADROOM_BYTES = 16 * 1024;
/** Deliveries after which an event of a batch message that keeps failing on its own is parked. */
const ITEM_MAX_DELIVERIES = 5;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Normalised {
  orgId: string;
  raw: NewRawEvent;
  /** What the published event is made of, after the store is confirmed (see publishedEvent). */
  data: unknown;
  subject?: string;
}

/** One message in hand: a single event, or a batch (a JSON array, as the gateway sends a request). */
interface MessageState {
  msg: JsMsg;
  /** Set once the message can't be acked: retry or dead-letter. */
  outcome?: Outcome;
  /** A dead letter replayed: publish its events again even if another message stored them. */
  republish: boolean;
  correlationId?: string;
  items: Item[];
  duplicates: string[];
  deadLettered: { index: number; reason: string }[];
}

interface Item {
  state: MessageState;
  /** Position in a batch message; null for a single-event message. */
  index: number | null;
  n: Normalised;
  /**
   * fresh: appended now; mine: stored by an earlier delivery of this same message (which may have died
   * before publishing it); existing: stored by another message (a duplicate).
   */
  stored?: 'fresh' | 'mine' | 'existing';
}

/**
 * Consumes raw producer events (batches from the gateway, or single events or batches straight from
 * NATS), stores them in the org's hash chain, then publishes each new one on its type's subject and
 * only then acks. There is no outbox: publishing is idempotent (Nats-Msg-Id = event id, inboxes
 * downstream), so a crash between commit and publish is repaired by the redelivery, which finds the
 * events stored under its own stream sequence and publishes them again. Invalid input is dead-lettered with the reason — a whole message when it is
 * unreadable, one event when only that event is bad — and never takes valid neighbours with it.
 */
@Injectable()
export class IngestHandlers implements OnModuleInit {
  private readonly timeBounds: EventTimeBounds;
  private readonly concurrency: number;
  private readonly intakeKey?: string;
  private publisher?: AckedPublisher;
  private readonly events: Counter<'outcome'>;
  private readonly published: Counter<'event_type'>;

  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly repo: RawEventRepository,
    private readonly geo: GeoLocator,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(CONFIG) config: IngestConfig,
    @Inject(LOGGER) private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.events = metrics.counter({
      name: 'vigil_ingest_events_total',
      help: 'Events ingest judged, by outcome: stored (new in the chain), duplicate (already stored) or dead_letter',
      labelNames: ['outcome'],
    });
    for (const outcome of ['stored', 'duplicate', 'dead_letter']) this.events.labels(outcome).inc(0);
    this.published = metrics.counter({ name: 'vigil_events_published_total', help: 'Events ingest published on their type\'s subject ("events out"), by event type', labelNames: ['event_type'] });
    this.concurrency = config.VIGIL_INGEST_CONCURRENCY;
    this.intakeKey = config.VIGIL_INTAKE_KEY;
    const bounds = eventTimeBounds(config);
    this.timeBounds = { maxFutureMs: bounds.maxFutureMs + TIME_BOUNDS_SLACK_MS, maxAgeMs: bounds.maxAgeMs + TIME_BOUNDS_SLACK_MS };
    // Stale location data shows in the log at every start.
    log.info({ geoDataBuiltAt: geo.builtAt.toISOString() }, 'IP location data loaded');
  }

  onModuleInit(): void {
    // Lives as long as the connection: the runtime drains the consumers, then NATS, at shutdown.
    this.publisher = new AckedPublisher(this.nc);
    this.runtime.consume(
      { stream: streams.ingest, durable: DURABLE, filterSubject: `${INGEST_SUBMITTED}.*`, maxAckPending: 1024 },
      (msgs) => this.handleBatch(msgs),
      MESSAGES_PER_BATCH,
      // Safe side by side: appends to one org's chain serialise on its head's row lock, and order
      // downstream is not relied on.
      { concurrency: this.concurrency },
    );
  }

  /** Never throws for one message's sake: isolation happens here, down to the single event. */
  async handleBatch(msgs: JsMsg[]): Promise<Outcome[]> {
    const states: MessageState[] = [];
    for (const msg of msgs) states.push(await this.read(msg));

    let group: MessageState[] = [];
    let events = 0;
    for (const state of states) {
      if (state.outcome) continue;
      // Every event of it was parked: nothing to store, but the gateway still waits for the answer.
      if (!state.items.length) {
        this.confirm(state);
        continue;
      }
      group.push(state);
      events += state.items.length;
      if (events >= EVENTS_PER_TRANSACTION) {
        await this.process(group);
        group = [];
        events = 0;
      }
    }
    if (group.length) await this.process(group);

    return states.map((s) => s.outcome ?? ack);
  }

  /** Parses a message into its events; bad events of a batch are parked one by one right away. */
  private async read(msg: JsMsg): Promise<MessageState> {
    const state: MessageState = {
      msg,
      republish: !!msg.headers?.has(vigilHeaders.replayOf),
      correlationId: correlationIdOf(msg),
      items: [],
      duplicates: [],
      deadLettered: [],
    };
    const parsed = parsePayload(msg);
    if ('reason' in parsed) {
      state.outcome = { kind: 'dead-letter', reason: parsed.reason };
      return state;
    }
    const { orgId, payload } = parsed;
    const receivedAt = new Date(Math.floor(msg.info.timestampNanos / 1e6));
    // Sealed by the gateway, which validated every event of it: not validated twice. Anything else
    // (a bus producer, a forged or altered seal, a replayed dead letter) is validated in full below.
    const vouched = this.intakeKey !== undefined && isIntakeMacValid(this.intakeKey, msg.subject, msg.data, msg.headers?.get(vigilHeaders.intakeMac));
    if (!Array.isArray(payload)) {
      const tooLarge = eventSizeProblem(msg.data.length);
      const r = tooLarge ? { reason: `payload ${tooLarge}` } : normalise(orgId, payload, receivedAt, msg.info.streamSequence, this.timeBounds, this.geo, '', vouched);
      if ('reason' in r) state.outcome = { kind: 'dead-letter', reason: r.reason };
      else state.items.push({ state, index: null, n: r });
      return state;
    }
    if (payload.length === 0 || payload.length > MAX_BATCH_EVENTS) {
      state.outcome = { kind: 'dead-letter', reason: `a batch message holds 1 to ${MAX_BATCH_EVENTS} events, this one ${payload.length}` };
      return state;
    }
    // Every event fits when the whole message does; only a large message needs each one measured.
    const measure = !vouched && eventSizeProblem(msg.data.length) !== undefined;
    for (const [index, raw] of payload.entries()) {
      const tooLarge = measure ? eventSizeProblem(Buffer.byteLength(JSON.stringify(raw))) : undefined;
      const r = tooLarge ? { reason: `/${index}: ${tooLarge}` } : normalise(orgId, raw, receivedAt, msg.info.streamSequence, this.timeBounds, this.geo, `/${index}`, vouched);
      if ('reason' in r) await this.deadLetterItem(state, index, raw, r.reason);
      else state.items.push({ state, index, n: r });
    }
    return state;
  }

  /** Stores a group of messages' events, publishes them, and settles what failed. */
  private async process(group: MessageState[]): Promise<void> {
    const items = group.flatMap((s) => s.items);
    await this.store(items);

    const toPublish = new Map<string, Item>();
    for (const item of items) {
      if (item.state.outcome || !item.stored) continue;
      if (item.stored === 'existing' && item.index !== null) item.state.duplicates.push(item.n.raw.eventId);
      if (item.stored !== 'existing' || item.state.republish) toPublish.set(item.n.raw.eventId, item);
    }
    // Stored is what the gateway's "accepted" waits for; publishing follows before the ack, and a
    // failure there is repaired by the redelivery, which the producer need not wait for.
    for (const state of group) if (!state.outcome) this.confirm(state);
    // One CloudEvents batch per message and type: a request's events cost JetStream one store and ack,
    // not one each. A redelivery publishes the same events (stored fresh or by this same message), so
    // the same message id, and JetStream drops the copy; past its window, consumers' inboxes do.
    const byMessageAndType = new Map<string, Item[]>();
    for (const item of toPublish.values()) {
      const key = `${item.state.msg.info.streamSequence} ${item.n.raw.type}`;
      const list = byMessageAndType.get(key) ?? [];
      list.push(item);
      byMessageAndType.set(key, list);
    }
    const room = (this.nc.info?.max_payload ?? 1024 * 1024) - PUBLISH_HEADROOM_BYTES;
    const messages = [...byMessageAndType.values()].flatMap((list) =>
      packEventBatches(list, { value: (item) => publishedEvent(item.n, this.geo), id: (item) => item.n.raw.eventId, room, maxEvents: MAX_BATCH_EVENTS, msgIdPrefix: 'events:' }),
    );
    const published = await Promise.allSettled(
      messages.map(({ items: [first], payload, msgId }) =>
        this.publisher!.publish(eventSubject(first!.n.raw.type, first!.n.orgId), payload, msgId, correlationHeaders(first!.state.correlationId)),
      ),
    );
    const byType = new Map<string, number>();
    messages.forEach(({ items: batch }, i) => {
      const r = published[i]!;
      const type = batch[0]!.n.raw.type;
      // A republish JetStream drops as a duplicate is not a new event out.
      if (r.status === 'fulfilled' && !r.value.duplicate) byType.set(type, (byType.get(type) ?? 0) + batch.length);
      // Stored but not published: the redelivery finds them stored by this same message and publishes them.
      if (r.status === 'rejected') for (const item of batch) item.state.outcome ??= { kind: 'retry', reason: `publish failed: ${describeError(r.reason)}`, transient: true };
    });
    for (const [type, n] of byType) this.published.labels(type).inc(n);
    const stored = items.filter((i) => i.stored === 'fresh');
    this.events.labels('stored').inc(stored.length);
    this.events.labels('duplicate').inc(items.filter((i) => i.stored === 'existing').length);
    this.logStored(stored);
  }

  /**
   * Appends the events (one statement per org); when that fails for something other than a passing outage,
   * the halves are tried on their own until the one event that can't be stored is found and parked.
   */
  private async store(all: Item[]): Promise<void> {
    const items = all.filter((i) => !i.stored);
    if (!items.length) return;
    try {
      await this.append(items);
      return;
    } catch (err) {
      const failure = classifyFailure(err);
      if (failure === 'transient') {
        for (const item of items) item.state.outcome ??= { kind: 'retry', reason: describeError(err), transient: true };
        this.log.warn({ err, events: items.length }, 'store failed transiently; will retry');
        return;
      }
      if (items.length > 1) {
        const mid = items.length >>> 1;
        await this.store(items.slice(0, mid));
        await this.store(items.slice(mid));
        return;
      }
      const [item] = items as [Item];
      this.log.error({ err, eventId: item.n.raw.eventId, correlationId: item.state.correlationId }, 'event failed on its own');
      const outcome = failureOutcome(err);
      const giveUp = outcome.kind === 'dead-letter' || item.state.msg.info.redeliveryCount >= ITEM_MAX_DELIVERIES;
      // A single-event message goes the runner's way; one event of a batch is parked alone.
      if (item.index === null || !giveUp) item.state.outcome ??= outcome;
      else await this.deadLetterItem(item.state, item.index, item.n.raw.envelope, describeError(err));
    }
  }

  /**
   * Appends each org's events in one statement of its own (raw-event.repository.ts). An org appended
   * before a later one failed stays stored and marked, so a retry or split never stores it twice.
   */
  private async append(items: Item[]): Promise<void> {
    const byOrg = new Map<string, Item[]>();
    for (const item of items) {
      const list = byOrg.get(item.n.orgId) ?? [];
      list.push(item);
      byOrg.set(item.n.orgId, list);
    }
    crashPoint(DURABLE, 'before-commit');
    for (const [orgId, list] of byOrg) {
      const appended = await this.repo.append(orgId, list.map((i) => i.n.raw));
      const fresh = new Set(appended.fresh.map((e) => e.eventId));
      // The first item with an id is the one that stored it; a repeat in the same group is a duplicate.
      for (const item of list) {
        item.stored = fresh.delete(item.n.raw.eventId) ? 'fresh' : appended.storedBySameMessage.has(item.n.raw.eventId) ? 'mine' : 'existing';
      }
    }
    crashPoint(DURABLE, 'after-commit');
  }

  private async deadLetterItem(state: MessageState, index: number, raw: unknown, reason: string): Promise<void> {
    const msg = state.msg;
    let data: Uint8Array;
    try {
      data = encodeEvent(raw);
    } catch {
      // Too deep for JSON.stringify (JSON.parse takes more): park the whole message's bytes, named by index.
      data = msg.data;
    }
    try {
      await publishDeadLetter(this.nc, {
        durable: DURABLE,
        stream: streams.ingest.name,
        subject: msg.subject,
        msgId: `${DURABLE}:${msg.info.streamSequence}:${index}`,
        data,
        reason,
        deliveries: msg.info.redeliveryCount,
        receivedAt: new Date(Math.floor(msg.info.timestampNanos / 1e6)),
        correlationId: state.correlationId,
      });
      state.deadLettered.push({ index, reason: reason.slice(0, 2000) });
      this.events.labels('dead_letter').inc();
    } catch (err) {
      // Could not park it: keep the whole message rather than lose the event.
      state.outcome ??= { kind: 'retry', reason: `dead-letter publish failed: ${describeError(err)}`, transient: true };
    }
  }

  /** Tells the gateway (when it waits) that the batch is stored, naming events stored before or parked. */
  private confirm(state: MessageState): void {
    const to = state.msg.headers?.get(vigilHeaders.confirmTo);
    if (!to) return;
    const answer: IngestConfirmationV1 = { msgId: state.msg.headers?.get('Nats-Msg-Id') ?? '', duplicates: state.duplicates, deadLettered: state.deadLettered };
    try {
      this.nc.publish(to, encodeEvent(answer));
    } catch (err) {
      // The gateway then answers without it (events accepted and stored, duplicates not named).
      this.log.warn({ err }, 'could not confirm a batch to the gateway');
    }
  }

  /** One line per org and correlation id: each request's events can be followed into the chain. */
  private logStored(stored: Item[]): void {
    if (!stored.length || !this.log.isLevelEnabled('info')) return;
    const groups = new Map<string, { orgId: string; correlationId?: string; eventIds: string[] }>();
    for (const { n, state } of stored) {
      const key = `${n.orgId} ${state.correlationId ?? ''}`;
      const g = groups.get(key) ?? { orgId: n.orgId, correlationId: state.correlationId, eventIds: [] };
      g.eventIds.push(n.raw.eventId);
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      this.log.info({ orgId: g.orgId, stored: g.eventIds.length, eventIds: g.eventIds.slice(0, 20), correlationId: g.correlationId }, 'events stored');
    }
  }
}

function parsePayload(msg: Pick<JsMsg, 'subject' | 'data'>): { orgId: string; payload: unknown } | { reason: string } {
  const orgId = msg.subject.slice(INGEST_SUBMITTED.length + 1);
  if (!uuidPattern.test(orgId)) return { reason: `subject ${msg.subject} does not end in an organisation id` };
  let text: string;
  try {
    text = decoder.decode(msg.data);
  } catch {
    return { reason: 'payload is not valid UTF-8' };
  }
  try {
    return { orgId, payload: JSON.parse(text) };
  } catch {
    return { reason: 'payload is not valid JSON' };
  }
}

/**
 * Validates one producer event exactly as the gateway does (or takes it as the gateway validated it,
 * `vouched`) and derives what is stored and published.
 */
function normalise(orgId: string, raw: unknown, receivedAt: Date, ingestSeq: number, timeBounds: EventTimeBounds, geo: IpLocator, at = '', vouched = false): Normalised | { reason: string } {
  let parsed = vouched ? asValidated(raw) : undefined;
  if (!parsed) {
    const checked = parseProducerEvent(raw, { receivedAt, timeBounds });
    if (!checked.ok) return { reason: checked.errors.map((e) => `${at}${e.pointer === '/' && at ? '' : e.pointer}: ${e.message}`).join('; ') };
    parsed = checked.value;
  }
  const { envelope, definition, data } = parsed;
  if (envelope.orgid !== undefined && envelope.orgid !== orgId) return { reason: `${at}/orgid: does not match the subject's organisation` };

  const eventId = deriveId(orgId, envelope.source, envelope.id);
  // No producer time: the moment the event entered the stream, not whenever ingest got to it.
  const occurredAt = (envelope.time !== undefined ? new Date(envelope.time) : receivedAt).toISOString();
  const stored = { ...envelope, orgid: orgId, dataschema: definition.dataschema };
  return {
    orgId,
    raw: { eventId, producerId: envelope.id, source: envelope.source, type: definition.type, dataschema: definition.dataschema, occurredAt, envelope: stored, ingestSeq },
    data,
    ...(envelope.subject !== undefined ? { subject: envelope.subject } : {}),
  };
}

/**
 * The event as published on its type's subject, enriched. Made after the store is confirmed: the
 * enrichment (location from the IP) is derived, so not chained, and nobody waits for it.
 */
function publishedEvent(n: Normalised, geo: IpLocator): VigilEvent {
  const { raw } = n;
  const enrichment = enrichEventData(raw.type, n.data, geo);
  return {
    specversion: '1.0',
    id: raw.eventId,
    source: raw.source,
    type: raw.type,
    time: raw.occurredAt,
    ...(n.subject !== undefined ? { subject: n.subject } : {}),
    datacontenttype: 'application/json',
    dataschema: raw.dataschema,
    orgid: n.orgId,
    data: n.data,
    ...(enrichment ? { enrichment } : {}),
  };
}

/**
 * An event the gateway validated, as parseProducerEvent would have returned it (the producer data
 * contracts only check, never transform, so the data is the event's own). A type this ingest does
 * not know (a gateway newer than it) is left to full validation.
 */
function asValidated(raw: unknown): { envelope: CloudEventEnvelope; definition: EventDefinition; data: unknown } | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const envelope = raw as CloudEventEnvelope;
  if (typeof envelope.type !== 'string' || !isProducerType(envelope.type)) return undefined;
  const definition = resolveDefinition(envelope.type, envelope.dataschema);
  return definition ? { envelope, definition, data: envelope.data } : undefined;
}
