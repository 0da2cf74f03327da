import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';

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
 * hash_n = SHA-256(hash_{n-1} || canonical JSON of the record). Changing, dropping or reordering any
 * stored event breaks every later hash, so the store can prove it was not edited.
 */
export function chainHash(prev: Buffer, fields: ChainedFields): Buffer {
  return createHash('sha256').update(prev).update(stableStringify(fields)).digest();
}
