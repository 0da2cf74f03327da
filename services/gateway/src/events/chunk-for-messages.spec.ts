import { createHash } from 'node:crypto';
import { chunkForMessages, type Accepted } from './event-submission.service';

const accepted = (texts: string[]): Accepted[] =>
  texts.map((text, index) => {
    const json = JSON.stringify({ id: `e-${index}`, data: text });
    return { index, eventId: `00000000-0000-5000-8000-${String(index).padStart(12, '0')}`, json, bytes: Buffer.byteLength(json) };
  });

/** The message id as every earlier version made it (one digest update per event id): a request retried across an upgrade must map to the same id, or JetStream stores it twice. */
const earlierMsgId = (events: Accepted[]) => {
  const digest = createHash('sha256');
  for (const e of events) digest.update(e.eventId);
  return `batch:${digest.digest('base64url')}`;
};

describe('chunkForMessages', () => {
  it('encodes the events as one JSON array, byte for byte, whatever their characters', () => {
    const events = accepted(['plain', 'é', '€', '😀', '\u0000 quoted "x" \\', 'a'.repeat(1000)]);
    const [chunk, ...rest] = chunkForMessages(events, 1024 * 1024);
    expect(rest).toEqual([]);
    expect(Buffer.from(chunk!.payload).toString('utf8')).toBe(`[${events.map((e) => e.json).join(',')}]`);
    expect(JSON.parse(Buffer.from(chunk!.payload).toString('utf8'))).toHaveLength(events.length);
    expect(chunk!.msgId).toBe(earlierMsgId(events));
  });

  it('splits where the next event would pass the room, and names each part by its own events', () => {
    const events = accepted(Array.from({ length: 10 }, (_, i) => '€'.repeat(3 * i)));
    const room = events.slice(0, 4).reduce((n, e) => n + e.bytes + 1, 1);
    const chunks = chunkForMessages(events, room);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.flatMap((c) => c.events)).toEqual(events);
    for (const c of chunks) {
      expect(c.payload.length).toBeLessThanOrEqual(room);
      expect(Buffer.from(c.payload).toString('utf8')).toBe(`[${c.events.map((e) => e.json).join(',')}]`);
      expect(c.msgId).toBe(earlierMsgId(c.events));
    }
  });
});
