/** How a buffer of serialized events is cut into request bodies the gateway accepts. */

/** The gateway's limits (`MAX_BATCH_EVENTS`, default `GATEWAY_BODY_LIMIT_BYTES`). */
export const GATEWAY_MAX_BATCH_EVENTS = 1000;
export const GATEWAY_MAX_BODY_BYTES = 5 * 1024 * 1024;

/** Bytes of `[a,b,c]` given each element's UTF-8 length. */
export function arrayBodyBytes(elementBytes: readonly number[]): number {
  return elementBytes.length === 0 ? 2 : 2 + elementBytes.reduce((s, b) => s + b, 0) + (elementBytes.length - 1);
}

/**
 * How many of the leading elements go into the next batch: at most `maxCount`, and a body of at most
 * `maxBytes` — except that one element is always taken, even alone over the limit, so the gateway
 * (not the client) says what is wrong with it and the queue never stalls behind it.
 */
export function nextBatchLength(elementBytes: readonly number[], maxCount: number, maxBytes: number): number {
  let bytes = 2;
  let n = 0;
  for (const b of elementBytes) {
    if (n >= maxCount) break;
    const added = b + (n > 0 ? 1 : 0);
    if (n > 0 && bytes + added > maxBytes) break;
    bytes += added;
    n += 1;
  }
  return n;
}
