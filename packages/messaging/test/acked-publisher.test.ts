import { connect, type NatsConnection } from 'nats';
import type { StreamDefinition } from '@vigil/contracts';
import { startNats, type TestNats } from '@vigil/testing';
import { AckedPublisher, CORRELATION_HEADER, ensureStreams } from '../src';

const stream: StreamDefinition = { name: 'TEST_ACKED', subjects: ['acked.>'], maxAgeDays: 1, duplicateWindowMinutes: 2 };

/** The publisher writes plain headers in wire form itself; what arrives must be what nats.js would send. */
describe('AckedPublisher (real NATS)', () => {
  let nats: TestNats;
  let nc: NatsConnection;
  let publisher: AckedPublisher;

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    await ensureStreams(await nc.jetstreamManager(), [stream]);
    publisher = new AckedPublisher(nc);
  }, 60_000);

  afterAll(async () => {
    publisher?.close();
    await nc?.close();
    await nats?.stop();
  });

  const stored = async (seq: number) => (await nc.jetstreamManager()).streams.getMessage(stream.name, { seq });

  it('delivers Nats-Msg-Id and extra headers, so JetStream deduplicates by the id', async () => {
    const first = await publisher.publish('acked.a', new TextEncoder().encode('{"n":1}'), 'msg-1', { [CORRELATION_HEADER]: 'req-42' });
    expect(first.duplicate).toBe(false);
    const m = await stored(first.seq);
    expect(m.header.get('Nats-Msg-Id')).toBe('msg-1');
    expect(m.header.get(CORRELATION_HEADER)).toBe('req-42');
    expect(new TextDecoder().decode(m.data)).toBe('{"n":1}');
    // The same id again: JetStream answers duplicate and stores nothing new.
    const again = await publisher.publish('acked.a', new TextEncoder().encode('{"n":1}'), 'msg-1');
    expect(again).toMatchObject({ duplicate: true, seq: first.seq });
  });

  it('hands headers that are not plain (a lower-case name, a non-ASCII value) to nats.js, which checks and encodes them', async () => {
    const ack = await publisher.publish('acked.b', new Uint8Array(), 'msg-2', { 'x-lower': 'ok', 'Vigil-Note': 'café' });
    const m = await stored(ack.seq);
    expect(m.header.get('Nats-Msg-Id')).toBe('msg-2');
    expect(m.header.get('x-lower')).toBe('ok');
    expect(m.header.get('Vigil-Note')).toBe('café');
    // A line break can't be smuggled into the header block: nats.js refuses it (at the call, as before).
    expect(() => publisher.publish('acked.b', new Uint8Array(), 'msg-3\r\nNats-Expected-Stream: other')).toThrow(/not allowed/);
  });
});
