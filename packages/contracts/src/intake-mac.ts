import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The gateway's seal on a batch it hands to ingest (header `Vigil-Intake-Mac`): HMAC-SHA256, keyed
 * with a secret only the gateway and ingest hold, over the subject (which names the org) and the
 * exact payload bytes. Ingest skips re-validating a sealed batch, whose every event the gateway has
 * validated; anything else on ingest.submitted.* (bus producers, a replayed dead letter) is validated
 * in full. Replaying a sealed message only repeats events the gateway accepted for that org.
 */
export function intakeMac(key: string, subject: string, payload: Uint8Array): string {
  return createHmac('sha256', key).update(subject).update('\n').update(payload).digest('base64url');
}

export function isIntakeMacValid(key: string, subject: string, payload: Uint8Array, mac: string | undefined): boolean {
  if (!mac) return false;
  const expected = Buffer.from(intakeMac(key, subject, payload));
  const given = Buffer.from(mac);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
