import { Inject, Injectable } from '@nestjs/common';
import type { Transaction } from 'kysely';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import type { IngestDatabase } from '../db/schema';
import { chainHash, GENESIS_HASH } from './hash-chain';

export interface NewRawEvent {
  eventId: string;
  producerId: string;
  source: string;
  type: string;
  dataschema: string;
  occurredAt: string;
  envelope: Record<string, unknown>;
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
  async append(tx: Transaction<IngestDatabase>, orgId: string, events: NewRawEvent[]): Promise<NewRawEvent[]> {
    await tx
      .insertInto('chain_heads')
      .values({ org_id: orgId, last_seq: '0', last_hash: GENESIS_HASH })
      .onConflict((oc) => oc.column('org_id').doNothing())
      .execute();
    const head = await tx.selectFrom('chain_heads').select(['last_hash']).where('org_id', '=', orgId).forUpdate().executeTakeFirstOrThrow();

    const ids = [...new Set(events.map((e) => e.eventId))];
    const existing = await tx.selectFrom('raw_events').select('event_id').where('org_id', '=', orgId).where('event_id', 'in', ids).execute();
    const seen = new Set(existing.map((r) => r.event_id));
    const fresh: NewRawEvent[] = [];
    for (const e of events) {
      if (seen.has(e.eventId)) continue;
      seen.add(e.eventId);
      fresh.push(e);
    }
    if (!fresh.length) return [];

    let prev = head.last_hash;
    const rows = fresh.map((e) => {
      const hash = chainHash(prev, { orgId, eventId: e.eventId, type: e.type, source: e.source, occurredAt: e.occurredAt, envelope: e.envelope });
      const row = {
        org_id: orgId,
        event_id: e.eventId,
        producer_id: e.producerId,
        source: e.source,
        type: e.type,
        dataschema: e.dataschema,
        occurred_at: new Date(e.occurredAt),
        envelope: JSON.stringify(e.envelope),
        prev_hash: prev,
        hash,
      };
      prev = hash;
      return row;
    });
    const inserted = await tx.insertInto('raw_events').values(rows).returning('seq').execute();
    await tx
      .updateTable('chain_heads')
      .set({ last_seq: inserted[inserted.length - 1]!.seq, last_hash: prev })
      .where('org_id', '=', orgId)
      .execute();
    return fresh;
  }

  /** Recomputes an org's chain from the stored rows; returns the first broken seq, or null if intact. */
  async verifyChain(orgId: string): Promise<{ checked: number; brokenAt: string | null }> {
    const rows = await this.db
      .selectFrom('raw_events')
      .select(['seq', 'event_id', 'type', 'source', 'occurred_at', 'envelope', 'prev_hash', 'hash'])
      .where('org_id', '=', orgId)
      .orderBy('seq')
      .execute();
    let prev: Buffer = GENESIS_HASH;
    for (const r of rows) {
      const expected = chainHash(prev, { orgId, eventId: r.event_id, type: r.type, source: r.source, occurredAt: r.occurred_at.toISOString(), envelope: r.envelope });
      if (!r.prev_hash.equals(prev) || !r.hash.equals(expected)) return { checked: rows.length, brokenAt: r.seq };
      prev = r.hash;
    }
    return { checked: rows.length, brokenAt: null };
  }
}
