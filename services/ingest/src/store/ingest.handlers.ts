import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { JsMsg } from 'nats';
import type { Logger } from 'pino';
import {
  INGEST_SUBMITTED,
  deriveId,
  parseProducerEvent,
  streams,
  type VigilEvent,
} from '@vigil/contracts';
import { ack, describeError, enqueueEvents, type Outcome } from '@vigil/messaging';
import { LOGGER, ServiceRuntime } from '@vigil/platform';
import { RawEventRepository, type NewRawEvent } from './raw-event.repository';

const decoder = new TextDecoder();
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Normalised {
  orgId: string;
  raw: NewRawEvent;
  event: VigilEvent;
}

/**
 * Consumes raw producer events (from the gateway or straight from NATS), stores them in the org's
 * hash chain and, in the same transaction, queues the normalised per-type event for publishing.
 * Invalid input is dead-lettered with the reason; the stream never silently drops anything.
 */
@Injectable()
export class IngestHandlers implements OnModuleInit {
  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly repo: RawEventRepository,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

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
      const r = normalise(msg);
      if ('reason' in r) {
        outcomes[index] = { kind: 'dead-letter', reason: r.reason };
        return;
      }
      const list = byOrg.get(r.orgId) ?? [];
      list.push({ index, n: r });
      byOrg.set(r.orgId, list);
    });
    if (!byOrg.size) return outcomes;

    try {
      await this.repo.db.transaction().execute(async (tx) => {
        // Fixed lock order across batches: no deadlocks between concurrent ingest replicas.
        for (const orgId of [...byOrg.keys()].sort()) {
          const items = byOrg.get(orgId)!;
          const stored = await this.repo.append(tx, orgId, items.map((i) => i.n.raw));
          const storedIds = new Set(stored.map((s) => s.eventId));
          const publish = items.filter((i) => storedIds.has(i.n.raw.eventId)).map((i) => i.n.event);
          // A batch may carry the same event twice; publish it once.
          await enqueueEvents(tx, [...new Map(publish.map((e) => [e.id, e])).values()]);
        }
      });
      for (const items of byOrg.values()) for (const i of items) outcomes[i.index] = ack;
    } catch (err) {
      this.log.error({ err }, 'storing batch failed');
      for (const items of byOrg.values()) for (const i of items) outcomes[i.index] = { kind: 'retry', reason: describeError(err) };
    }
    return outcomes;
  }
}

function normalise(msg: Pick<JsMsg, 'subject' | 'data'>): Normalised | { reason: string } {
  const orgId = msg.subject.slice(INGEST_SUBMITTED.length + 1);
  if (!uuidPattern.test(orgId)) return { reason: `subject ${msg.subject} does not end in an organisation id` };
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(msg.data));
  } catch {
    return { reason: 'payload is not valid JSON' };
  }
  const parsed = parseProducerEvent(raw);
  if (!parsed.ok) return { reason: parsed.errors.map((e) => `${e.pointer}: ${e.message}`).join('; ') };
  const { envelope, definition, data } = parsed.value;
  if (envelope.orgid !== undefined && envelope.orgid !== orgId) return { reason: '/orgid: does not match the subject\'s organisation' };

  const eventId = deriveId(orgId, envelope.source, envelope.id);
  const occurredAt = new Date(envelope.time ?? Date.now()).toISOString();
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
    raw: { eventId, producerId: envelope.id, source: envelope.source, type: definition.type, dataschema: definition.dataschema, occurredAt, envelope: stored },
    event,
  };
}
