import { createHash, randomUUID } from 'node:crypto';

/** Namespace for Vigil's name-based (v5) ids; fixed forever, so derived ids are stable across releases. */
const VIGIL_NAMESPACE = '1b671a64-40d5-491e-99b0-da01ff1f3341';
const NAMESPACE_BYTES = Buffer.from(VIGIL_NAMESPACE.replace(/-/g, ''), 'hex');

/**
 * Deterministic id from parts: the same input always yields the same id, which is what makes retries
 * idempotent. RFC 9562 version 5 (SHA-1 of namespace + name), written out rather than through the
 * `uuid` package, whose per-call name and namespace conversions were ~14 % of the gateway's CPU when
 * profiled; ids.spec.ts holds it to the package's answers.
 */
export function deriveId(...parts: string[]): string {
  const name = parts.map((p) => `${p.length}:${p}`).join('|');
  const b = createHash('sha1').update(NAMESPACE_BYTES).update(name, 'utf8').digest();
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function newId(): string {
  return randomUUID();
}
