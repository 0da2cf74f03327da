import { createHash } from 'node:crypto';

/** prev_hash of an incident's first timeline entry. */
export const TIMELINE_GENESIS = Buffer.alloc(32);

export interface TimelineFields {
  incidentId: string;
  orgId: string;
  seq: number;
  at: string;
  kind: string;
  actor: unknown;
  detail: unknown;
}

/**
 * JSON with object keys sorted at every level: jsonb hands members back in its own order, so the
 * hash must not depend on key order (the same reason ingest uses a stable stringify).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * hash_n = SHA-256(hash_{n-1} || canonical entry), per incident, like ingest's raw-event chain: editing,
 * dropping or reordering an entry breaks every later hash, and the head kept on the incident row
 * catches a cut-off end.
 */
export function timelineHash(prev: Buffer, fields: TimelineFields): Buffer {
  return createHash('sha256').update(prev).update(canonicalJson(fields)).digest();
}
