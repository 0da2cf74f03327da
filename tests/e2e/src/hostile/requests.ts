import fc from 'fast-check';
import { MAX_EVENT_BYTES } from '@vigil/contracts';
import { eventRecipe, materialise, validEventRecipe, type EventRecipe, type GeneratedEvent, type Materialiser } from './events';

/** Byte sequences that are not UTF-8: stray continuation, 0xFF, overlong NUL, encoded surrogate, > U+10FFFF, truncated, 5-byte form. */
export const INVALID_UTF8: readonly number[][] = [[0x80], [0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc3]];

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** Puts `bytes` inside the first string value after the `"id":"` of `text`, so only the encoding is wrong. */
export function withBytesInString(text: string, bytes: readonly number[]): Buffer {
  const at = text.indexOf('"id":"');
  const cut = at >= 0 ? at + 6 : 1;
  return Buffer.concat([utf8(text.slice(0, cut)), Buffer.from(bytes), utf8(text.slice(cut))]);
}

// ---------------------------------------------------------------------------------------------------
// POST /v1/events

export type HttpRecipe =
  | { batch: EventRecipe[] }
  | { oversizeEvent: { valid: EventRecipe[]; big: EventRecipe; at: number; size: number } }
  | { body: BodyRecipe };

type BodyRecipe =
  | { kind: 'not JSON'; text: string }
  | { kind: 'JSON but not an array'; text: string }
  | { kind: 'empty batch'; text: string }
  | { kind: 'more than 1000 events'; count: number; event: EventRecipe }
  | { kind: 'nested arrays'; depth: number; events: EventRecipe[] }
  | { kind: 'deeply nested body'; depth: number }
  | { kind: 'invalid UTF-8 in the body'; events: EventRecipe[]; bytes: number[] }
  | { kind: 'body larger than the limit' };

const validOnly = validEventRecipe.map((valid): EventRecipe => ({ valid }));

const bodyRecipe: fc.Arbitrary<BodyRecipe> = fc.oneof(
  fc.oneof(fc.constantFrom('[{"specversion": "1.0",', '{', '[1,]', "['a']", '[NaN]', '[Infinity]', '[01]', '\u0000', '[{"a":1}]]', '[] []', '', '   ', '[{"id":"a" "b"}]', '\ufeff'), fc.string({ unit: 'binary', maxLength: 200 })).map((text) => ({ kind: 'not JSON' as const, text })),
  fc.constantFrom('{"specversion":"1.0"}', '"a\\u0000b"', '"\u0000"', '42', 'null', 'true', '"login.failed"', '{}', '{"0":{"specversion":"1.0"},"length":1}').map((text) => ({ kind: 'JSON but not an array' as const, text })),
  fc.constantFrom('[]', ' [ ] ', '[\n]').map((text) => ({ kind: 'empty batch' as const, text })),
  fc.record({ count: fc.integer({ min: 1001, max: 1200 }), event: validOnly }).map((r) => ({ kind: 'more than 1000 events' as const, ...r })),
  fc.record({ depth: fc.integer({ min: 1, max: 3 }), events: fc.array(validOnly, { minLength: 1, maxLength: 5 }) }).map((r) => ({ kind: 'nested arrays' as const, ...r })),
  fc.integer({ min: 1_000, max: 1_000_000 }).map((depth) => ({ kind: 'deeply nested body' as const, depth })),
  fc.record({ events: fc.array(validOnly, { minLength: 2, maxLength: 20 }), bytes: fc.constantFrom(...INVALID_UTF8) }).map((r) => ({ kind: 'invalid UTF-8 in the body' as const, ...r })),
  fc.constant({ kind: 'body larger than the limit' as const }),
);

export const httpRecipe: fc.Arbitrary<HttpRecipe> = fc.oneof(
  { weight: 17, arbitrary: fc.array(eventRecipe, { minLength: 40, maxLength: 70 }).map((batch) => ({ batch })) },
  { weight: 1, arbitrary: fc.record({ valid: fc.array(validOnly, { minLength: 2, maxLength: 10 }), big: validOnly, at: fc.nat(10), size: fc.integer({ min: 1_100_000, max: 2_000_000 }) }).map((oversizeEvent) => ({ oversizeEvent })) },
  { weight: 2, arbitrary: bodyRecipe.map((body) => ({ body })) },
);

/** One request, ready to send: its bytes, the events in it (if it is a batch) and what must come back. */
export interface HttpCase {
  kind: string;
  body: Buffer;
  /** Per-event promises when the body is a well-formed batch within the limits. */
  events?: GeneratedEvent[];
  /** For whole-body hostiles: the status the body as a whole must get. */
  status?: 400 | 413;
  /** Send through postOversized: the server must refuse from content-length alone. */
  oversized?: boolean;
  /** Counted as generated inputs. */
  inputs: number;
}

function batchOf(recipes: EventRecipe[], m: Materialiser): GeneratedEvent[] {
  const out: GeneratedEvent[] = [];
  for (const r of recipes) out.push(materialise(r, m, out));
  return out;
}

