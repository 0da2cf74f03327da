import { Inject, Injectable } from '@nestjs/common';
import { sql, type Transaction } from 'kysely';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import type { DetectionDatabase, FailedLoginsTable } from '../db/schema';
import type { AttackState } from './brute-force.rule';

type Tx = Transaction<DetectionDatabase>;

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

  async recordFailedLogin(tx: Tx, row: FailedLoginsTable): Promise<void> {
    await tx.insertInto('failed_logins').values(row).onConflict((oc) => oc.columns(['org_id', 'event_id']).doNothing()).execute();
  }

  async failedLoginsInWindow(tx: Tx, orgId: string, ip: string, from: Date, to: Date) {
    return tx
      .selectFrom('failed_logins')
      .select(['event_id', 'username', 'occurred_at'])
      .where('org_id', '=', orgId)
      .where('ip', '=', ip)
      .where('occurred_at', '>', from)
      .where('occurred_at', '<=', to)
      .orderBy('occurred_at')
      .execute();
  }

  async attackState(tx: Tx, orgId: string, ruleId: string, key: string): Promise<(AttackState & { detectionId: string }) | undefined> {
    const row = await tx
      .selectFrom('rule_state')
      .select(['attack_started_at', 'last_seen_at', 'detection_id'])
      .where('org_id', '=', orgId)
      .where('rule_id', '=', ruleId)
      .where('key', '=', key)
      .executeTakeFirst();
    return row && { attackStartedAt: row.attack_started_at, lastSeenAt: row.last_seen_at, detectionId: row.detection_id };
  }

  async startAttack(tx: Tx, orgId: string, ruleId: string, key: string, startedAt: Date, at: Date, detectionId: string, count: number): Promise<void> {
    await tx
      .insertInto('rule_state')
      .values({ org_id: orgId, rule_id: ruleId, key, attack_started_at: startedAt, last_seen_at: at, detection_id: detectionId, event_count: count })
      .onConflict((oc) =>
        oc.columns(['org_id', 'rule_id', 'key']).doUpdateSet({ attack_started_at: startedAt, last_seen_at: at, detection_id: detectionId, event_count: count }),
      )
      .execute();
  }

  async continueAttack(tx: Tx, orgId: string, ruleId: string, key: string, at: Date): Promise<void> {
    await tx
      .updateTable('rule_state')
      .set((eb) => ({
        last_seen_at: sql<Date>`greatest(last_seen_at, ${at})`,
        attack_started_at: sql<Date>`least(attack_started_at, ${at})`,
        event_count: eb('event_count', '+', 1),
      }))
      .where('org_id', '=', orgId)
      .where('rule_id', '=', ruleId)
      .where('key', '=', key)
      .execute();
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
}
