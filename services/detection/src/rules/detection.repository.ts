import { Inject, Injectable } from '@nestjs/common';
import { sql, type Transaction } from 'kysely';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import type { DetectionDatabase, FailedLoginsTable } from '../db/schema';
import type { AttackSpan, ClusterStore, Span, WindowEvent } from './sliding-window';

type Tx = Transaction<DetectionDatabase>;

/** The failed_logins column a rule keys on. */
export type KeyColumn = 'ip' | 'username';

/** One (org, rule, key) of a sliding-window rule over failed logins. */
export interface RuleKey {
  orgId: string;
  ruleId: string;
  keyColumn: KeyColumn;
  key: string;
}

export interface FailedLoginEvent extends WindowEvent {
  username: string | null;
}

/** The only code that touches detection's tables. */
@Injectable()
export class DetectionRepository {
  constructor(@Inject(DATABASE) private readonly database: Database<DetectionDatabase>) {}

  get db() {
    return this.database.db;
  }

  /** Serialises evaluation of one (org, rule, key) so two concurrent failures can't both trigger. */
  async lockKey(tx: Tx, orgId: string, ruleId: string, key: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`${orgId}|${ruleId}|${key}`}, 0))`.execute(tx);
  }

  /**
   * Stores a failed login once (by event id) and, in the same statement, reads its key's newest failure
   * before it: that tells an in-order event from a late one without another round trip. Flags the row
   * `late` when that newest is after `lateIfNewestAfter`.
   */
  async recordFailedLogin(
    tx: Tx,
    row: Omit<FailedLoginsTable, 'late'>,
    by: { keyColumn: KeyColumn; key: string; lateIfNewestAfter: Date },
  ): Promise<{ inserted: boolean; newestBefore: Date | null }> {
    const { rows } = await sql<{ newest_at: Date | null; inserted: number }>`
      with newest as (
        select max(occurred_at) as at from failed_logins where org_id = ${row.org_id} and ${sql.ref(by.keyColumn)} = ${by.key}
      ), ins as (
        insert into failed_logins (org_id, event_id, ip, username, occurred_at, late)
        values (${row.org_id}, ${row.event_id}, ${row.ip}, ${row.username}, ${row.occurred_at},
                coalesce((select at from newest) > ${by.lateIfNewestAfter}::timestamptz, false))
        on conflict (org_id, event_id) do nothing
        returning 1
      )
      select (select at from newest) as newest_at, (select count(*) from ins)::int as inserted
    `.execute(tx);
    const r = rows[0]!;
    return { inserted: r.inserted > 0, newestBefore: r.newest_at };
  }

  /** The windowed-cluster state of one key, for `observe`; valid inside `tx` under the key's lock. */
  clusterStore(tx: Tx, k: RuleKey): ClusterStore<FailedLoginEvent> {
    const ms = (windowMs: number) => sql`(${windowMs}::float8 * interval '1 millisecond')`;
    const keyed = sql`org_id = ${k.orgId} and ${sql.ref(k.keyColumn)} = ${k.key}`;
    const toSpan = (r: { detection_id: string; started_at: Date; last_seen_at: Date; event_count: number }): AttackSpan => ({
      detectionId: r.detection_id,
      start: r.started_at.getTime(),
      end: r.last_seen_at.getTime(),
      eventCount: r.event_count,
    });
    return {
      attacksNear: async (span: Span, windowMs: number) => {
        const rows = await tx
          .selectFrom('attacks')
          .select(['detection_id', 'started_at', 'last_seen_at', 'event_count'])
          .where('org_id', '=', k.orgId)
          .where('rule_id', '=', k.ruleId)
          .where('key', '=', k.key)
          .where('last_seen_at', '>=', new Date(span.start - windowMs))
          .where('started_at', '<=', new Date(span.end + windowMs))
          .orderBy('started_at')
          .execute();
        return rows.map(toSpan);
      },

      eventsAround: async (t: number, windowMs: number) => {
        const rows = await tx
          .selectFrom('failed_logins')
          .select(['event_id', 'username', 'occurred_at'])
          .where('org_id', '=', k.orgId)
          .where(k.keyColumn, '=', k.key)
          .where('occurred_at', '>', new Date(t - windowMs))
          .where('occurred_at', '<', new Date(t + windowMs))
          .orderBy('occurred_at')
          .orderBy('event_id')
          .execute();
        return rows.map((r) => ({ at: r.occurred_at.getTime(), eventId: r.event_id, username: r.username }));
      },

      // One round trip: each recursive step is an index probe for the farthest event within W.
      cluster: async (span: Span, windowMs: number, walk: { before: boolean; after: boolean }) => {
        const { rows } = await sql<{ s: Date; e: Date; n: number }>`
          with recursive back(at) as (
            select ${new Date(span.start)}::timestamptz
            union all
            select (select min(occurred_at) from failed_logins
                     where ${keyed} and occurred_at >= back.at - ${ms(windowMs)} and occurred_at < back.at)
              from back where back.at is not null and ${walk.before}::boolean
          ), fwd(at) as (
            select ${new Date(span.end)}::timestamptz
            union all
            select (select max(occurred_at) from failed_logins
                     where ${keyed} and occurred_at > fwd.at and occurred_at <= fwd.at + ${ms(windowMs)})
              from fwd where fwd.at is not null and ${walk.after}::boolean
          ), bounds as (
            select (select min(at) from back) as s, (select max(at) from fwd) as e
          )
          select s, e, (select count(*) from failed_logins where ${keyed} and occurred_at between s and e)::int as n from bounds
        `.execute(tx);
        const r = rows[0]!;
        return { start: r.s.getTime(), end: r.e.getTime(), count: r.n };
      },

      saveAttack: async (attack: AttackSpan, absorbed: readonly string[]) => {
        if (absorbed.length) await tx.deleteFrom('attacks').where('detection_id', 'in', [...absorbed]).execute();
        const span = { started_at: new Date(attack.start), last_seen_at: new Date(attack.end), event_count: attack.eventCount };
        await tx
          .insertInto('attacks')
          .values({ detection_id: attack.detectionId, org_id: k.orgId, rule_id: k.ruleId, key: k.key, ...span })
          .onConflict((oc) => oc.column('detection_id').doUpdateSet(span))
          .execute();
      },
    };
  }

  async override(tx: Tx, orgId: string, ruleId: string) {
    return tx
      .selectFrom('rule_overrides')
      .select(['enabled', 'threshold', 'window_seconds'])
      .where('org_id', '=', orgId)
      .where('rule_id', '=', ruleId)
      .executeTakeFirst();
  }

  async pruneFailedLogins(before: Date): Promise<number> {
    const r = await this.db.deleteFrom('failed_logins').where('occurred_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Attacks whose last event is older than any failure still kept can no longer be joined. */
  async pruneAttacks(before: Date): Promise<number> {
    const r = await this.db.deleteFrom('attacks').where('last_seen_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