const asBatch = (events: GeneratedEvent[]) => `[${events.map((e) => e.text).join(',')}]`;

export function materialiseHttp(recipe: HttpRecipe, m: Materialiser, bodyLimit: number): HttpCase {
  if ('batch' in recipe) {
    const events = batchOf(recipe.batch, m);
    const body = utf8(asBatch(events));
    // The whole body over the limit is refused as a whole (413), whatever is in it.
    return body.length > bodyLimit ? { kind: 'batch over the body limit', body, status: 413, inputs: events.length } : { kind: 'batch', body, events, inputs: events.length };
  }
  if ('oversizeEvent' in recipe) {
    const events = batchOf(recipe.oversizeEvent.valid, m);
    const big = materialise(recipe.oversizeEvent.big, m, []);
    // Larger than any NATS message can be, but well inside the HTTP body limit.
    const text = big.text.replace(/^\{/, `{"xhuge":"${'H'.repeat(recipe.oversizeEvent.size)}",`);
    events.splice(recipe.oversizeEvent.at % (events.length + 1), 0, { ...big, text, expect: 'reject', kind: 'event larger than a NATS message' });
    return { kind: 'batch with one event larger than a NATS message', body: utf8(asBatch(events)), events, inputs: events.length };
  }
  const b = recipe.body;
  switch (b.kind) {
    case 'not JSON':
    case 'JSON but not an array':
    case 'empty batch':
      return { kind: b.kind, body: utf8(b.text), status: 400, inputs: 1 };
    case 'more than 1000 events': {
      const one = materialise(b.event, m, []);
      return { kind: b.kind, body: utf8(`[${Array.from({ length: b.count }, () => one.text).join(',')}]`), status: 413, inputs: 1 };
    }
    case 'nested arrays': {
      const events = batchOf(b.events, m);
      return { kind: b.kind, body: utf8('['.repeat(b.depth) + asBatch(events) + ']'.repeat(b.depth)), status: 400, inputs: 1 };
    }
    case 'deeply nested body':
      return { kind: b.kind, body: utf8('['.repeat(b.depth) + ']'.repeat(b.depth)), status: 400, inputs: 1 };
    case 'invalid UTF-8 in the body': {
      const events = batchOf(b.events, m);
      const i = events.length >> 1;
      const parts = events.map((e, j) => (j === i ? withBytesInString(e.text, b.bytes) : utf8(e.text)));
      const body = Buffer.concat([utf8('['), ...parts.flatMap((p, j) => (j ? [utf8(','), p] : [p])), utf8(']')]);
      // Not a JSON text at all (RFC 8259 requires UTF-8): refused as a whole, never stored with U+FFFD.
      return { kind: `${b.kind} (${Buffer.from(b.bytes).toString('hex')})`, body, status: 400, inputs: 1 };
    }
    case 'body larger than the limit':
      return { kind: b.kind, body: utf8(`[${'"x",'.repeat(Math.ceil(bodyLimit / 4))}"x"]`), status: 413, oversized: true, inputs: 1 };
  }
}

// ---------------------------------------------------------------------------------------------------
// Raw NATS: ingest.submitted.<org>

export type NatsOutcome = 'store' | 'dead-letter' | 'either' | 'duplicate';

export type NatsRecipe =
  | { event: EventRecipe }
  | { bytes: { kind: 'invalid UTF-8'; valid: EventRecipe; seq: number[] } }
  | { bytes: { kind: 'truncated'; valid: EventRecipe; keep: number } }
  | { bytes: { kind: 'NUL byte'; valid: EventRecipe; at: number } }
  | { bytes: { kind: 'empty' } }
  | { bytes: { kind: 'BOM' | 'whitespace around' | 'two events back to back' | 'a batch (array)' | 'subject without an org'; valid: EventRecipe } }
  | { bytes: { kind: 'large invalid' | 'large not JSON' | 'large valid'; valid: EventRecipe; size: number; top: number } };

export function natsRecipe(maxPayload: number): fc.Arbitrary<NatsRecipe> {
  // Sizes up to the largest message a publisher can send; the top one leaves ingest no room for the
  // dead-letter headers it adds.
  const top = maxPayload - 256;
  const size = fc.oneof(
    { weight: 2, arbitrary: fc.integer({ min: 10_000, max: MAX_EVENT_BYTES }) },
    { weight: 2, arbitrary: fc.integer({ min: MAX_EVENT_BYTES + 1, max: top }) },
    { weight: 1, arbitrary: fc.constant(top) },
  );
  const bytes = fc.oneof(
    { weight: 3, arbitrary: fc.record({ valid: validOnly, seq: fc.constantFrom(...INVALID_UTF8) }).map((r) => ({ kind: 'invalid UTF-8' as const, ...r })) },
    { weight: 2, arbitrary: fc.record({ valid: validOnly, keep: fc.double({ min: 0, max: 0.999, noNaN: true }) }).map((r) => ({ kind: 'truncated' as const, keep: r.keep, valid: r.valid })) },
    { weight: 2, arbitrary: fc.record({ valid: validOnly, at: fc.double({ min: 0, max: 1, noNaN: true }) }).map((r) => ({ kind: 'NUL byte' as const, ...r })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'empty' as const }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('BOM' as const, 'whitespace around' as const, 'two events back to back' as const, 'a batch (array)' as const, 'subject without an org' as const), valid: validOnly }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('large invalid' as const, 'large not JSON' as const, 'large valid' as const), valid: validOnly, size, top: fc.constant(top) }) },
  );
  return fc.oneof({ weight: 4, arbitrary: eventRecipe.map((event) => ({ event })) }, { weight: 1, arbitrary: bytes.map((b) => ({ bytes: b }) as NatsRecipe) });
}

