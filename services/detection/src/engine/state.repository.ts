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
    const rows = await tx
      .insertInto('inbox')
      .values([...new Set(eventIds)].map((event_id) => ({ consumer, event_id })))
      .onConflict((oc) => oc.doNothing())
      .returning('event_id')
      .execute();
    return new Set(rows.map((r) => r.event_id));
  }

  /** The observed events of many keys of one kind at once (one round trip). */
  async eventsOf(db: Db, kind: KeyKind, keys: readonly KeyRef[]): Promise<(ObservedEventRow & { key: string })[]> {
    if (!keys.length) return [];
    const column = sql.ref(`e.${kind}`);
    const { rows } = await sql<ObservedEventRow & { key: string }>`
      select e.org_id, e.event_id, e.type, e.occurred_at, e.ip, e.account, e.attrs, e.late, k.value as key
        from unnest(${keys.map((k) => k.orgId)}::uuid[], ${keys.map((k) => k.type)}::text[], ${keys.map((k) => k.value)}::text[]) as k(org_id, type, value)
        join observed_events e on e.org_id = k.org_id and e.type = k.type and ${column} = k.value
    `.execute(db);
    return rows;
  }

  async attacksOf(db: Db, keys: readonly { orgId: string; ruleId: string; key: string }[]): Promise<AttackRow[]> {
    if (!keys.length) return [];
    const { rows } = await sql<AttackRow>`
      select a.* from unnest(${keys.map((k) => k.orgId)}::uuid[], ${keys.map((k) => k.ruleId)}::text[], ${keys.map((k) => k.key)}::text[]) as k(org_id, rule_id, key)
        join attacks a on a.org_id = k.org_id and a.rule_id = k.rule_id and a.key = k.key
    `.execute(db);
    return rows;
  }

  /** A batch's state changes, in the batch's transaction: new events, attack rows, marks. */
  async write(tx: Transaction<DetectionDatabase>, changes: { events: NewObservedEvent[]; attacks: AttackWrites; marks: Mark[] }): Promise<void> {
    if (changes.events.length) {
      await tx
        .insertInto('observed_events')
        .values(changes.events)
        .onConflict((oc) => oc.columns(['org_id', 'event_id']).doNothing())
        .execute();
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
