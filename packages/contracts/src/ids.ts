import { v4 as uuidv4, v5 as uuidv5 } from 'uuid';

/** Namespace for Vigil's name-based (v5) ids; fixed forever, so derived ids are stable across releases. */
const VIGIL_NAMESPACE = '1b671a64-40d5-491e-99b0-da01ff1f3341';

/** Deterministic id from parts: the same input always yields the same id, which is what makes retries idempotent. */
export function deriveId(...parts: string[]): string {
  return uuidv5(parts.map((p) => `${p.length}:${p}`).join('|'), VIGIL_NAMESPACE);
}

export function newId(): string {
  return uuidv4();
}
