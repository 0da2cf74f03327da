/** A delivery is given up ('failed') after this many send attempts. */
export const MAX_ATTEMPTS = 8;

/**
 * A 'sending' row claimed longer ago than this belongs to a process that died mid-send: it is claimed
 * again. Every provider's own timeouts are far shorter, so a live sender never loses its claim.
 */
export const STALE_CLAIM_MS = 2 * 60_000;

const BASE_DELAY_MS = 10_000;
const MAX_DELAY_MS = 60 * 60_000;

/**
 * Wait before the next attempt after attempt `attempts` (1-based) failed: 10 s, 20 s, 40 s, … capped
 * at an hour, with ±20 % jitter so a recovered mail server isn't hit by every retry at once.
 */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const exp = Math.min(BASE_DELAY_MS * 2 ** Math.max(attempts - 1, 0), MAX_DELAY_MS);
  return Math.round(exp * (0.8 + 0.4 * random()));
}

/** The Message-ID of a delivery: derived from its id, so every attempt sends the same one. */
export function deliveryMessageId(deliveryId: string): string {
  return `<${deliveryId}@vigil>`;
}
