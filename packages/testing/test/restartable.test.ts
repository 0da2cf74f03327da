import { Client } from 'pg';
import { connect, StorageType } from 'nats';
import { findPostgresBinDir, startNats, startPrivatePostgres, waitFor } from '../src';

/** The parts the chaos suite breaks must come back with their state: JetStream's file store, PostgreSQL's WAL. */
describe('restartable NATS', () => {
  it('comes back on the same port with its streams and messages after SIGKILL', async () => {
    const nats = await startNats({ restartable: true });
    const nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    try {
      const jsm = await nc.jetstreamManager();
      await jsm.streams.add({ name: 'KEEP', subjects: ['keep.>'], storage: StorageType.File });
      await nc.jetstream().publish('keep.one', new TextEncoder().encode('1'));

      await nats.kill('SIGKILL');
      expect(await nats.isRunning()).toBe(false);
      await nats.start();

      // The client reconnects by itself to the same URL; the stored message survived.
      const info = await waitFor(() => jsm.streams.info('KEEP'), { timeoutMs: 10_000, description: 'stream info after restart' });
      expect(info.state.messages).toBe(1);
      expect(nats.version).toMatch(/v\d+\.\d+/);
    } finally {
      await nc.close();
      await nats.stop();
    }
  });
});

const describeWithPg = findPostgresBinDir() ? describe : describe.skip;

describeWithPg('private PostgreSQL cluster', () => {
  it('keeps committed rows through an immediate (crash) stop and start', async () => {
    const pg = await startPrivatePostgres();
    const query = async (sql: string) => {
      const client = new Client({ connectionString: pg.adminUrl });
      client.on('error', () => undefined);
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    };
    try {
      await query('create table kept (n int); insert into kept values (42)');
      await pg.crash();
      expect(await pg.isRunning()).toBe(false);
      await expect(query('select 1')).rejects.toThrow();
      await pg.start();
      expect(await query('select n from kept')).toEqual([{ n: 42 }]);
      expect(pg.version).toMatch(/PostgreSQL\) \d+/);
    } finally {
      await pg.stop();
    }
  });
});
