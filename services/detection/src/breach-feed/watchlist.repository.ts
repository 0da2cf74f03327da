import { Inject, Injectable } from '@nestjs/common';
import { sql, type Selectable, type Transaction } from 'kysely';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import { newId, type WatchlistEntryV1 } from '@vigil/contracts';
import type { BreachExposuresTable, ResponseDatabase, WatchlistTable } from '../decisions/tables';

type Row = Selectable<WatchlistTable> & { exposures: string | number };

function toView(r: Row): WatchlistEntryV1 {
  return {
    id: r.id,
    kind: r.kind,
    value: r.value,
    label: r.label,
    createdAt: r.created_at.toISOString(),
    lastCheckedAt: r.last_checked_at?.toISOString() ?? null,
    exposures: Number(r.exposures),
  };
}

/** An org's watched domains and email addresses, with how many exposures each has produced. */
@Injectable()
export class WatchlistRepository {
  constructor(@Inject(DATABASE) private readonly database: Database<ResponseDatabase>) {}

  async list(orgId: string): Promise<WatchlistEntryV1[]> {
    return this.select(orgId);
  }

  async get(orgId: string, id: string): Promise<WatchlistEntryV1 | undefined> {
    return (await this.select(orgId, id))[0];
  }

  private async select(orgId: string, id?: string): Promise<WatchlistEntryV1[]> {
    // A domain entry counts every exposed address at the domain; an email entry, itself.
    const rows = await sql<Row>`
      select w.*, (select count(*) from breach_exposures e
                    where e.org_id = w.org_id
                      and case when w.kind = 'email' then e.identity = w.value else e.identity like '%@' || w.value end) as exposures
        from watchlist w
       where w.org_id = ${orgId} ${id !== undefined ? sql`and w.id = ${id}` : sql``}
       order by w.created_at, w.id`.execute(this.database.db);
    return rows.rows.map(toView);
  }

  /** Adds once per (org, kind, value); adding again answers the existing entry. */
  async add(orgId: string, entry: { kind: 'domain' | 'email'; value: string; label?: string }): Promise<{ entry: WatchlistEntryV1; created: boolean }> {
    const value = entry.value.toLowerCase();
    const inserted = await this.database.db
      .insertInto('watchlist')
      .values({ id: newId(), org_id: orgId, kind: entry.kind, value, label: entry.label ?? null, last_checked_at: null })
      .onConflict((oc) => oc.constraint('watchlist_value_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    const existing = inserted
      ? inserted.id
      : (await this.database.db.selectFrom('watchlist').select('id').where('org_id', '=', orgId).where('kind', '=', entry.kind).where('value', '=', value).executeTakeFirstOrThrow()).id;
    return { entry: (await this.get(orgId, existing))!, created: inserted !== undefined };
  }

  async remove(orgId: string, id: string): Promise<WatchlistEntryV1 | undefined> {
    const entry = await this.get(orgId, id);
    if (!entry) return undefined;
    const r = await this.database.db.deleteFrom('watchlist').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0 ? entry : undefined;
  }

  /** Every org's entries, in the order a poll visits them. */
  async allEntries(): Promise<Selectable<WatchlistTable>[]> {
    return this.database.db.selectFrom('watchlist').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  transaction<T>(fn: (tx: Transaction<ResponseDatabase>) => Promise<T>): Promise<T> {
    return this.database.db.transaction().execute(fn);
  }

  /** Records exposures once; answers the ones not recorded before. */
  async recordExposures(tx: Transaction<ResponseDatabase>, rows: Omit<BreachExposuresTable, 'found_at'>[]): Promise<Omit<BreachExposuresTable, 'found_at' | 'org_id'>[]> {
    if (!rows.length) return [];
    return tx
      .insertInto('breach_exposures')
      .values(rows)
      .onConflict((oc) => oc.columns(['org_id', 'identity', 'breach_name']).doNothing())
      .returning(['identity', 'breach_name', 'event_id'])
      .execute();
  }

  async markChecked(tx: Transaction<ResponseDatabase>, id: string, at: Date): Promise<void> {
    await tx.updateTable('watchlist').set({ last_checked_at: at }).where('id', '=', id).execute();
  }
}