export interface NatsCase {
  kind: string;
  data: Uint8Array;
  expect: NatsOutcome;
  /** Publish to `ingest.submitted.<this>` instead of the org's subject. */
  subjectToken?: string;
  key?: GeneratedEvent['key'];
}

const fromEvent: Record<GeneratedEvent['expect'], NatsOutcome> = { accept: 'store', reject: 'dead-letter', either: 'either', duplicate: 'duplicate' };

export function materialiseNats(recipe: NatsRecipe, m: Materialiser, earlier: GeneratedEvent[]): NatsCase {
  if ('event' in recipe) {
    const e = materialise(recipe.event, m, earlier);
    earlier.push(e);
    // On the bus a message may be a batch: a valid event wrapped in an array is a batch of one.
    if (e.kind === 'event wrapped in an array') {
      const [inner] = JSON.parse(e.text) as [{ source: string; id: string }];
      return { kind: e.kind, data: utf8(e.text), expect: 'store', key: { source: inner.source, id: inner.id } };
    }
    return { kind: e.kind, data: utf8(e.text), expect: fromEvent[e.expect], key: e.key };
  }
  const b = recipe.bytes;
  if (b.kind === 'empty') return { kind: 'empty payload', data: new Uint8Array(0), expect: 'dead-letter' };
  const e = materialise(b.valid, m, []);
  switch (b.kind) {
    case 'invalid UTF-8':
      return { kind: `invalid UTF-8 (${Buffer.from(b.seq).toString('hex')})`, data: withBytesInString(e.text, b.seq), expect: 'dead-letter', key: e.key };
    case 'truncated': {
      const full = utf8(e.text);
      return { kind: 'truncated JSON', data: full.subarray(0, Math.floor(full.length * b.keep)), expect: 'dead-letter', key: e.key };
    }
    case 'NUL byte': {
      const full = utf8(e.text);
      const at = Math.floor(full.length * b.at);
      return { kind: 'raw NUL byte', data: Buffer.concat([full.subarray(0, at), Buffer.from([0]), full.subarray(at)]), expect: 'dead-letter', key: e.key };
    }
    case 'BOM':
      // TextDecoder drops a leading BOM; storing the event is as right as refusing it.
      return { kind: 'leading BOM', data: utf8('\ufeff' + e.text), expect: 'either', key: e.key };
    case 'whitespace around':
      return { kind: b.kind, data: utf8(` \n\t${e.text}\r\n `), expect: 'store', key: e.key };
    case 'two events back to back':
      return { kind: b.kind, data: utf8(e.text + e.text), expect: 'dead-letter', key: e.key };
    case 'a batch (array)':
      // A JSON array is a batch on the bus too: a batch of one valid event is stored.
      return { kind: b.kind, data: utf8(`[${e.text}]`), expect: 'store', key: e.key };
    case 'subject without an org':
      return { kind: b.kind, data: utf8(e.text), expect: 'dead-letter', subjectToken: 'not-an-org' };
    case 'large invalid': {
      const head = '{"specversion":"1.0","junk":"';
      return { kind: b.size === b.top ? 'invalid event at the NATS size limit' : 'large invalid event', data: utf8(head + 'j'.repeat(Math.max(0, b.size - head.length - 2)) + '"}'), expect: 'dead-letter' };
    }
    case 'large not JSON':
      return { kind: b.size === b.top ? 'not JSON, at the NATS size limit' : 'large payload, not JSON', data: Buffer.alloc(b.size, 0x78), expect: 'dead-letter' };
    case 'large valid': {
      const head = '{"xlarge":"';
      const pad = Math.max(0, b.size - utf8(e.text).length - head.length - 2);
      const data = utf8(`${head}${'L'.repeat(pad)}",${e.text.slice(1)}`);
      // Valid in every other way: stored up to Vigil's event size limit, dead-lettered (with the size) past it.
      if (data.length > MAX_EVENT_BYTES) return { kind: b.size === b.top ? 'event at the NATS size limit' : 'event over the event size limit', data, expect: 'dead-letter' };
      return { kind: 'large valid event', data, expect: 'store', key: e.key };
    }
  }
}
