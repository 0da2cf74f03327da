import { connect, type NatsConnection } from 'nats';
import pino from 'pino';
import { startNats, type TestNats } from '@vigil/testing';
import { IngestConfirmations } from '../src/events/ingest-confirmations';

const encoder = new TextEncoder();
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** The gateway's one confirmation subscription against a real NATS server, ingest played by the test. */
describe('ingest confirmations (real NATS)', () => {
  let nats: TestNats;
  let gatewayNc: NatsConnection;
  let ingestNc: NatsConnection;
  let confirmations: IngestConfirmations;
  const confirm = (to: string, msgId: string, duplicates: string[] = []) => ingestNc.publish(to, encoder.encode(JSON.stringify({ msgId, duplicates, deadLettered: [] })));

  beforeAll(async () => {
    nats = await startNats();
    [gatewayNc, ingestNc] = await Promise.all([connect({ servers: nats.url }), connect({ servers: nats.url })]);
    confirmations = new IngestConfirmations(gatewayNc, pino({ level: 'silent' }));
    confirmations.start();
    await gatewayNc.flush();
  }, 60_000);

  afterAll(async () => {
    confirmations?.close();
    await Promise.all([gatewayNc?.close(), ingestNc?.close()]);
    await nats?.stop();
  });

  it('gives each concurrent request its own confirmations, even for the same message id', async () => {
    const requests = Array.from({ length: 20 }, () => confirmations.open());
    expect(new Set(requests.map((r) => r.subject)).size).toBe(20);
    // Answered in reverse order, each naming other duplicates: a mix-up would show in the lists.
    for (let i = requests.length - 1; i >= 0; i--) confirm(requests[i]!.subject, 'batch:same', [uuid(i)]);
    const answers = await Promise.all(requests.map((r) => r.until(new Set(['batch:same']), 5_000)));
    expect(answers.map((a) => a.get('batch:same')?.duplicates)).toEqual(requests.map((_, i) => [uuid(i)]));
  });

  it('waits for every message of a request, whichever comes first', async () => {
    const request = confirmations.open();
    const waiting = request.until(new Set(['batch:1', 'batch:2']), 5_000);
    confirm(request.subject, 'batch:2', [uuid(2)]);
    confirm(request.subject, 'batch:1');
    const answers = await waiting;
    expect([...answers.keys()].sort()).toEqual(['batch:1', 'batch:2']);
    expect(answers.get('batch:2')!.duplicates).toEqual([uuid(2)]);
  });

  it('keeps a confirmation that comes before the request starts waiting', async () => {
    const request = confirmations.open();
    confirm(request.subject, 'batch:early', [uuid(7)]);
    await ingestNc.flush();
    await gatewayNc.flush();
    const started = Date.now();
    const answers = await request.until(new Set(['batch:early']), 5_000);
    expect(answers.get('batch:early')!.duplicates).toEqual([uuid(7)]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('answers without a confirmation that never comes, after the bound, and ignores it when it comes late', async () => {
    const late = confirmations.open();
    const started = Date.now();
    const answers = await late.until(new Set(['batch:late']), 300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(answers.size).toBe(0);
    // Confirmed after the request gave up: ignored, and requests after it are still confirmed.
    confirm(late.subject, 'batch:late', [uuid(1)]);
    const next = confirmations.open();
    const waiting = next.until(new Set(['batch:next']), 5_000);
    confirm(next.subject, 'batch:next', [uuid(3)]);
    expect((await waiting).get('batch:next')!.duplicates).toEqual([uuid(3)]);
    expect(answers.size).toBe(0);
  });

  it('ignores an unreadable confirmation and still takes the good one after it', async () => {
    const request = confirmations.open();
    const waiting = request.until(new Set(['batch:ok']), 5_000);
    ingestNc.publish(request.subject, encoder.encode('{"msgId":'));
    ingestNc.publish(request.subject, encoder.encode(JSON.stringify({ msgId: 'batch:ok', duplicates: ['not-a-uuid'], deadLettered: [] })));
    confirm(request.subject, 'batch:ok', [uuid(4)]);
    expect((await waiting).get('batch:ok')!.duplicates).toEqual([uuid(4)]);
  });

  it('ends every wait at close, with what has come', async () => {
    const own = new IngestConfirmations(gatewayNc, pino({ level: 'silent' }));
    own.start();
    await gatewayNc.flush();
    const request = own.open();
    const waiting = request.until(new Set(['batch:a', 'batch:b']), 30_000);
    confirm(request.subject, 'batch:a');
    await ingestNc.flush();
    await gatewayNc.flush();
    const started = Date.now();
    own.close();
    const answers = await waiting;
    expect(Date.now() - started).toBeLessThan(1_000);
    expect([...answers.keys()]).toEqual(['batch:a']);
  });
});
