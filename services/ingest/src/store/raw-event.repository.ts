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
    const cols = { event_id: [] as string[], producer_id: [] as string[], source: [] as string[], type: [] as string[], dataschema: [] as string[], occurred_at: [] as string[], envelope: [] as string[], prev_hash: [] as Buffer[], hash: [] as Buffer[], ingest_seq: [] as string[] };
    for (const e of fresh) {
      // Serialised once: the canonical text is both what is hashed and what jsonb parses.
      const envelope = canonicalJson(e.envelope) ?? 'null';
      const hash = chainHashOf(prev, { orgId, eventId: e.eventId, type: e.type, source: e.source, occurredAt: e.occurredAt }, envelope);
      cols.event_id.push(e.eventId);
      cols.producer_id.push(e.producerId);
      cols.source.push(e.source);
      cols.type.push(e.type);
      cols.dataschema.push(e.dataschema);
      cols.occurred_at.push(e.occurredAt);
      cols.envelope.push(envelope);
      cols.prev_hash.push(prev);
      cols.hash.push(hash);
      cols.ingest_seq.push(String(e.ingestSeq));
      prev = hash;
    }
    // One array per column instead of ten parameters per row: a 1,000-event batch is one short statement
    // to build and parse, not 10,000 placeholders. Rows go in in array order, so seq follows the chain.
    // The envelopes travel as one JSON array (zipped in by ROWS FROM): a text[] literal would escape
    // every quote of every envelope on the way in and unescape it again in PostgreSQL.
    // The head moves in the same statement (one round trip, no seqs sent back).
    const { numAffectedRows } = await sql`
      with inserted as (
        insert into raw_events (org_id, event_id, producer_id, source, type, dataschema, occurred_at, envelope, prev_hash, hash, ingest_seq)
        select ${orgId}::uuid, e, p, s, t, d, o, v, ph, h, q
        from rows from (
          unnest(${cols.event_id}::uuid[], ${cols.producer_id}::text[], ${cols.source}::text[], ${cols.type}::text[], ${cols.dataschema}::text[],
            ${cols.occurred_at}::timestamptz[]),
          jsonb_array_elements(${'[' + cols.envelope.join(',') + ']'}::jsonb),
          unnest(${cols.prev_hash}::bytea[], ${cols.hash}::bytea[], ${cols.ingest_seq}::bigint[])
        ) with ordinality as u(e, p, s, t, d, o, v, ph, h, q, n)
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
