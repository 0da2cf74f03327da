import type { z } from 'zod';
import { cloudEventEnvelopeSchema, type CloudEventEnvelope } from './envelope';
import { resolveDefinition, isProducerType } from './catalog';
import type { EventDefinition } from './registry';
import { defaultEventTimeBounds, eventTimeProblem, unstorableValues, type EventTimeBounds } from './storable';

export interface FieldError {
  /** RFC 6901 JSON pointer into the event, e.g. `/data/ip`. */
  pointer: string;
  message: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export function toJsonPointer(path: ReadonlyArray<PropertyKey>, prefix = ''): string {
  return prefix + path.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function zodErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((i) => ({ pointer: toJsonPointer(i.path, prefix) || '/', message: i.message }));
}

export interface ParsedProducerEvent {
  envelope: CloudEventEnvelope;
  definition: EventDefinition;
  data: unknown;
}

export interface ProducerEventChecks {
  /** When Vigil received the event: the reference for plausible times. Default now. */
  receivedAt?: Date;
  timeBounds?: EventTimeBounds;
}

/**
 * Validates one producer-submitted event: storable values, envelope, a plausible time, a known
 * producer type, and its data contract. The gateway and ingest both call this, so whatever the gateway
 * accepts, ingest can store.
 */
export function parseProducerEvent(input: unknown, checks: ProducerEventChecks = {}): ParseResult<ParsedProducerEvent> {
  const unstorable = unstorableValues(input);
  if (unstorable.length) return { ok: false, errors: unstorable };
  const env = cloudEventEnvelopeSchema.safeParse(input);
  if (!env.success) return { ok: false, errors: zodErrors(env.error) };
  const envelope = env.data;
  if (envelope.time !== undefined) {
    const problem = eventTimeProblem(new Date(envelope.time), checks.receivedAt ?? new Date(), checks.timeBounds ?? defaultEventTimeBounds);
    if (problem) return { ok: false, errors: [{ pointer: '/time', message: problem }] };
  }
  if (!isProducerType(envelope.type)) {
    return { ok: false, errors: [{ pointer: '/type', message: `unknown or non-producer event type '${envelope.type}'` }] };
  }
  const definition = resolveDefinition(envelope.type, envelope.dataschema);
  if (!definition) {
    return { ok: false, errors: [{ pointer: '/dataschema', message: `unknown dataschema for type '${envelope.type}'` }] };
  }
  const data = definition.schema.safeParse(envelope.data);
  if (!data.success) return { ok: false, errors: zodErrors(data.error, '/data') };
  return { ok: true, value: { envelope, definition, data: data.data } };
}

/** Validates data against one contract; used by consumers on receipt. */
export function parseData<D extends EventDefinition>(def: D, data: unknown): ParseResult<z.infer<D['schema']>> {
  const r = def.schema.safeParse(data);
  return r.success ? { ok: true, value: r.data as z.infer<D['schema']> } : { ok: false, errors: zodErrors(r.error, '/data') };
}
