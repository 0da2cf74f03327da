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

/**
 * Parses and validates a message against the contract the consumer expects. Any violation is permanent:
 * the same bytes will fail the same way on every redelivery.
 */
export function decodeEvent<D extends EventDefinition>(msg: Pick<JsMsg, 'data'> & { info?: Pick<JsMsg['info'], 'timestampNanos'> }, def: D): VigilEvent<D['type'], EventData<D>> {
  let text: string;
  try {
    text = decoder.decode(msg.data);
  } catch {
    throw new PermanentMessageError('payload is not valid UTF-8');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new PermanentMessageError('payload is not valid JSON');
  }
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
