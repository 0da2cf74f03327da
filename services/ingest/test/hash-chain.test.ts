import { createDatabase, migrateToLatest, type Database } from '@vigil/db';
import { newId } from '@vigil/contracts';
import { createTestDatabase, type TestDatabase } from '@vigil/testing';
import { migrations } from '../src/db/migrations';
import type { IngestDatabase } from '../src/db/schema';
import { RawEventRepository, type NewRawEvent } from '../src/store/raw-event.repository';

/** The raw event store proves it was not edited: any change breaks the org's hash chain. */
describe('raw event hash chain (real PostgreSQL)', () => {
  let testDb: TestDatabase;
  let database: Database<IngestDatabase>;
  let repo: RawEventRepository;

  beforeAll(async () => {
    testDb = await createTestDatabase({ schemas: ['ingest'] });
    database = createDatabase<IngestDatabase>({ url: testDb.urlFor('ingest'), schema: 'ingest' });
    await migrateToLatest(database.db, 'ingest', migrations);
    repo = new RawEventRepository(database);
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
  });

  const event = (n: number): NewRawEvent => ({
    eventId: newId(),
    producerId: `evt-${n}`,
    source: 'https://app.example.test/login',
    type: 'login.failed',
    dataschema: 'urn:vigil:event:login.failed:v1',
    occurredAt: new Date(Date.UTC(2026, 10, 23, 10, 0, n)).toISOString(),
    envelope: { specversion: '1.0', id: `evt-${n}`, data: { ip: '203.0.113.7' } },
  });

  it('chains appends across batches, skips duplicates, and detects tampering', async () => {
    const orgId = newId();
    const first = [event(1), event(2), event(3)];
    expect(await database.db.transaction().execute((tx) => repo.append(tx, orgId, first))).toHaveLength(3);
    // A redelivered batch (same ids) plus one new event: only the new one is appended.
    const fourth = event(4);
    const again = await database.db.transaction().execute((tx) => repo.append(tx, orgId, [first[1]!, fourth, fourth]));
    expect(again).toHaveLength(1);
    expect(await repo.verifyChain(orgId)).toEqual({ checked: 4, brokenAt: null });

    // Another org's chain is independent.
    const other = newId();
    await database.db.transaction().execute((tx) => repo.append(tx, other, [event(9)]));
    expect(await repo.verifyChain(other)).toEqual({ checked: 1, brokenAt: null });

    // Someone with superuser rights bypasses the append-only trigger and edits event 2.
    const [row] = await testDb.query<{ seq: string }>('select seq from ingest.raw_events where org_id = $1 order by seq offset 1 limit 1', [orgId]);
    await testDb.query('alter table ingest.raw_events disable trigger raw_events_append_only');
    await testDb.query(`update ingest.raw_events set envelope = jsonb_set(envelope, '{data,ip}', '"198.51.100.1"') where seq = $1`, [row!.seq]);
    await testDb.query('alter table ingest.raw_events enable trigger raw_events_append_only');
    expect(await repo.verifyChain(orgId)).toEqual({ checked: 4, brokenAt: row!.seq });
    expect(await repo.verifyChain(other)).toEqual({ checked: 1, brokenAt: null });
  });
});
