import { Inject, Injectable } from '@nestjs/common';
import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import { createEvent, decisionCreatedV1, decisionRevokedV1, deriveId, type AccountPasswordChangedV1, type DecisionV1, type DetectionTriggeredV1, type VigilEvent } from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import { LOGGER } from '@vigil/platform';
import { DecisionRepository, toView } from './decision.repository';
import { actionsFor, durationSeconds, effectivePolicy, REPEAT_WINDOW_SECONDS, targetOf } from './policy';
import type { ResponseDatabase } from './tables';

export const DECISION_SOURCE = 'vigil://detection/decisions';

/** account.password_changed and account.mfa_enabled share one shape. */
type AccountChangeV1 = AccountPasswordChangedV1;

/** Turns detections into decisions by the org's policy, and revokes them; every change leaves as a `decision.*` event. */
@Injectable()
export class DecisionService {
  constructor(
    private readonly repo: DecisionRepository,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /**
   * Runs inside the inbox transaction of the detection: the decisions, their events and the inbox row
   * commit together. Ids derive from (detection, kind), so even a replay under a new inbox decides once.
   */
  async decide(detection: VigilEvent<'detection.triggered', DetectionTriggeredV1>, tx: Transaction<ResponseDatabase>): Promise<DecisionV1[]> {
    const orgId = detection.orgid;
    const d = detection.data;
    const actions = actionsFor(effectivePolicy(await this.repo.policyOverrides(tx, orgId)), d);
    if (!actions.length) return [];
    await this.repo.lockOrg(tx, orgId);
    // The attack's time, not the processing time: a redelivery hours later decides exactly the same.
    const createdAt = new Date(detection.time);
    const made: DecisionV1[] = [];
    for (const action of actions) {
      const target = targetOf(action.kind, d);
      if (target === undefined) {
        this.log.warn({ orgId, ruleId: d.ruleId, detectionId: d.detectionId, kind: action.kind }, 'detection names no target for this decision; none made');
        continue;
      }
      const id = deriveId('decision', orgId, d.detectionId, action.kind);
      const repeatCount = await this.repo.priorOffences(tx, {
        orgId,
        kind: action.kind,
        target,
        since: new Date(createdAt.getTime() - REPEAT_WINDOW_SECONDS * 1000),
        before: createdAt,
        excludeId: id,
      });
      const seconds = durationSeconds(action, repeatCount);
      const decision = await this.repo.insert(tx, {
        id,
        orgId,
        kind: action.kind,
        target,
        reason: `${d.title}${repeatCount ? ` (repeat offence ${repeatCount + 1} in 30 days)` : ''}`.slice(0, 1000),
        ruleId: d.ruleId,
        detectionId: d.detectionId,
        createdAt,
        expiresAt: new Date(createdAt.getTime() + seconds * 1000),
        durationSeconds: seconds,
        repeatCount,
      });
      if (!decision) continue;
      made.push(decision);
    }
    await enqueueEvents(
      tx,
      made.map((m) => createEvent(decisionCreatedV1, { id: deriveId('decision.created', m.id), orgid: orgId, source: DECISION_SOURCE, subject: m.target, time: m.createdAt, data: m })),
    );
    for (const m of made) this.log.info({ orgId, decisionId: m.id, kind: m.kind, target: m.target, expiresAt: m.expiresAt, repeatCount: m.repeatCount }, 'decision made');
    return made;
  }

  async revoke(req: { orgId: string; id: string; by: string; reason: string }): Promise<{ outcome: 'revoked' | 'already-revoked' | 'not-found'; decision: DecisionV1 | null }> {
    return this.repo.db.transaction().execute(async (tx) => {
      await this.repo.lockOrg(tx, req.orgId);
      const found = await this.repo.get(tx, req.orgId, req.id);
      if (!found) return { outcome: 'not-found' as const, decision: null };
      if (found.revoked_at) return { outcome: 'already-revoked' as const, decision: toView(found) };
      return { outcome: 'revoked' as const, decision: await this.revokeIn(tx, req) };
    });
  }

  /**
   * A force_password_reset or require_mfa decision is done once the account did what it asked: the
   * platform's account.password_changed / account.mfa_enabled after the decision revokes it (in the
   * event's inbox transaction). Judged at the event's time, so a replay ends the same decisions.
   */
  async fulfil(event: VigilEvent<string, AccountChangeV1>, kind: 'force_password_reset' | 'require_mfa', tx: Transaction<ResponseDatabase>): Promise<DecisionV1[]> {
    const accounts = [event.data.email, event.data.userId].filter((a): a is string => a !== undefined);
    await this.repo.lockOrg(tx, event.orgid);
    const open = await this.repo.openFor(tx, { orgId: event.orgid, kind, accounts, at: new Date(event.time) });
    const done: DecisionV1[] = [];
    for (const d of open) done.push(await this.revokeIn(tx, { orgId: event.orgid, id: d.id, by: `vigil:${event.type}`, reason: `fulfilled: ${event.type} at ${event.time}` }));
    return done;
  }

  private async revokeIn(tx: Transaction<ResponseDatabase>, req: { orgId: string; id: string; by: string; reason: string }): Promise<DecisionV1> {
    const decision = toView(await this.repo.revoke(tx, req));
    // Revoked once, so one event: the id derives from the decision.
    await enqueueEvents(tx, [createEvent(decisionRevokedV1, { id: deriveId('decision.revoked', decision.id), orgid: req.orgId, source: DECISION_SOURCE, subject: decision.target, time: decision.revokedAt!, data: decision })]);
    this.log.info({ orgId: req.orgId, decisionId: decision.id, by: req.by }, 'decision revoked');
    return decision;
  }
}
