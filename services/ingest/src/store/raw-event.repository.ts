import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type Transaction } from 'kysely';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import type { IngestDatabase } from '../db/schema';
import type { ChainBreakReason, ChainVerificationV1 } from '@vigil/contracts';
import { canonicalJson, chainHash, chainHashHex, GENESIS_HASH } from './hash-chain';

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

/** Orgs whose chain head is remembered between appends. */
const MAX_CACHED_HEADS = 10_000;
/** Appends that found the head moved, in a row, before giving up (the message is then retried). */
const MAX_APPEND_ROUNDS = 20;

/** What append_events answers: rows appended, or the real head and the ids (with ingest_seq) already stored. */
type AppendOutcome = { appended: number } | { head: string; stored: [string, string | null][] };

export interface Appended {
  /** Appended now. */
  fresh: NewRawEvent[];
  /** Already stored by the same message (an earlier delivery of it): event id set. */
  storedBySameMessage: Set<string>;
}

/**
 * Chains events from `head`: the JSON rows append_events takes, a tuple per event
 * [event_id, occurred_at, hash (hex), ingest_seq, producer_id, source, type, dataschema, envelope],
 * and the last hash. One JSON parameter for the whole batch: JSON.stringify is native, where pg escaped
 * every element of ten text arrays in JavaScript. The envelope goes in as the canonical text that was
 * hashed, so what jsonb parses is exactly what the chain covers.
 */
function chainRows(orgId: string, head: Buffer, events: NewRawEvent[]): { rows: string; lastHash: Buffer } {
  // Hex from link to link: the rows carry it, and only the last one is needed as bytes.
  let prev = head.toString('hex');
  // Joined once at the end, brackets and commas included, into one flat string: appending to one
  // string made a rope PostgreSQL's client then flattened, and so did wrapping the joined rows in [].
  const rows: string[] = [];
  // A batch's events mostly share source, type and schema: each distinct one is escaped once.
  const quoted = new Map<string, string>();
  const quote = (s: string) => quoted.get(s) ?? quoted.set(s, JSON.stringify(s)).get(s)!;
  for (const e of events) {
    const envelope = canonicalJson(e.envelope) ?? 'null';
    prev = chainHashHex(prev, { orgId, eventId: e.eventId, type: e.type, source: e.source, occurredAt: e.occurredAt }, envelope);
    rows.push(
      `${rows.length ? ',[' : '[['}${JSON.stringify(e.eventId)},${JSON.stringify(e.occurredAt)},"${prev}",${Number(e.ingestSeq)},${JSON.stringify(e.producerId)},${quote(e.source)},${quote(e.type)},${quote(e.dataschema)},${envelope}]`,
    );
  }
  rows.push(']');
  return { rows: rows.join(''), lastHash: Buffer.from(prev, 'hex') };
}

/** The only code that touches ingest's tables. */
@Injectable()
export class RawEventRepository {
  constructor(@Inject(DATABASE) private readonly database: Database<IngestDatabase>) {}

  get db() {
    return this.database.db;
  }

  /**
   * The chain head each org had after this process's last append: appends are chained from it without
   * asking first. A stale entry (another replica appended, or a transaction was rolled back) costs one
   * extra round trip, never a wrong link: append_events checks it under the head's row lock.
   */
  private readonly heads = new Map<string, Buffer>();

  /**
   * Appends one org's events to its chain and returns those that were new: one round trip, in its own
   * transaction unless `executor` is one. Usually a single call to append_events (migration
   * 20261218T000000), chained from the cached head; when the head moved or some events are stored
   * already, that call stores nothing and answers both, and the events left are chained again.
   */
  async append(orgId: string, events: NewRawEvent[], executor: Kysely<IngestDatabase> | Transaction<IngestDatabase> = this.db): Promise<Appended> {
    // One append per org at a time in this process: side by side, the second would chain from the
    // head the first is replacing and have to do its work twice. Other orgs' appends go on meanwhile.
    const previous = this.appending.get(orgId);
    const turn = (previous ?? Promise.resolve()).then(() => this.appendNow(orgId, events, executor));
    const done = turn.then(
      () => undefined,
      () => undefined,
    );
    this.appending.set(orgId, done);
    try {
      return await turn;
    } finally {
      if (this.appending.get(orgId) === done) this.appending.delete(orgId);
    }
  }

  /** The org's appends in this process, chained one after the other (see append). */
  private readonly appending = new Map<string, Promise<void>>();

  private async appendNow(orgId: string, events: NewRawEvent[], executor: Kysely<IngestDatabase> | Transaction<IngestDatabase>): Promise<Appended> {
    const seqOf = new Map(events.map((e) => [e.eventId, String(e.ingestSeq)]));
    const storedBySameMessage = new Set<string>();
    const stored = new Set<string>();
    // A batch may name an event twice: the first one counts, in the batch's order.
    const seen = new Set<string>();
    const unique = events.filter((e) => !seen.has(e.eventId) && seen.add(e.eventId));
    // Bounded: each round either appends or learns a stored id or a newer head, and heads only move.
    for (let round = 1; ; round += 1) {
      const fresh = unique.filter((e) => !stored.has(e.eventId));
      if (!fresh.length) return { fresh, storedBySameMessage };
      const expected = this.heads.get(orgId) ?? null;
      const chained = expected ? chainRows(orgId, expected, fresh) : undefined;
      // Ids are uuids (deriveId): an array literal needs no quoting, and pg's escaping of each element cost garbage.
      const { rows } = await sql<{ outcome: AppendOutcome }>`
        select append_events(${orgId}::uuid, ${GENESIS_HASH}, ${expected}, ${`{${fresh.map((e) => e.eventId).join(',')}}`}::uuid[], ${chained?.rows ?? null}::jsonb, ${chained?.lastHash ?? null}) as outcome`.execute(executor);
      const outcome = rows[0]!.outcome;
      if ('appended' in outcome) {
        if (Number(outcome.appended) !== fresh.length) throw new Error(`append_events stored ${outcome.appended} of ${fresh.length} events of ${orgId}`);
        this.rememberHead(orgId, chained!.lastHash);
        return { fresh, storedBySameMessage };
      }
      this.rememberHead(orgId, Buffer.from(outcome.head, 'hex'));
      for (const [id, seq] of outcome.stored) {
        stored.add(id);
        if (seq !== null && seq === seqOf.get(id)) storedBySameMessage.add(id);
      }
      // Other replicas keep winning the head: a serialization failure (SQLSTATE 40001), so the message
      // is retried later, never parked.
      if (round >= MAX_APPEND_ROUNDS) throw Object.assign(new Error(`chain head of ${orgId} moved under ${round} appends in a row`), { code: '40001' });
    }
  }

  private rememberHead(orgId: string, hash: Buffer): void {
    // Bounded memory whatever the number of orgs: forgetting costs one round trip per org.
    if (this.heads.size >= MAX_CACHED_HEADS && !this.heads.has(orgId)) this.heads.clear();
    this.heads.set(orgId, hash);
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
