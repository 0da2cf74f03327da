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

  /** Records the batch's event ids in the inbox; returns those not processed before. */
  async recordInbox(tx: Transaction<DetectionDatabase>, consumer: string, eventIds: readonly string[]): Promise<Set<string>> {
    if (!eventIds.length) return new Set();
    // Arrays instead of a VALUES list: 2 parameters for any batch size, not 2 per row.
    const { rows } = await sql<{ event_id: string }>`
      insert into inbox (consumer, event_id) select ${consumer}, id from unnest(${[...new Set(eventIds)]}::text[]) as id
      on conflict do nothing returning event_id
    `.execute(tx);
    return new Set(rows.map((r) => r.event_id));
  }

  /** The observed events (every type) of many keys, by IP or by account, in one round trip. */
  async eventsOf(db: Db, keys: readonly KeyRef[]): Promise<(ObservedEventRow & { kind: KeyKind; key: string })[]> {
    if (!keys.length) return [];
    const { rows } = await sql<ObservedEventRow & { kind: KeyKind; key: string }>`
      select e.org_id, e.event_id, e.type, e.occurred_at, e.ip, e.account, e.attrs, e.late, k.kind, k.value as key
        from unnest(${keys.map((k) => k.orgId)}::uuid[], ${keys.map((k) => k.kind)}::text[], ${keys.map((k) => k.value)}::text[]) as k(org_id, kind, value)
        -- lateral: one index probe per key, never a scan of the whole table to hash-join it
        cross join lateral (
          select * from observed_events e where k.kind = 'ip' and e.org_id = k.org_id and e.ip = k.value
          union all
          select * from observed_events e where k.kind = 'account' and e.org_id = k.org_id and e.account = k.value
        ) e
    `.execute(db);
    return rows;
  }

  /** Every attack row of many keys (all rules), one index probe per key. */
  async attacksOf(db: Db, keys: readonly { orgId: string; key: string }[]): Promise<AttackRow[]> {
    if (!keys.length) return [];
    const { rows } = await sql<AttackRow>`
      select a.* from unnest(${keys.map((k) => k.orgId)}::uuid[], ${keys.map((k) => k.key)}::text[]) as k(org_id, key)
        cross join lateral (select * from attacks a where a.org_id = k.org_id and a.key = k.key) a
    `.execute(db);
    return rows;
  }

  /** A batch's state changes, in the batch's transaction: new events, attack rows, marks. */
  async write(tx: Transaction<DetectionDatabase>, changes: { events: NewObservedEvent[]; attacks: AttackWrites; marks: Mark[] }): Promise<void> {
    if (changes.events.length) {
      const ev = changes.events;
      await sql`
        insert into observed_events (org_id, event_id, type, occurred_at, ip, account, attrs, late)
        select * from unnest(${ev.map((e) => e.org_id)}::uuid[], ${ev.map((e) => e.event_id)}::text[], ${ev.map((e) => e.type)}::text[],
                             ${ev.map((e) => e.occurred_at)}::timestamptz[], ${ev.map((e) => e.ip ?? null)}::text[], ${ev.map((e) => e.account ?? null)}::text[],
                             ${ev.map((e) => e.attrs ?? null)}::jsonb[], ${ev.map((e) => e.late ?? false)}::boolean[])
        on conflict (org_id, event_id) do nothing
      `.execute(tx);
    }
    if (changes.attacks.deletes.size) await tx.deleteFrom('attacks').where('detection_id', 'in', [...changes.attacks.deletes]).execute();
    if (changes.attacks.upserts.size) {
      await tx
        .insertInto('attacks')
        .values(
          [...changes.attacks.upserts.entries()].map(([detection_id, u]) => ({
            detection_id,
            org_id: u.orgId,
            rule_id: u.ruleId,
            key: u.key,
            started_at: new Date(u.attack.start),
            last_seen_at: new Date(u.attack.end),
            event_count: u.attack.eventCount,
          })),
        )
        .onConflict((oc) =>
          oc.column('detection_id').doUpdateSet((eb) => ({
            started_at: eb.ref('excluded.started_at'),
            last_seen_at: eb.ref('excluded.last_seen_at'),
            event_count: eb.ref('excluded.event_count'),
          })),
        )
        .execute();
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
