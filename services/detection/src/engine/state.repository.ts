import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '@vigil/db';
import { DATABASE } from '@vigil/platform';
import type { AttackRow, DetectionDatabase, NewObservedEvent, ObservedEventRow, RuleSettingsRow } from '../db/schema';
import type { AttackWrites } from './key-state';
import type { KeyRef } from './registry';
import type { KeyKind } from './rule';

type Db = Kysely<DetectionDatabase> | Transaction<DetectionDatabase>;

export interface Mark {
  orgId: string;
  eventId: string;
  flag: string;
}

/** The only code that touches detection's tables. */
@Injectable()
export class StateRepository {
  constructor(@Inject(DATABASE) private readonly database: Database<DetectionDatabase>) {}

  get db(): Kysely<DetectionDatabase> {
    return this.database.db;
  }

  /**
   * One round trip at the start of a batch: records its event ids in the inbox (returning those not
   * processed before) and loads the observed events (every type) and attack rows (every rule) of the
   * keys not in memory. Lateral subqueries: one index probe per key, never a scan of a whole table.
   */
  async recordAndLoad(
    tx: Transaction<DetectionDatabase>,
    consumer: string,
    eventIds: readonly string[],
    keys: readonly KeyRef[],
  ): Promise<{ fresh: Set<string>; events: (ObservedEventRow & { kind: KeyKind; key: string })[]; attacks: AttackRow[] }> {
    // An IP and an account may share a value: one attack probe for both.
    const attackKeys = [...new Map(keys.map((k) => [`${k.orgId}\u0000${k.value}`, k])).values()];
    const { rows } = await sql<{ part: 'i' | 'e' | 'a'; row: Record<string, unknown> }>`
      with ib as (
        insert into inbox (consumer, event_id) select ${consumer}, id from unnest(${[...new Set(eventIds)]}::text[]) as id
        on conflict do nothing returning event_id
      ), k as (
        select * from unnest(${keys.map((k) => k.orgId)}::uuid[], ${keys.map((k) => k.kind)}::text[], ${keys.map((k) => k.value)}::text[]) as k(org_id, kind, value)
      ), ak as (
        select * from unnest(${attackKeys.map((k) => k.orgId)}::uuid[], ${attackKeys.map((k) => k.value)}::text[]) as ak(org_id, key)
      )
      select 'i' as part, json_build_object('event_id', event_id) as row from ib
      union all
      select 'e', json_build_object('org_id', e.org_id, 'event_id', e.event_id, 'type', e.type, 'occurred_at', e.occurred_at, 'ip', e.ip, 'account', e.account, 'attrs', e.attrs, 'late', e.late, 'kind', k.kind, 'key', k.value)
        from k cross join lateral (
          select * from observed_events e where k.kind = 'ip' and e.org_id = k.org_id and e.ip = k.value
          union all
          select * from observed_events e where k.kind = 'account' and e.org_id = k.org_id and e.account = k.value
        ) e
      union all
      select 'a', to_json(a) from ak cross join lateral (select * from attacks a where a.org_id = ak.org_id and a.key = ak.key) a
    `.execute(tx);
    const out = { fresh: new Set<string>(), events: [] as (ObservedEventRow & { kind: KeyKind; key: string })[], attacks: [] as AttackRow[] };
    for (const { part, row } of rows) {
      if (part === 'i') out.fresh.add(row.event_id as string);
      else if (part === 'e') out.events.push({ ...(row as unknown as ObservedEventRow & { kind: KeyKind; key: string }), occurred_at: new Date(row.occurred_at as string) });
      else out.attacks.push({ ...(row as unknown as AttackRow), started_at: new Date(row.started_at as string), last_seen_at: new Date(row.last_seen_at as string), detected_at: new Date(row.detected_at as string) });
    }
    return out;
  }

  /** A batch's state changes, in the batch's transaction: new events and attack rows in one statement, then marks. */
  async write(tx: Transaction<DetectionDatabase>, changes: { events: NewObservedEvent[]; attacks: AttackWrites; marks: Mark[] }): Promise<void> {
    const ev = changes.events;
    const ups = [...changes.attacks.upserts.entries()];
    if (ev.length || ups.length || changes.attacks.deletes.size) {
      // Data-modifying CTEs: the three touch disjoint rows (an absorbed attack is never also upserted).
      await sql`
        with ins as (
          insert into observed_events (org_id, event_id, type, occurred_at, ip, account, attrs, late)
          select * from unnest(${ev.map((e) => e.org_id)}::uuid[], ${ev.map((e) => e.event_id)}::text[], ${ev.map((e) => e.type)}::text[],
                               ${ev.map((e) => e.occurred_at)}::timestamptz[], ${ev.map((e) => e.ip ?? null)}::text[], ${ev.map((e) => e.account ?? null)}::text[],
                               ${ev.map((e) => e.attrs ?? null)}::jsonb[], ${ev.map((e) => e.late ?? false)}::boolean[])
          on conflict (org_id, event_id) do nothing
        ), del as (
          delete from attacks where detection_id = any(${[...changes.attacks.deletes]}::uuid[])
        ), ups as (
          insert into attacks (detection_id, org_id, rule_id, key, started_at, last_seen_at, event_count)
          select * from unnest(${ups.map(([id]) => id)}::uuid[], ${ups.map(([, u]) => u.orgId)}::uuid[], ${ups.map(([, u]) => u.ruleId)}::text[], ${ups.map(([, u]) => u.key)}::text[],
                               ${ups.map(([, u]) => new Date(u.attack.start))}::timestamptz[], ${ups.map(([, u]) => new Date(u.attack.end))}::timestamptz[], ${ups.map(([, u]) => u.attack.eventCount)}::int[])
          on conflict (detection_id) do update set started_at = excluded.started_at, last_seen_at = excluded.last_seen_at, event_count = excluded.event_count
        )
        select 1
      `.execute(tx);
    }
    if (changes.marks.length) {
      await sql`
        update observed_events e set attrs = coalesce(e.attrs, '{}'::jsonb) || jsonb_build_object(m.flag, true)
          from unnest(${changes.marks.map((m) => m.orgId)}::uuid[], ${changes.marks.map((m) => m.eventId)}::text[], ${changes.marks.map((m) => m.flag)}::text[]) as m(org_id, event_id, flag)
         where e.org_id = m.org_id and e.event_id = m.event_id
      `.execute(tx);
    }
  }

  async pruneObserved(before: Date): Promise<number> {
    const r = await this.db.deleteFrom('observed_events').where('occurred_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Attacks whose last event is older than any event still kept can no longer be joined. */
  async pruneAttacks(before: Date): Promise<number> {
    const r = await this.db.deleteFrom('attacks').where('last_seen_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async settingsOf(db: Db, orgIds: readonly string[]): Promise<RuleSettingsRow[]> {
    if (!orgIds.length) return [];
    return db.selectFrom('rule_settings').selectAll().where('org_id', 'in', [...orgIds]).execute();
  }

  async saveSettings(orgId: string, ruleId: string, settings: Record<string, unknown>, actor: string): Promise<RuleSettingsRow> {
    const json = JSON.stringify(settings);
    return this.db
      .insertInto('rule_settings')
      .values({ org_id: orgId, rule_id: ruleId, settings: json, updated_by: actor })
      .onConflict((oc) => oc.columns(['org_id', 'rule_id']).doUpdateSet({ settings: json, updated_by: actor, updated_at: sql`now()` }))
      .returningAll()
      .executeTakeFirstOrThrow();
  }
}
