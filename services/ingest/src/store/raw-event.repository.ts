import { Inject, Injectable } from '@nestjs/common';
import { sql, type Transaction } from 'kysely';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import type { IngestDatabase } from '../db/schema';
import type { ChainBreakReason, ChainVerificationV1 } from '@vigil/contracts';
import { canonicalJson, chainHash, chainHashOf, GENESIS_HASH } from './hash-chain';

/** Rows per query when verifying a chain: bounded memory whatever the chain's length. */
export const VERIFY_PAGE_SIZE = 5_000;

export interface NewRawEvent {
  eventId: string;
  producerId: string;
  source: string;
  type: string;
  dataschema: string;
  occurredAt: string;
  envelope: Record<string, unknown>;
  /** Stream sequence of the message carrying it. */
  ingestSeq: number;
}

export interface Appended {
  /** Appended now. */
  fresh: NewRawEvent[];
  /** Already stored by the same message (an earlier delivery of it): event id set. */
  storedBySameMessage: Set<string>;
}

/** The only code that touches ingest's tables. */
@Injectable()
export class RawEventRepository {
  constructor(@Inject(DATABASE) private readonly database: Database<IngestDatabase>) {}

  get db() {
    return this.database.db;
  }

  /**
   * Appends one org's events to its chain and returns those that were new. Holding the chain head's
   * row lock serialises appends per org, so duplicates are filtered and the chain extended without races.
   */
  async append(tx: Transaction<IngestDatabase>, orgId: string, events: NewRawEvent[]): Promise<Appended> {
    // Creates the head or, through a no-op update, takes its row lock and reads it: one round trip.
    // ON CONFLICT DO UPDATE acts on the newest committed version, so a wait ends with the hash the
    // previous holder left.
    const head = await tx
      .insertInto('chain_heads')
      .values({ org_id: orgId, last_seq: '0', last_hash: GENESIS_HASH })
      .onConflict((oc) => oc.column('org_id').doUpdateSet({ last_seq: sql<string>`chain_heads.last_seq` }))
      .returning(['last_hash'])
      .executeTakeFirstOrThrow();

    const ids = [...new Set(events.map((e) => e.eventId))];
    // One index probe per id, whatever the statistics say. `event_id = any(ids)` let the planner,
    // with no statistics yet for a young table or org, scan every row of the org and filter: a cost
    // growing with the store, per batch. LIMIT keeps the lateral subquery from being flattened into
    // that same hash join.
    const existing = await sql<{ event_id: string; ingest_seq: string | null }>`
      select r.event_id, r.ingest_seq
      from unnest(${ids}::uuid[]) as i(id)
      cross join lateral (
        select event_id, ingest_seq from raw_events where org_id = ${orgId}::uuid and event_id = i.id limit 1
      ) r`
      .execute(tx)
      .then((r) => r.rows);
    const seen = new Set(existing.map((r) => r.event_id));
    const seqOf = new Map(events.map((e) => [e.eventId, String(e.ingestSeq)]));
    const storedBySameMessage = new Set(existing.filter((r) => r.ingest_seq !== null && r.ingest_seq === seqOf.get(r.event_id)).map((r) => r.event_id));
    const fresh: NewRawEvent[] = [];
    for (const e of events) {
      if (seen.has(e.eventId)) continue;
      seen.add(e.eventId);
      fresh.push(e);
    }
    if (!fresh.length) return { fresh, storedBySameMessage };

    let prev = head.last_hash;
    // One JSON parameter for the whole batch, a tuple per row: JSON.stringify is native, where pg
    // escaped every element of ten text arrays in JavaScript. The envelope goes in as the canonical
    // text that was hashed; prev_hash is the previous row's hash. Rows go in in array order, so seq
    // follows the chain.
    let rows = '';
    for (const e of fresh) {
      // Serialised once: the canonical text is both what is hashed and what jsonb parses.
      const envelope = canonicalJson(e.envelope) ?? 'null';
      prev = chainHashOf(prev, { orgId, eventId: e.eventId, type: e.type, source: e.source, occurredAt: e.occurredAt }, envelope);
      const text = JSON.stringify([e.eventId, e.occurredAt, prev.toString('hex'), e.ingestSeq, e.producerId, e.source, e.type, e.dataschema]);
      rows += `${rows ? ',' : '['}${text.slice(0, -1)},${envelope}]`;
    }
    // The head moves in the same statement (one round trip, no seqs sent back).
    const { numAffectedRows } = await sql`
      with batch as (
        select (r->>0)::uuid as e, (r->>1)::timestamptz as o, decode(r->>2, 'hex') as h, (r->>3)::bigint as q,
          r->>4 as p, r->>5 as s, r->>6 as t, r->>7 as d, r->8 as v, n
        from jsonb_array_elements(${rows + ']'}::jsonb) with ordinality as x(r, n)
      ),
      inserted as (
        insert into raw_events (org_id, event_id, producer_id, source, type, dataschema, occurred_at, envelope, prev_hash, hash, ingest_seq)
        select ${orgId}::uuid, e, p, s, t, d, o, v, coalesce(lag(h) over (order by n), ${head.last_hash}::bytea), h, q
        from batch
        order by n
        returning seq
      )
      update chain_heads set last_seq = (select max(seq) from inserted), last_hash = ${prev}
      where org_id = ${orgId}::uuid`.execute(tx);
    if (numAffectedRows !== 1n) throw new Error(`chain head of ${orgId} not moved (${numAffectedRows} rows)`);
    return { fresh, storedBySameMessage };
  }

