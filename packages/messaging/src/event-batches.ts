import { createHash } from 'node:crypto';

/** One message's worth of events: a CloudEvents batch (JSON array) and the id JetStream dedups it by. */
export interface EventBatchMessage<T> {
  items: T[];
  payload: Buffer;
  /** A digest of the events' ids: the same events resent make the same id, other events another one. */
  msgId: string;
}

/**
 * Packs events into as few batch messages as fit `room` bytes and `maxEvents` events each, in order.
 * An event larger than `room` goes alone (the publish then fails for it). The common case, everything
 * fitting one message, is serialised in one JSON.stringify: per-event strings, each measured and then
 * joined, were a good part of ingest's garbage per event.
 */
export function packEventBatches<T>(items: readonly T[], parts: { value: (t: T) => unknown; id: (t: T) => string; room: number; maxEvents: number; msgIdPrefix: string }): EventBatchMessage<T>[] {
  const message = (batch: T[], payload: Buffer): EventBatchMessage<T> => {
    const digest = createHash('sha256');
    for (const t of batch) digest.update(parts.id(t)).update('\n');
    return { items: batch, payload, msgId: `${parts.msgIdPrefix}${digest.digest('base64url')}` };
  };
  if (!items.length) return [];
  if (items.length <= parts.maxEvents) {
    const payload = Buffer.from(JSON.stringify(items.map(parts.value)));
    if (payload.length <= parts.room) return [message([...items], payload)];
  }
  const out: EventBatchMessage<T>[] = [];
  let batch: T[] = [];
  let texts: string[] = [];
  let bytes = 2;
  const close = () => {
    if (!batch.length) return;
    out.push(message(batch, Buffer.from(`[${texts.join(',')}]`)));
    batch = [];
    texts = [];
    bytes = 2;
  };
  for (const t of items) {
    const json = JSON.stringify(parts.value(t));
    const size = Buffer.byteLength(json) + 1;
    if (batch.length && (bytes + size > parts.room || batch.length >= parts.maxEvents)) close();
    batch.push(t);
    texts.push(json);
    bytes += size;
  }
  close();
  return out;
}
