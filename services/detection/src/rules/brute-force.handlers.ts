import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import { createEvent, deriveId, detectionTriggeredV1, loginFailedV1, streams, type LoginFailedV1, type VigilEvent } from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import { LOGGER, ServiceRuntime } from '@vigil/platform';
import type { DetectionDatabase } from '../db/schema';
import { DetectionRepository } from './detection.repository';
import { bruteForceByIp } from './brute-force.rule';
import { ruleSettings, type SlidingWindowRule } from './sliding-window-rule';
import { isLate, observe } from './sliding-window';

const SOURCE = 'vigil://detection';
const PRUNE_EVERY_MS = 10 * 60_000;
/** Failures are kept this long: longer than any window an org can configure (7 days). */
const RETAIN_MS = 8 * 24 * 60 * 60_000;

@Injectable()
export class BruteForceHandlers implements OnModuleInit, OnModuleDestroy {
  private pruneTimer?: NodeJS.Timeout;

  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly repo: DetectionRepository,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    this.runtime.consumeEvents({ durable: 'detection-login-failed', stream: streams.security, definition: loginFailedV1, handle: (e, tx: Transaction<DetectionDatabase>) => this.onLoginFailed(e, tx) });
    this.pruneTimer = setInterval(() => {
      const before = new Date(Date.now() - RETAIN_MS);
      Promise.all([this.repo.pruneFailedLogins(before), this.repo.pruneAttacks(before)]).catch((err) => this.log.warn({ err }, 'prune failed'));
    }, PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

  async onLoginFailed(event: VigilEvent<'login.failed', LoginFailedV1>, tx: Transaction<DetectionDatabase>): Promise<void> {
    await this.evaluate(bruteForceByIp, event, tx);
  }

  /**
   * Runs one sliding-window rule for one failed login, inside the inbox transaction and under the
   * per-key lock: record the failure, fold it into its key's attacks, emit a detection for a new one.
   */
  private async evaluate(rule: SlidingWindowRule, event: VigilEvent<'login.failed', LoginFailedV1>, tx: Transaction<DetectionDatabase>): Promise<void> {
    const orgId = event.orgid;
    const key = rule.keyOf(event.data);
    if (key === undefined) return;
    const settings = ruleSettings(rule, await this.repo.override(tx, orgId, rule.id));
    if (!settings.enabled) return;
    const at = new Date(event.time).getTime();

    await this.repo.lockKey(tx, orgId, rule.id, key);
    const { inserted, newestBefore } = await this.repo.recordFailedLogin(
      tx,
      { org_id: orgId, event_id: event.id, ip: event.data.ip, username: event.data.username ?? null, occurred_at: new Date(at) },
      { keyColumn: rule.keyColumn, key, lateIfNewestAfter: new Date(at + settings.windowMs / 2) },
    );
    // Already counted (a redelivery whose inbox entry was pruned, or a replay): counting it again would
    // inflate the attack.
    if (!inserted) return;
    const newest = newestBefore?.getTime() ?? null;
    if (isLate(at, newest, settings.windowMs)) {
      this.log.warn({ orgId, ruleId: rule.id, key, eventId: event.id, behindMs: newest! - at }, 'late failed login: more than half a window behind its key');
    }

    const store = this.repo.clusterStore(tx, { orgId, ruleId: rule.id, keyColumn: rule.keyColumn, key });
    const detectionId = deriveId(orgId, rule.id, key, event.id);
    const outcome = await observe(store, { at, newestBefore: newest, detectionId }, settings);

    if (outcome.kind === 'joined' && outcome.absorbed.length) {
      // The one case the count can exceed the definition's: see sliding-window.ts.
      this.log.warn({ orgId, ruleId: rule.id, key, kept: outcome.attack.detectionId, absorbed: outcome.absorbed }, 'late event joined attacks already detected separately');
    }
    if (outcome.kind !== 'triggered') return;

    const { window, events } = outcome;
    const detection = createEvent(detectionTriggeredV1, {
      id: detectionId,
      orgid: orgId,
      source: SOURCE,
      subject: key,
      time: new Date(window.end),
      data: {
        detectionId,
        ruleId: rule.id,
        ruleVersion: rule.version,
        severity: rule.severity,
        ...rule.describe({ key, window, events, settings }),
        windowStart: new Date(window.first).toISOString(),
        windowEnd: new Date(window.end).toISOString(),
        count: window.count,
        threshold: settings.threshold,
      },
    });
    await enqueueEvents(tx, [detection]);
    this.log.info({ orgId, ruleId: rule.id, key, detectionId, count: window.count }, 'attack detected');
  }
}