  /**
   * Recomputes an org's chain, page by page (keyset on seq), so a chain of any length is checked in
   * constant memory. Stops at the first broken row and says how it broke:
   * - altered: the row's hash is not the hash of its own content and prev_hash;
   * - reordered: the row is self-consistent but links to a stored row other than the one before it;
   * - removed: it links to a hash no stored row has, or the chain head names rows that are gone.
   * seq is one sequence shared by every org, so gaps in an org's seqs are normal and prove nothing:
   * only the hash links do.
   */
  async verifyChain(orgId: string, opts: { pageSize?: number } = {}): Promise<ChainVerificationV1> {
    const pageSize = opts.pageSize ?? VERIFY_PAGE_SIZE;
    // The head first: every row of this org up to its last_seq was committed with it (appends hold
    // the head's lock), so rows appended while we read are simply beyond the range, never a false break.
    const head = await this.db.selectFrom('chain_heads').select(['last_seq', 'last_hash']).where('org_id', '=', orgId).executeTakeFirst();
    let prev: Buffer = GENESIS_HASH;
    let lastIntactSeq: string | null = null;
    let checked = 0;
    const broken = (seq: string, reason: ChainBreakReason, eventId?: string): ChainVerificationV1 => ({
      intact: false,
      checked,
      firstBrokenSeq: Number(seq),
      ...(eventId ? { firstBrokenEventId: eventId } : {}),
      lastIntactSeq: lastIntactSeq === null ? null : Number(lastIntactSeq),
      reason,
    });
    for (;;) {
      let page = this.db
        .selectFrom('raw_events')
        .select(['seq', 'event_id', 'type', 'source', 'occurred_at', 'envelope', 'prev_hash', 'hash'])
        .where('org_id', '=', orgId);
      if (lastIntactSeq !== null) page = page.where('seq', '>', lastIntactSeq);
      if (head) page = page.where('seq', '<=', head.last_seq);
      const rows = await page.orderBy('seq').limit(pageSize).execute();
      for (const r of rows) {
        checked += 1;
        const own = chainHash(r.prev_hash, { orgId, eventId: r.event_id, type: r.type, source: r.source, occurredAt: r.occurred_at.toISOString(), envelope: r.envelope });
        if (!own.equals(r.hash)) return broken(r.seq, 'altered', r.event_id);
        if (!r.prev_hash.equals(prev)) return broken(r.seq, (await this.hasLink(orgId, r.prev_hash)) ? 'reordered' : 'removed', r.event_id);
        prev = r.hash;
        lastIntactSeq = r.seq;
      }
      if (rows.length < pageSize) break;
    }
    if (head && !head.last_hash.equals(prev)) {
      // The head names a later row than the last one stored: the end of the chain was cut off.
      if (lastIntactSeq === null || BigInt(head.last_seq) > BigInt(lastIntactSeq)) return broken(head.last_seq, 'removed');
      return broken(lastIntactSeq, 'altered');
    }
    return { intact: true, checked };
  }

  /**
   * Whether some stored row of the org ends in this hash (or it is the genesis link). No index on
   * hash: this runs once, at the first broken link, and an index would cost every append.
   */
  private async hasLink(orgId: string, hash: Buffer): Promise<boolean> {
    if (hash.equals(GENESIS_HASH)) return true;
    const row = await this.db.selectFrom('raw_events').select('seq').where('org_id', '=', orgId).where('hash', '=', hash).limit(1).executeTakeFirst();
    return row !== undefined;
  }
}
