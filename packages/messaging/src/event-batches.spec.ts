import { packEventBatches } from './event-batches';

describe('packEventBatches', () => {
  const events = (n: number, pad = 0) => Array.from({ length: n }, (_, i) => ({ id: `e${i}`, data: 'x'.repeat(pad) }));
  const pack = (items: { id: string }[], room: number, maxEvents = 1000) => packEventBatches(items, { value: (e) => e, id: (e) => e.id, room, maxEvents, msgIdPrefix: 'events:' });
  const ids = (m: { payload: Buffer }) => (JSON.parse(m.payload.toString()) as { id: string }[]).map((e) => e.id);

  it('sends what fits as one CloudEvents batch, and splits by bytes and by count, in order, each within its room', () => {
    const all = events(50, 100);
    const [one] = pack(all, 1 << 20);
    expect(ids(one!)).toEqual(all.map((e) => e.id));

    for (const [room, maxEvents] of [[1_000, 1000], [5_000, 7], [1 << 20, 7]] as const) {
      const messages = pack(all, room, maxEvents);
      expect(messages.flatMap(ids)).toEqual(all.map((e) => e.id));
      for (const m of messages) {
        expect(m.payload.length).toBeLessThanOrEqual(room);
        expect(m.items.length).toBeLessThanOrEqual(maxEvents);
        expect(ids(m)).toEqual(m.items.map((e) => e.id));
      }
      expect(messages.length).toBeGreaterThan(1);
    }
  });

  it('names a message by its events: the same events the same id, other events another', () => {
    const a = pack(events(3), 1 << 20);
    expect(pack(events(3), 1 << 20)[0]!.msgId).toBe(a[0]!.msgId);
    expect(pack(events(4), 1 << 20)[0]!.msgId).not.toBe(a[0]!.msgId);
    expect(pack(events(3), 1 << 20, 1).map((m) => m.msgId)).toHaveLength(3);
  });

  it('sends an event larger than the room alone', () => {
    const big = { id: 'big', data: 'x'.repeat(2_000) };
    const messages = pack([{ id: 'a' }, big, { id: 'b' }], 1_000);
    expect(messages.map(ids)).toEqual([['a'], ['big'], ['b']]);
  });
});
