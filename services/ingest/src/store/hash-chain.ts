import { digest, writeUtf8Parts } from '@vigil/contracts';

/** Hash of the first link of every org's chain. */
export const GENESIS_HASH = Buffer.alloc(32);

export interface ChainedFields {
  orgId: string;
  eventId: string;
  type: string;
  source: string;
  occurredAt: string;
  envelope: unknown;
}

/** Marks a value JSON.stringify can't be trusted to render canonically (see sortedForJson). */
const UNSAFE = Symbol('unsafe');

/**
 * Canonical JSON: object keys sorted (UTF-16 order), no whitespace, undefined members left out — the
 * exact output of fast-json-stable-stringify, which made every stored hash so far (hash-chain.spec.ts
 * holds the two equal on arbitrary JSON). Its output is also valid JSON for the jsonb column, so each
 * event is serialised once for both. Usually it is JSON.stringify of a key-sorted view of the value
 * (V8's serialiser is several times faster than building the string here); values it would order or
 * render differently take the general path.
 */
export function canonicalJson(node: unknown): string | undefined {
  const sorted = sortedForJson(node);
  return sorted === UNSAFE ? canonicalJsonOf(node) : JSON.stringify(sorted);
}

/**
 * The value with every object's keys in sorted order (objects already sorted are reused as they are),
 * or UNSAFE when JSON.stringify would not give the canonical text: it emits integer-like keys first
 * whatever their insertion order, and a toJSON may return anything.
 */
function sortedForJson(node: unknown): unknown {
  if (node === null || typeof node !== 'object') return node;
  if (typeof (node as { toJSON?: unknown }).toJSON === 'function') return UNSAFE;
  if (Array.isArray(node)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < node.length; i++) {
      const v = sortedForJson(node[i]);
      if (v === UNSAFE) return UNSAFE;
      if (v !== node[i]) (copy ??= node.slice())[i] = v;
    }
    return copy ?? node;
  }
  const keys = Object.keys(node);
  let inOrder = true;
  for (let i = 0; i < keys.length; i++) {
    const first = keys[i]!.charCodeAt(0);
    if (first >= 48 && first <= 57) return UNSAFE;
    if (i && keys[i - 1]! > keys[i]!) inOrder = false;
  }
  if (inOrder) {
    let copy: Record<string, unknown> | undefined;
    for (const key of keys) {
      const value = (node as Record<string, unknown>)[key];
      const v = sortedForJson(value);
      if (v === UNSAFE) return UNSAFE;
      if (v !== value) (copy ??= { ...(node as Record<string, unknown>) })[key] = v;
    }
    return copy ?? node;
  }
  sortKeys(keys);
  // No prototype: a "__proto__" key from JSON.parse stays an own member.
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of keys) {
    const v = sortedForJson((node as Record<string, unknown>)[key]);
    if (v === UNSAFE) return UNSAFE;
    out[key] = v;
  }
  return out;
}

/**
 * Sorts in place in UTF-16 code unit order, as Array.prototype.sort does by default, without its
 * temporary arrays: an event's objects have a handful of keys each, and that garbage was a tenth of
 * what ingest allocated per event.
 */
function sortKeys(keys: string[]): void {
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
}

/** The general path: the canonical text built member by member. */
function canonicalJsonOf(node: unknown): string | undefined {
  if (node !== null && typeof node === 'object' && typeof (node as { toJSON?: unknown }).toJSON === 'function') node = (node as { toJSON(): unknown }).toJSON();
  if (node === undefined) return undefined;
  if (typeof node === 'number') return Number.isFinite(node) ? String(node) : 'null';
  if (typeof node !== 'object') return JSON.stringify(node);
  if (node === null) return 'null';
  if (Array.isArray(node)) {
    let out = '[';
    for (let i = 0; i < node.length; i++) {
      if (i) out += ',';
      out += canonicalJsonOf(node[i]) ?? 'null';
    }
    return out + ']';
  }
  const keys = Object.keys(node).sort();
  let out = '';
  for (const key of keys) {
    const value = canonicalJsonOf((node as Record<string, unknown>)[key]);
    if (value === undefined) continue;
    if (out) out += ',';
    out += JSON.stringify(key) + ':' + value;
  }
  return '{' + out + '}';
}

/**
 * hash_n = SHA-256(hash_{n-1} || canonical JSON of the record). Changing, dropping or reordering any
 * stored event breaks every later hash, so the store can prove it was not edited.
 */
export function chainHash(prev: Buffer, fields: ChainedFields): Buffer {
  return Buffer.from(chainHashHex(prev.toString('hex'), fields, canonicalJson(fields.envelope)), 'hex');
}

/** Strings JSON.stringify renders as they are, quoted: ids and timestamps, quoted here without a call. */
const PLAIN = /^[\w.:+-]*$/;
const quoted = (s: string): string => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));

/**
 * chainHash from and to hex, with the envelope's canonical JSON already in hand (appends store that
 * same text, and the hashes as hex). The record's keys in sorted order: envelope, eventId, occurredAt,
 * orgId, source, type. prev and the record are written into one reused buffer and hashed in one call;
 * the digest is taken as hex, which is what the row needs: crypto.hash into a Buffer cost as much again
 * as the hashing, and so did the writes of the record piece by piece.
 */
export function chainHashHex(prevHex: string, fields: Omit<ChainedFields, 'envelope'>, envelopeJson: string | undefined): string {
  const record = `${envelopeJson === undefined ? '{' : `{"envelope":${envelopeJson},`}"eventId":${quoted(fields.eventId)},"occurredAt":${quoted(fields.occurredAt)},"orgId":${quoted(fields.orgId)},"source":${JSON.stringify(fields.source)},"type":${JSON.stringify(fields.type)}}`;
  for (;;) {
    const end = writeUtf8Parts(scratch, scratch.write(prevHex, 0, 'hex'), [record]);
    if (end !== undefined) return digest('sha256', scratch.subarray(0, end), 'hex');
    scratch = Buffer.allocUnsafe(scratch.length * 2);
  }
}

/** Reused by every chainHashHex call (synchronous, so never shared by two at once); grows as needed. */
let scratch = Buffer.allocUnsafe(64 * 1024);
