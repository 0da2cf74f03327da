import type { IncomingHttpHeaders } from 'node:http';
import { ProblemException } from '@vigil/platform';
import type { SubmissionOutcome } from './event-submission.service';

/**
 * CloudEvents HTTP protocol binding 1.0 (JSON event format), as POST /v1/events accepts it:
 * - batch: `application/cloudevents-batch+json`, or `application/json` whose body is an array;
 * - structured: `application/cloudevents+json`, one event object (a batch of one);
 * - binary: `application/json` with a `ce-specversion` header; attributes are the `ce-*` headers,
 *   the body is `data`.
 * Every mode ends in the same per-event validation (parseProducerEvent), so an event is accepted or
 * refused for the same reasons whichever way it came.
 */
export type SubmissionMode = 'batch' | 'structured' | 'binary';

export const BATCH_MEDIA_TYPE = 'application/cloudevents-batch+json';
export const STRUCTURED_MEDIA_TYPE = 'application/cloudevents+json';
export const EVENT_MEDIA_TYPES = ['application/json', STRUCTURED_MEDIA_TYPE, BATCH_MEDIA_TYPE] as const;

const CE_PREFIX = 'ce-';
const utf8 = new TextDecoder('utf-8', { fatal: true });

function mediaType(headers: IncomingHttpHeaders): string {
  return (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export function submissionMode(headers: IncomingHttpHeaders): SubmissionMode {
  const type = mediaType(headers);
  const binary = headers['ce-specversion'] !== undefined;
  // Fastify has parsed the body by now; only the types it parses as JSON get here, plus its text/plain default.
  if (!(EVENT_MEDIA_TYPES as readonly string[]).includes(type)) {
    throw new ProblemException({
      status: 415,
      title: 'Unsupported Media Type',
      detail: `content-type ${type || '(none)'} is not accepted; send ${EVENT_MEDIA_TYPES.join(', ')} (binary mode: application/json with ce-* headers)`,
    });
  }
  if (type === 'application/json') return binary ? 'binary' : 'batch';
  if (binary) {
    // The CloudEvents binding lets the media type decide; a request with both is a producer bug, so say so.
    throw new ProblemException({
      status: 400,
      title: 'Bad Request',
      detail: `ce-* headers are binary mode, but ${type} carries the attributes in the body; send one or the other`,
      errors: [{ pointer: '', message: 'ce-specversion header with a structured or batch body' }],
    });
  }
  return type === STRUCTURED_MEDIA_TYPE ? 'structured' : 'batch';
}

export function structuredModeEvent(body: unknown): unknown {
  if (Array.isArray(body)) {
    throw new ProblemException({
      status: 400,
      title: 'Bad Request',
      detail: `${STRUCTURED_MEDIA_TYPE} carries one event (a JSON object); send a batch as ${BATCH_MEDIA_TYPE}`,
      errors: [{ pointer: '', message: 'expected an object, got an array' }],
    });
  }
  return body;
}

/**
 * Rebuilds the structured form of a binary-mode event: each `ce-<name>` header is the attribute
 * <name> (header values percent-decoded as UTF-8, per the binding), the body is `data`. Attribute names
 * are checked by the same envelope validation as in the other modes.
 */
export function binaryModeEvent(headers: IncomingHttpHeaders, body: unknown): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  const errors: { pointer: string; message: string }[] = [];
  for (const [name, raw] of Object.entries(headers)) {
    if (!name.startsWith(CE_PREFIX)) continue;
    const attribute = name.slice(CE_PREFIX.length);
    if (attribute === 'data' || attribute === 'datacontenttype') {
      errors.push({ pointer: `/${attribute}`, message: `header ${name} is not allowed in binary mode: ${attribute === 'data' ? 'the body is the data' : 'content-type is the data content type'}` });
      continue;
    }
    const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
    const decoded = decodeHeaderValue(value);
    if (typeof decoded === 'string') event[attribute] = decoded;
    else errors.push({ pointer: `/${attribute}`, message: `header ${name}: ${decoded.error}` });
  }
  if (errors.length) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'invalid CloudEvents binary-mode headers', errors });
  event.datacontenttype = 'application/json';
  event.data = body;
  return event;
}

/**
 * Header values are printable ASCII; anything else travels percent-encoded UTF-8 (CloudEvents HTTP
 * binding 3.1.3.2). Raw bytes outside ASCII are refused rather than guessed at (Node reads them as latin1).
 */
export function decodeHeaderValue(value: string): string | { error: string } {
  if (!/^[\x20-\x7e]*$/.test(value)) return { error: 'must be printable ASCII; percent-encode other characters as UTF-8' };
  if (!value.includes('%')) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c !== 0x25) {
      bytes.push(c);
      continue;
    }
    const hex = value.slice(i + 1, i + 3);
    if (!/^[0-9a-f]{2}$/i.test(hex)) return { error: `invalid percent-encoding at character ${i + 1} ('%' must be followed by two hex digits)` };
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    return { error: 'percent-encoded bytes are not valid UTF-8' };
  }
}

/** A single event's pointers point into the event itself: `/0/data/ip` becomes `/data/ip`. */
export function unprefixSinglePointers(outcome: SubmissionOutcome): SubmissionOutcome {
  const strip = (pointer: string) => (pointer === '/0' ? '' : pointer.startsWith('/0/') ? pointer.slice(2) : pointer);
  return {
    ...outcome,
    results: outcome.results.map((r) => (r.status === 'rejected' ? { ...r, errors: r.errors.map((e) => ({ ...e, pointer: strip(e.pointer) })) } : r)),
  };
}
