import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { repoRoot, waitFor } from '@vigil/testing';
import { TestStack, loginFailed, type TestOrg } from '../src';

const run = promisify(execFile);

/**
 * The event store is evidence: someone with the database owner's rights can get past the append-only
 * trigger, but not past the hash chain. GET /v1/events/verify and `vigil events verify` (both asking
 * ingest over NATS) name the first row that was altered, removed or reordered.
 */
describe('tamper-evident event store: verify (gateway + ingest as real processes)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'ingest'] });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  /** A new org with `n` stored events; returns its rows in chain order. */
  async function orgWithEvents(name: string, n: number) {
    const org = await stack.createOrg(name, [`sec@${name.toLowerCase()}.test`]);
    const res = await stack.api('/v1/events', { key: org.key, body: Array.from({ length: n }, (_, i) => loginFailed(`203.0.113.${i + 1}`)) });
    expect(res.status).toBe(202);
    const rows = () => stack.db.query<{ seq: string; event_id: string }>('select seq, event_id from ingest.raw_events where org_id = $1 order by seq', [org.orgId]);
    await waitFor(async () => (await rows()).length === n, { timeoutMs: 30_000, description: `ingest to store ${n} events` });
    return { org, rows: await rows() };
  }

  /** As the superuser, in one session with triggers off: what an attacker owning the database can do. */
  async function asOwner(fn: (db: Client) => Promise<void>) {
    const db = new Client({ connectionString: stack.db.adminUrl });
    await db.connect();
    try {
      await db.query('set session_replication_role = replica');
      await fn(db);
    } finally {
      await db.end();
    }
  }

  const verify = (org: TestOrg) => stack.api('/v1/events/verify', { key: org.key });

  async function cli(org: TestOrg) {
    const entry = join(repoRoot(), 'services/gateway/dist/cli.js');
    const env = { ...process.env, DATABASE_URL: stack.db.urlFor('gateway'), NATS_URL: stack.nats.url };
    return run(process.execPath, [entry, 'events', 'verify', '--org', org.orgId], { env }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
    );
  }

  it('answers intact for an untouched chain, over the API and the CLI', async () => {
    const { org } = await orgWithEvents('Intact', 5);
    const res = await verify(org);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ intact: true, checked: 5 });
    // The API call was an admin call: its admin.action event joins the chain too (self-audit).
    await waitFor(async () => (await stack.count('select count(*) as n from ingest.raw_events where org_id = $1', [org.orgId])) === 6, {
      description: 'the verify call to be chained as an admin.action',
    });
    expect(await cli(org)).toEqual({ code: 0, stdout: 'intact: 6 events verified\n' });
  });

  it('names a row whose content was altered by hand', async () => {
    const { org, rows } = await orgWithEvents('Altered', 5);
    const target = rows[2]!;
    await asOwner(async (db) => {
      await db.query(`update ingest.raw_events set envelope = jsonb_set(envelope, '{data,ip}', '"198.51.100.99"') where seq = $1`, [target.seq]);
    });
    const res = await verify(org);
    expect(res.body).toEqual({ intact: false, checked: 3, firstBrokenSeq: Number(target.seq), firstBrokenEventId: target.event_id, lastIntactSeq: Number(rows[1]!.seq), reason: 'altered' });
    const out = await cli(org);
    expect(out.code).toBe(3);
    expect(out.stdout).toContain(`BROKEN: altered at seq ${target.seq} (event ${target.event_id})`);
  });

  it('names the row after one that was deleted', async () => {
    const { org, rows } = await orgWithEvents('Removed', 5);
    await asOwner(async (db) => {
      await db.query('delete from ingest.raw_events where seq = $1', [rows[1]!.seq]);
    });
    const res = await verify(org);
    expect(res.body).toEqual({ intact: false, checked: 2, firstBrokenSeq: Number(rows[2]!.seq), firstBrokenEventId: rows[2]!.event_id, lastIntactSeq: Number(rows[0]!.seq), reason: 'removed' });
    expect((await cli(org)).stdout).toContain(`BROKEN: removed at seq ${rows[2]!.seq}`);
  });

  it('names the first of two rows whose contents were swapped', async () => {
    const { org, rows } = await orgWithEvents('Reordered', 5);
    const [a, b] = [rows[1]!, rows[3]!];
    await asOwner(async (db) => {
      // Everything but seq changes places ((org_id, event_id) is unique: through a placeholder id).
      const cols = ['event_id', 'producer_id', 'source', 'type', 'dataschema', 'occurred_at', 'received_at', 'envelope', 'prev_hash', 'hash'];
      await db.query('begin');
      await db.query(`create temp table swap as select seq, ${cols.join(', ')} from ingest.raw_events where seq in ($1, $2)`, [a.seq, b.seq]);
      await db.query('update ingest.raw_events set event_id = gen_random_uuid() where seq in ($1, $2)', [a.seq, b.seq]);
      await db.query(
        `update ingest.raw_events r set ${cols.map((c) => `${c} = s.${c}`).join(', ')} from swap s where s.seq = case r.seq when $1::bigint then $2::bigint else $1::bigint end and r.seq in ($1, $2)`,
        [a.seq, b.seq],
      );
      await db.query('commit');
    });
    const moved = await stack.db.query<{ event_id: string }>('select event_id from ingest.raw_events where seq = $1', [a.seq]);
    expect(moved[0]!.event_id).toBe(b.event_id);
    const res = await verify(org);
    expect(res.body).toEqual({ intact: false, checked: 2, firstBrokenSeq: Number(a.seq), firstBrokenEventId: b.event_id, lastIntactSeq: Number(rows[0]!.seq), reason: 'reordered' });
    expect((await cli(org)).stdout).toContain(`BROKEN: reordered at seq ${a.seq} (event ${b.event_id})`);
  });

  it('keeps each org to its own chain, and documents the route', async () => {
    // The orgs above were tampered with; a fresh one is untouched by it.
    const { org } = await orgWithEvents('Neighbour', 2);
    expect((await verify(org)).body).toEqual({ intact: true, checked: 2 });
    expect((await stack.api('/v1/events/verify')).status).toBe(401);
    const doc = await stack.api('/v1/openapi.json');
    expect(doc.body.paths['/v1/events/verify'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/ChainVerification' });
  });
});
