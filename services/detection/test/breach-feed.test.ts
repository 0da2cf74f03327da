import pino from 'pino';
import { deriveId, ingestSubmittedSubject, newId, parseProducerEvent } from '@vigil/contracts';
import { createDatabase, migrateToLatest, type Database } from '@vigil/db';
import { createTestDatabase, FakeHibp, waitFor, type TestDatabase } from '@vigil/testing';
import { migrations } from '../src/db/migrations';
import type { ResponseDatabase } from '../src/decisions/tables';
import { BreachFeedPoller } from '../src/breach-feed/breach-feed.poller';
import { HibpClient } from '../src/breach-feed/hibp.client';
import { WatchlistRepository } from '../src/breach-feed/watchlist.repository';

/**
 * The HIBP connector against real PostgreSQL and a local server speaking HIBP's documented v3 format:
 * each new (identity, breach) pair is queued once as credential.exposed for ingest, whatever the polls,
 * restarts and rate limits.
 */
const log = pino({ level: 'silent' });
let db: TestDatabase;
let database: Database<ResponseDatabase>;
let hibp: FakeHibp;
let watchlist: WatchlistRepository;

beforeAll(async () => {
  [db, hibp] = await Promise.all([createTestDatabase({ schemas: ['detection'] }), FakeHibp.start('k-123')]);
  database = createDatabase<ResponseDatabase>({ url: db.urlFor('detection'), schema: 'detection' });
  await migrateToLatest(database.db, 'detection', migrations);
  watchlist = new WatchlistRepository(database);
  hibp.breaches.push(
    { Name: 'Adobe', Title: 'Adobe', Domain: 'adobe.com', BreachDate: '2013-10-04', DataClasses: ['Email addresses', 'Password hints', 'Passwords', 'Usernames'], IsVerified: true },
    { Name: 'NaturalLogs', Title: 'Natural Stealer Logs', Domain: '', BreachDate: '2025-01-20', DataClasses: ['Email addresses', 'Passwords'], IsStealerLog: true },
    { Name: 'Fabricated', Title: 'Fabricated', DataClasses: ['Email addresses'], IsFabricated: true },
    { Name: 'Dropbox', Title: 'Dropbox', Domain: 'dropbox.com', BreachDate: '2012-07-01', DataClasses: ['Email addresses', 'Passwords'] },
  );
}, 60_000);

afterAll(async () => {
  await database?.close();
  await hibp?.stop();
  await db?.drop();
});

function poller(opts: { maxRetries?: number; waits?: number[] } = {}): BreachFeedPoller {
  const client = new HibpClient({
    baseUrl: hibp.url,
    apiKey: 'k-123',
    userAgent: 'Vigil-test',
    requestIntervalMs: 0,
    maxRetries: opts.maxRetries ?? 5,
    // Records the waits a 429 asks for instead of sleeping through them.
    sleep: async (ms) => void opts.waits?.push(ms),
  });
  return new BreachFeedPoller(watchlist, client, log);
}

async function queued(orgId: string) {
  const rows = await db.query<{ event_id: string; subject: string; payload: string }>(
    `select event_id, subject, payload::text as payload from detection.outbox where subject = $1 order by event_id`,
    [ingestSubmittedSubject(orgId)],
  );
  return rows.map((r) => ({ ...r, event: JSON.parse(r.payload) }));
}

