import { createHash } from 'node:crypto';

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

/**
 * Canonical JSON: object keys sorted (UTF-16 order), no whitespace, undefined members left out — the
 * exact output of fast-json-stable-stringify, which made every stored hash so far (hash-chain.spec.ts
 * holds the two equal on arbitrary JSON), without its per-object cycle bookkeeping: what is hashed
 * comes from JSON.parse and can't be cyclic. Its output is also valid JSON for the jsonb column, so
 * each event is serialised once for both.
 */
export function canonicalJson(node: unknown): string | undefined {
  if (node !== null && typeof node === 'object' && typeof (node as { toJSON?: unknown }).toJSON === 'function') node = (node as { toJSON(): unknown }).toJSON();
  if (node === undefined) return undefined;
  if (typeof node === 'number') return Number.isFinite(node) ? String(node) : 'null';
  if (typeof node !== 'object') return JSON.stringify(node);
  if (node === null) return 'null';
  if (Array.isArray(node)) {
    let out = '[';
    for (let i = 0; i < node.length; i++) {
      if (i) out += ',';
      out += canonicalJson(node[i]) ?? 'null';
    }
    return out + ']';
  }
  const keys = Object.keys(node).sort();
  let out = '';
  for (const key of keys) {
    const value = canonicalJson((node as Record<string, unknown>)[key]);
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
  return chainHashOf(prev, fields, canonicalJson(fields.envelope));
}

/** chainHash with the envelope's canonical JSON already in hand (appends store that same text). */
export function chainHashOf(prev: Buffer, fields: Omit<ChainedFields, 'envelope'>, envelopeJson: string | undefined): Buffer {
  // The record's keys in sorted order: envelope, eventId, occurredAt, orgId, source, type.
  const record =
    (envelopeJson === undefined ? '{' : `{"envelope":${envelopeJson},`) +
    `"eventId":${JSON.stringify(fields.eventId)},"occurredAt":${JSON.stringify(fields.occurredAt)},"orgId":${JSON.stringify(fields.orgId)},` +
    `"source":${JSON.stringify(fields.source)},"type":${JSON.stringify(fields.type)}}`;
  return createHash('sha256').update(prev).update(record).digest();
}
