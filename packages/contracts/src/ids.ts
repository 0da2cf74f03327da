import { randomUUID } from 'node:crypto';
import { digest, writeUtf8Parts } from './digest';

/** Namespace for Vigil's name-based (v5) ids; fixed forever, so derived ids are stable across releases. */
const VIGIL_NAMESPACE = '1b671a64-40d5-491e-99b0-da01ff1f3341';
const NAMESPACE_BYTES = Buffer.from(VIGIL_NAMESPACE.replace(/-/g, ''), 'hex');
const VARIANT_NIBBLE = '89ab';
/** The namespace, then room for a name; grows for a longer one (never shared: deriveId is synchronous). */
let scratch = Buffer.allocUnsafe(4096);
NAMESPACE_BYTES.copy(scratch);

/**
 * Deterministic id from parts: the same input always yields the same id, which is what makes retries
 * idempotent. RFC 9562 version 5 (SHA-1 of namespace + name), written out rather than through the
 * `uuid` package, whose per-call name and namespace conversions were ~14 % of the gateway's CPU when
 * profiled; ids.spec.ts holds it to the package's answers. The digest is taken as hex and the version
 * and variant set in the text: a Buffer digest and its toString cost as much again as the hash.
 */
export function deriveId(...parts: string[]): string {
  const name = parts.map((p) => `${p.length}:${p}`).join('|');
  // Namespace and name hashed from one reused buffer in one call: a Hash object per id cost more
  // than the hashing (gateway and ingest derive an id for every event).
  let end = writeUtf8Parts(scratch, NAMESPACE_BYTES.length, [name]);
  while (end === undefined) {
    scratch = Buffer.allocUnsafe(scratch.length * 2);
    NAMESPACE_BYTES.copy(scratch);
    end = writeUtf8Parts(scratch, NAMESPACE_BYTES.length, [name]);
  }
  const hex = digest('sha1', scratch.subarray(0, end), 'hex');
  // Version 5: the high nibble of byte 6. Variant 10xx: the top two bits of byte 8.
  const variant = VARIANT_NIBBLE[parseInt(hex[16]!, 16) & 0x3];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function newId(): string {
  return randomUUID();
}