describe('breach-feed connector (HIBP v3)', () => {
  it('queues each new (identity, breach) once across repeated polls and a restart, in a form ingest accepts', async () => {
    const org = newId();
    hibp.domains.set('acme.test', { alice: ['Adobe', 'NaturalLogs'], bob: ['Adobe', 'Fabricated'] });
    hibp.accounts.set('alice.home@mail.test', ['Dropbox']);
    await watchlist.add(org, { kind: 'domain', value: 'acme.test' });
    await watchlist.add(org, { kind: 'email', value: 'Alice.Home@mail.test', label: 'personal' });

    expect(await poller().pollOnce()).toMatchObject({ entries: 2, reported: 4, failed: 0 });
    const first = await queued(org);
    const pairs = first.map((r) => `${r.event.data.account} ${r.event.data.breachSource}`).sort();
    expect(pairs).toEqual([
      'alice.home@mail.test Dropbox (dropbox.com) via Have I Been Pwned',
      'alice@acme.test Adobe (adobe.com) via Have I Been Pwned',
      'alice@acme.test Natural Stealer Logs via Have I Been Pwned',
      'bob@acme.test Adobe (adobe.com) via Have I Been Pwned',
    ]);
    expect(first.map((r) => r.event_id).sort()).toEqual(
      [deriveId('hibp', org, 'alice@acme.test', 'Adobe'), deriveId('hibp', org, 'alice@acme.test', 'NaturalLogs'), deriveId('hibp', org, 'bob@acme.test', 'Adobe'), deriveId('hibp', org, 'alice.home@mail.test', 'Dropbox')].sort(),
    );
    for (const r of first) expect(parseProducerEvent(r.event)).toMatchObject({ ok: true });
    const stealer = first.find((r) => r.event.data.breachSource.startsWith('Natural'))!;
    expect(stealer.event.data).toMatchObject({ sourceType: 'stealer_malware', passwordForm: 'plaintext' });

    // Again, and again from a fresh poller and connection pool (a restart): nothing new.
    expect(await poller().pollOnce()).toMatchObject({ reported: 0, failed: 0 });
    const restarted = createDatabase<ResponseDatabase>({ url: db.urlFor('detection'), schema: 'detection' });
    try {
      const client = new HibpClient({ baseUrl: hibp.url, apiKey: 'k-123', userAgent: 'Vigil-test', requestIntervalMs: 0, maxRetries: 0 });
      expect(await new BreachFeedPoller(new WatchlistRepository(restarted), client, log).pollOnce()).toMatchObject({ reported: 0, failed: 0 });
    } finally {
      await restarted.close();
    }
    expect(await queued(org)).toHaveLength(4);

    // A new breach of a known address is new: exactly one more.
    hibp.domains.set('acme.test', { alice: ['Adobe', 'NaturalLogs'], bob: ['Adobe', 'Fabricated', 'Dropbox'] });
    expect(await poller().pollOnce()).toMatchObject({ reported: 1, failed: 0 });
    expect((await queued(org)).map((r) => r.event_id)).toContain(deriveId('hibp', org, 'bob@acme.test', 'Dropbox'));

    const entries = await watchlist.list(org);
    expect(entries.map((e) => [e.kind, e.value, e.exposures, e.lastCheckedAt !== null])).toEqual([
      ['domain', 'acme.test', 4, true],
      ['email', 'alice.home@mail.test', 1, true],
    ]);
    // Every request carried the key and a user agent, and asked for full breach models.
    expect(hibp.requests.every((r) => r.apiKey === 'k-123' && r.userAgent === 'Vigil-test')).toBe(true);
    expect(hibp.requests.filter((r) => r.path.startsWith('/api/v3/breachedaccount/')).every((r) => r.path.endsWith('?truncateResponse=false'))).toBe(true);

    // Removing and re-adding an entry does not report its breaches again.
    await watchlist.remove(org, entries[1]!.id);
    await watchlist.add(org, { kind: 'email', value: 'alice.home@mail.test' });
    expect(await poller().pollOnce()).toMatchObject({ reported: 0, failed: 0 });
  });

  it('keeps tenants apart: the same address watched by two orgs is reported to each, and neither sees the other’s list', async () => {
    const [a, b] = [newId(), newId()];
    hibp.accounts.set('shared@mail.test', ['Dropbox']);
    await watchlist.add(a, { kind: 'email', value: 'shared@mail.test' });
    await watchlist.add(b, { kind: 'email', value: 'shared@mail.test' });
    await poller().pollOnce();
    expect((await queued(a)).map((r) => r.event.orgid)).toEqual([a]);
    expect((await queued(b)).map((r) => r.event.orgid)).toEqual([b]);
    expect((await queued(a))[0]!.event_id).not.toBe((await queued(b))[0]!.event_id);
    const [entryA] = await watchlist.list(a);
    expect(await watchlist.get(b, entryA!.id)).toBeUndefined();
    expect(await watchlist.remove(b, entryA!.id)).toBeUndefined();
    expect(await watchlist.list(a)).toHaveLength(1);
  });

  it('waits out 429 with the retry-after HIBP sends, then reads the answer', async () => {
    const org = newId();
    hibp.accounts.set('carol@mail.test', ['Adobe']);
    await watchlist.add(org, { kind: 'email', value: 'carol@mail.test' });
    const before = hibp.requests.length;
    // Every other org's entries are polled too: the first two requests of this poll are refused.
    hibp.rateLimitNext(3, 1);
    const waits: number[] = [];
    const r = await poller({ waits }).pollOnce();
    expect(r.failed).toBe(0);
    expect(waits).toEqual([3000, 1000]);
    expect(hibp.requests.slice(before, before + 3).map((q) => q.status)).toEqual([429, 429, 200]);
    expect(await queued(org)).toHaveLength(1);
  });

  it('leaves an entry for the next poll when HIBP keeps refusing, and reports it then', async () => {
    const [first] = await database.db.selectFrom('watchlist').selectAll().orderBy('created_at').orderBy('id').execute();
    // The first entry polled is the acme.test domain of the first test: give it something new to find.
    expect(first).toMatchObject({ kind: 'domain', value: 'acme.test' });
    hibp.domains.set('acme.test', { ...hibp.domains.get('acme.test'), carl: ['Dropbox'] });
    hibp.rateLimitNext(1, 1);
    const refused = await poller({ maxRetries: 1, waits: [] }).pollOnce();
    expect(refused).toMatchObject({ failed: 1, reported: 0 });
    const after = await database.db.selectFrom('watchlist').select('last_checked_at').where('id', '=', first!.id).executeTakeFirstOrThrow();
    expect(after.last_checked_at).toEqual(first!.last_checked_at);

    expect(await poller().pollOnce()).toMatchObject({ failed: 0, reported: 1 });
    expect((await queued(first!.org_id)).map((r) => r.event_id)).toContain(deriveId('hibp', first!.org_id, 'carl@acme.test', 'Dropbox'));
  });

  it('stops at once on shutdown, even in the middle of an hour-long retry-after', async () => {
    const abort = new AbortController();
    const client = new HibpClient({ baseUrl: hibp.url, apiKey: 'k-123', userAgent: 'Vigil-test', requestIntervalMs: 0, maxRetries: 5, signal: abort.signal });
    const stopping = new BreachFeedPoller(watchlist, client, log);
    hibp.rateLimitNext(3600);
    const before = hibp.requests.length;
    const poll = stopping.pollOnce();
    await waitFor(async () => hibp.requests.length > before, { timeoutMs: 10_000, intervalMs: 10, description: 'the 429' });
    stopping.stop();
    abort.abort();
    // Resolves (Jest's timeout would catch a wait of an hour), with the refused entry left for later.
    expect(await poll).toMatchObject({ failed: 1, reported: 0 });
    expect(hibp.requests.slice(before).map((r) => r.status)).toEqual([429]);
  });
});
