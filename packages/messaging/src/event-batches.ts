import { createHash } from 'node:crypto';

/** One message's worth of events: a CloudEvents batch (JSON array) and the id JetStream dedups it by. */
export interface EventBatchMessage<T> {
  items: T[];
  payload: Buffer;
  /** A digest of the events' ids: the same events resent make the same id, other events another one. */
  msgId: string;
}

/**
 * Packs events, each already JSON, into as few batch messages as fit `room` bytes and `maxEvents`
 * events each, in order. An event larger than `room` goes alone (the publish then fails for it).
 */
export function packEventBatches<T>(items: readonly T[], parts: { json: (t: T) => string; id: (t: T) => string; room: number; maxEvents: number; msgIdPrefix: string }): EventBatchMessage<T>[] {
  const out: EventBatchMessage<T>[] = [];
  let batch: T[] = [];
  let texts: string[] = [];
  let bytes = 2;
  const close = () => {
    if (!batch.length) return;
    const digest = createHash('sha256');
    for (const t of batch) digest.update(parts.id(t)).update('\n');
    out.push({ items: batch, payload: Buffer.from(`[${texts.join(',')}]`), msgId: `${parts.msgIdPrefix}${digest.digest('base64url')}` });
    batch = [];
    texts = [];
    bytes = 2;
  };
  for (const t of items) {
    const json = parts.json(t);
    const size = Buffer.byteLength(json) + 1;
    if (batch.length && (bytes + size > parts.room || batch.length >= parts.maxEvents)) close();
    batch.push(t);
    texts.push(json);
    bytes += size;
  }
  close();
  return out;
}
