import type { JsMsg } from 'nats';
import {
  cloudEventEnvelopeSchema,
  defaultEventTimeBounds,
  eventEnrichmentSchema,
  eventTimeProblem,
  zodErrors,
  type EventDefinition,
  type EventData,
  type EventTimeBounds,
  type VigilEvent,
} from '@vigil/contracts';
import { PermanentMessageError } from './errors';

// fatal: invalid UTF-8 is refused, not silently turned into U+FFFD.
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Internal events carry a time ingest already judged plausible (or their own creation time). Judged
 * again against when they entered their stream, with a day's slack, so an absurd time published
 * straight onto an internal subject is refused too, while a replay weeks later is not.
 */
const internalTimeBounds: EventTimeBounds = {
  maxFutureMs: defaultEventTimeBounds.maxFutureMs + 60_000,
  maxAgeMs: defaultEventTimeBounds.maxAgeMs + 24 * 60 * 60_000,
};

/** Payload bytes to JSON; a message that is not UTF-8 JSON fails whole, the same way on every delivery. */
function parseMessage(msg: Pick<JsMsg, 'data'>): unknown {
  let text: string;
  try {
    text = decoder.decode(msg.data);
  } catch {
    throw new PermanentMessageError('payload is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new PermanentMessageError('payload is not valid JSON');
  }
}

type MessageInfo = { info?: Pick<JsMsg['info'], 'timestampNanos'> };

/**
 * Parses and validates a message against the contract the consumer expects. Any violation is permanent:
 * the same bytes will fail the same way on every redelivery.
 */
export function decodeEvent<D extends EventDefinition>(msg: Pick<JsMsg, 'data'> & MessageInfo, def: D): VigilEvent<D['type'], EventData<D>> {
  return decodeParsed(parseMessage(msg), msg, def);
}

/** One event of a message: `index` is its place in a batch message, null for a single-event message. */
export type DecodedItem<D extends EventDefinition> = { index: number | null } & ({ event: VigilEvent<D['type'], EventData<D>> } | { error: string; raw: unknown });

/**
 * A message on an event subject carries one CloudEvent (a JSON object) or a CloudEvents batch (a JSON
 * array of events of the subject's type; ingest publishes these, one per stored request and type).
 * Each event is validated on its own, so one bad event of a batch is refused alone; only a message
 * that is not JSON at all, or an empty batch, fails whole (thrown).
 */
export function decodeEvents<D extends EventDefinition>(msg: Pick<JsMsg, 'data'> & MessageInfo, def: D): DecodedItem<D>[] {
  const raw = parseMessage(msg);
  if (!Array.isArray(raw)) return [{ index: null, event: decodeParsed(raw, msg, def) }];
  if (!raw.length) throw new PermanentMessageError('an event batch holds at least one event');
  return raw.map((item, index) => {
    try {
      return { index, event: decodeParsed(item, msg, def) };
    } catch (err) {
      return { index, error: `/${index}: ${err instanceof Error ? err.message : String(err)}`, raw: item };
    }
  });
}

function decodeParsed<D extends EventDefinition>(raw: unknown, msg: MessageInfo, def: D): VigilEvent<D['type'], EventData<D>> {
  const env = cloudEventEnvelopeSchema.safeParse(raw);
  if (!env.success) throw new PermanentMessageError(`invalid envelope: ${formatErrors(zodErrors(env.error))}`);
  const e = env.data;
  if (e.type !== def.type) throw new PermanentMessageError(`expected type ${def.type}, got ${e.type}`);
  if (e.dataschema !== undefined && e.dataschema !== def.dataschema) {
    throw new PermanentMessageError(`unsupported dataschema ${e.dataschema} (this consumer reads ${def.dataschema})`);
  }
  if (!e.orgid) throw new PermanentMessageError('missing orgid');
  if (!e.time) throw new PermanentMessageError('missing time');
  if (msg.info) {
    const problem = eventTimeProblem(new Date(e.time), new Date(Math.floor(msg.info.timestampNanos / 1e6)), internalTimeBounds);
    if (problem) throw new PermanentMessageError(`/time: ${problem}`);
  }
  const data = def.schema.safeParse(e.data);
  if (!data.success) throw new PermanentMessageError(`invalid data: ${formatErrors(zodErrors(data.error, '/data'))}`);
  // Read explicitly: the envelope schema lets any extension through as unknown, and the event is rebuilt below.
  const enrichment = e.enrichment === undefined ? undefined : eventEnrichmentSchema.safeParse(e.enrichment);
  if (enrichment && !enrichment.success) throw new PermanentMessageError(`invalid enrichment: ${formatErrors(zodErrors(enrichment.error, '/enrichment'))}`);
  return {
    specversion: '1.0',
    id: e.id,
    source: e.source,
    type: def.type,
    time: e.time,
    ...(e.subject !== undefined ? { subject: e.subject } : {}),
    datacontenttype: 'application/json',
    dataschema: def.dataschema,
    orgid: e.orgid,
    data: data.data as EventData<D>,
    ...(enrichment ? { enrichment: enrichment.data } : {}),
  };
}

function formatErrors(errors: { pointer: string; message: string }[]): string {
  return errors.map((e) => `${e.pointer}: ${e.message}`).join('; ');
}
