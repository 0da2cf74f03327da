import { createDatabase, migrateToLatest, type Database } from '@vigil/db';
import { newId } from '@vigil/contracts';
import { createTestDatabase, type TestDatabase } from '@vigil/testing';
import { migrations } from '../src/db/migrations';
import type { GatewayDatabase } from '../src/db/schema';
import { DeadLetterRepository } from '../src/dead-letters/dead-letter.repository';
import { DeadLetterService } from '../src/dead-letters/dead-letter.service';
import { readDeadLetter } from '../src/dead-letters/dead-letter';
import { headers as natsHeaders } from 'nats';

/** The gateway's dead-letter records against real PostgreSQL: idempotent recording, tenant filter, paging. */
describe('dead letter records (real PostgreSQL)', () => {
  let testDb: TestDatabase;
  let database: Database<GatewayDatabase>;
  let repo: DeadLetterRepository;
  let service: DeadLetterService;

  beforeAll(async () => {
    testDb = await createTestDatabase({ schemas: ['gateway'] });
    database = createDatabase<GatewayDatabase>({ url: testDb.urlFor('gateway'), schema: 'gateway' });
    await migrateToLatest(database.db, 'gateway', migrations);
    repo = new DeadLetterRepository(database);
    service = new DeadLetterService(repo);
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    await testDb?.drop();
  });

  const deadLetter = (opts: { msgId: string; seq: number; subject: string; reason?: string; consumer?: string }) => {
    const h = natsHeaders();
    h.set('Nats-Msg-Id', opts.msgId);
    h.set('Vigil-Dead-Letter-Subject', opts.subject);
    h.set('Vigil-Dead-Letter-Reason', opts.reason ?? 'bad');
    h.set('Vigil-Dead-Letter-Deliveries', '1');
    return readDeadLetter({ subject: `deadletter.${opts.consumer ?? 'ingest-submitted'}`, data: new TextEncoder().encode('{}'), headers: h, seq: opts.seq });
  };
  const rowsFor = (messageId: string) => database.db.selectFrom('dead_letters').selectAll().where('message_id', '=', messageId).execute();

  it('records a redelivered dead letter once, and a repeat failure as an update of the same record', async () => {
    const org = newId();
    const first = deadLetter({ msgId: `ingest-submitted:${org}`, seq: 10, subject: `ingest.submitted.${org}` });
    await repo.record([first]);
    await repo.record([first, first]); // redelivery (same dead-letter sequence), even twice in one batch
    const [row] = await rowsFor(first.messageId);
    expect(await rowsFor(first.messageId)).toHaveLength(1);
    expect(row!.last_failed_at.getTime()).toBe(row!.first_failed_at.getTime());

    // The same original message dead-lettered again later (a new dead-letter sequence).
    await repo.record([{ ...first, deadLetterSeq: 11, reason: 'still bad', deliveries: 5 }]);
    const [updated] = await rowsFor(first.messageId);
    expect(await rowsFor(first.messageId)).toHaveLength(1);
    expect(updated).toMatchObject({ reason: 'still bad', deliveries: 5, dead_letter_seq: '11', first_failed_at: row!.first_failed_at });
    const moved = await testDb.query<{ moved: boolean }>('select last_failed_at > first_failed_at as moved from gateway.dead_letters where id = $1', [first.id]);
    expect(moved[0]!.moved).toBe(true);
  });

  it("lists one org's records newest first, page by page, and never another org's or those with no org", async () => {
    const org = newId();
    const other = newId();
    for (let i = 0; i < 5; i++) await repo.record([deadLetter({ msgId: `a:${org}:${i}`, seq: 100 + i, subject: `ingest.submitted.${org}`, reason: `r${i}`, consumer: i % 2 ? 'odd' : 'even' })]);
    await repo.record([deadLetter({ msgId: `b:${other}`, seq: 200, subject: `ingest.submitted.${other}` })]);
    await repo.record([deadLetter({ msgId: `c:${org}`, seq: 201, subject: 'ingest.submitted.nobody' })]);

    const first = await service.list({ orgId: org, limit: 2 });
    const second = await service.list({ orgId: org, limit: 2, cursor: first.nextCursor! });
    const third = await service.list({ orgId: org, limit: 2, cursor: second.nextCursor! });
    expect(third.nextCursor).toBeNull();
    const all = [...first.items, ...second.items, ...third.items];
    expect(all.map((d) => d.originalSubject)).toEqual(Array(5).fill(`ingest.submitted.${org}`));
    expect(new Set(all.map((d) => d.id)).size).toBe(5);
    expect(all.map((d) => d.reason)).toEqual(['r4', 'r3', 'r2', 'r1', 'r0']);

    expect((await service.list({ orgId: org, limit: 100, consumer: 'odd' })).items).toHaveLength(2);
    const anyOrg = await service.list({ limit: 100 });
    expect(anyOrg.items.some((d) => d.orgId === null)).toBe(true);
    expect(await service.get(all[0]!.id, other)).toBeUndefined();
    expect(await service.get(all[0]!.id, org)).toMatchObject({ id: all[0]!.id, payload: '{}', payloadEncoding: 'utf8' });
  });

  it('counts a retried replay once', async () => {
    const org = newId();
    const d = deadLetter({ msgId: `r:${org}`, seq: 300, subject: `ingest.submitted.${org}` });
    await repo.record([d]);
    await repo.markReplayed(d.id, 1);
    const again = await repo.markReplayed(d.id, 1);
    expect(again.replay_count).toBe(1);
    expect((await repo.markReplayed(d.id, 2)).replay_count).toBe(2);
  });
});
