import { Inject, Injectable } from '@nestjs/common';
import { sql, type Expression, type Kysely, type Selectable, type SqlBool, type Transaction } from 'kysely';
import { DATABASE } from '@vigil/platform';
import type { Database, DbOrTx } from '@vigil/db';
import type { DecisionKind, DecisionV1 } from '@vigil/contracts';
import { decisionPolicySchema, type DecisionPolicy } from '@vigil/contracts';
import type { DecisionsTable, ResponseDatabase } from './tables';

type Tx = Transaction<ResponseDatabase>;
type Row = Selectable<DecisionsTable>;

export interface NewDecision {
  id: string;
  orgId: string;
  kind: DecisionKind;
  target: string;
  reason: string;
  ruleId: string;
  detectionId: string;
  createdAt: Date;
  expiresAt: Date;
  durationSeconds: number;
  repeatCount: number;
}

export interface DecisionFilter {
  active?: boolean;
  kind?: DecisionKind;
  target?: string;
}

export function toView(r: Row): DecisionV1 {
  return {
    id: r.id,
    orgId: r.org_id,
    kind: r.kind as DecisionKind,
    target: r.target,
    reason: r.reason,
    ruleId: r.rule_id,
    detectionId: r.detection_id,
    createdAt: r.created_at.toISOString(),
    expiresAt: r.expires_at.toISOString(),
    durationSeconds: r.duration_seconds,
    repeatCount: r.repeat_count,
    revokedAt: r.revoked_at?.toISOString() ?? null,
    revokedBy: r.revoked_by,
    revokeReason: r.revoke_reason,
  };
}

/** The only code that touches the decisions and decision_policies tables. */
@Injectable()
export class DecisionRepository {
  constructor(@Inject(DATABASE) private readonly database: Database<ResponseDatabase>) {}

  get db(): Kysely<ResponseDatabase> {
    return this.database.db;
  }

  /**
   * Serialises an org's decision writes until commit. A change sequence taken under it commits in
   * order, so a poller that has seen seq n can never later miss a smaller one; it also makes the
   * repeat-offence count and the insert one step.
   */
  async lockOrg(tx: Tx, orgId: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`decisions|${orgId}`}, 0))`.execute(tx);
  }

  async policyOverrides(tx: DbOrTx<ResponseDatabase>, orgId: string): Promise<DecisionPolicy | undefined> {
    const row = await tx.selectFrom('decision_policies').select('policy').where('org_id', '=', orgId).executeTakeFirst();
    // Written only through the validated PUT; parsing again keeps a hand-edited row from deciding nonsense.
    return row ? decisionPolicySchema.parse(row.policy) : undefined;
  }

  async putPolicy(orgId: string, policy: DecisionPolicy): Promise<void> {
    await this.db
      .insertInto('decision_policies')
      .values({ org_id: orgId, policy: JSON.stringify(policy) })
      .onConflict((oc) => oc.column('org_id').doUpdateSet({ policy: JSON.stringify(policy), updated_at: sql`now()` }))
      .execute();
  }

  /** Decisions of the same kind for the target in [since, before), not revoked: how often it offended before. */
  async priorOffences(tx: Tx, d: { orgId: string; kind: DecisionKind; target: string; since: Date; before: Date; excludeId: string }): Promise<number> {
    const row = await tx
      .selectFrom('decisions')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('org_id', '=', d.orgId)
      .where('kind', '=', d.kind)
      .where('target', '=', d.target)
      .where('created_at', '>=', d.since)
      .where('created_at', '<', d.before)
      .where('revoked_at', 'is', null)
      .where('id', '<>', d.excludeId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** Inserts once (by id); undefined when it already exists. */
  async insert(tx: Tx, d: NewDecision): Promise<DecisionV1 | undefined> {
    const row = await tx
      .insertInto('decisions')
      .values({
        id: d.id,
        org_id: d.orgId,
        kind: d.kind,
        target: d.target,
        target_net: d.kind === 'block_ip' ? sql<string>`${d.target}::cidr` : null,
        reason: d.reason,
        rule_id: d.ruleId,
        detection_id: d.detectionId,
        created_at: d.createdAt,
        expires_at: d.expiresAt,
        duration_seconds: d.durationSeconds,
        repeat_count: d.repeatCount,
        change_seq: sql<string>`nextval('decision_change_seq')`,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? toView(row) : undefined;
  }

  async get(tx: DbOrTx<ResponseDatabase>, orgId: string, id: string): Promise<Row | undefined> {
    return tx.selectFrom('decisions').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  }

  async revoke(tx: Tx, d: { orgId: string; id: string; by: string; reason: string }): Promise<Row> {
    return tx
      .updateTable('decisions')
      .set({ revoked_at: sql`now()`, revoked_by: d.by, revoke_reason: d.reason, change_seq: sql<string>`nextval('decision_change_seq')` })
      .where('org_id', '=', d.orgId)
      .where('id', '=', d.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** In force at `at` (created by then, not yet expired, not revoked), of one kind, for any of these accounts. */
  async openFor(tx: Tx, d: { orgId: string; kind: DecisionKind; accounts: string[]; at: Date }): Promise<Row[]> {
    if (!d.accounts.length) return [];
    return tx
      .selectFrom('decisions')
      .selectAll()
      .where('org_id', '=', d.orgId)
      .where('kind', '=', d.kind)
      .where(sql<SqlBool>`lower(target) in (${sql.join(d.accounts.map((a) => a.toLowerCase()))})`)
      .where('revoked_at', 'is', null)
      .where('created_at', '<=', d.at)
      .where('expires_at', '>', d.at)
      .orderBy('change_seq')
      .execute();
  }

  /** One page in change order after `after`; `lastSeq` is where the next page starts (unchanged when empty). */
  async list(orgId: string, after: number, limit: number, filter: DecisionFilter, now: Date): Promise<{ items: DecisionV1[]; lastSeq: number; latestSeq: number }> {
    let q = this.db.selectFrom('decisions').selectAll().where('org_id', '=', orgId).where('change_seq', '>', String(after));
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.target) q = q.where('target', '=', filter.target);
    if (filter.active === true) q = q.where('revoked_at', 'is', null).where('expires_at', '>', now);
    if (filter.active === false) q = q.where((eb) => eb.or([eb('revoked_at', 'is not', null), eb('expires_at', '<=', now)]));
    const [rows, latest] = await Promise.all([
      q.orderBy('change_seq').limit(limit).execute(),
      this.db.selectFrom('decisions').select((eb) => eb.fn.max('change_seq').as('seq')).where('org_id', '=', orgId).executeTakeFirst(),
    ]);
    return { items: rows.map(toView), lastSeq: rows.length ? Number(rows[rows.length - 1]!.change_seq) : after, latestSeq: Number(latest?.seq ?? 0) };
  }

  /** Decisions in force now that cover the IP (block_ip, CIDR containment) or name the account (any account kind). */
  async inForce(orgId: string, probe: { ip?: string; account?: string }, now: Date): Promise<DecisionV1[]> {
    const rows = await this.db
      .selectFrom('decisions')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .where((eb) => {
        const any: Expression<SqlBool>[] = [];
        if (probe.ip !== undefined) any.push(sql<SqlBool>`kind = 'block_ip' and target_net >>= ${probe.ip}::inet`);
        if (probe.account !== undefined) any.push(sql<SqlBool>`kind <> 'block_ip' and lower(target) = ${probe.account.toLowerCase()}`);
        return eb.or(any);
      })
      .orderBy('expires_at', 'desc')
      .execute();
    return rows.map(toView);
  }
}
