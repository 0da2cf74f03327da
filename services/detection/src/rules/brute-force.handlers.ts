import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import {
  createEvent,
  deriveId,
  detectionTriggeredV1,
  loginFailedV1,
  streams,
  type LoginFailedV1,
  type VigilEvent,
} from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import { LOGGER, ServiceRuntime } from '@vigil/platform';
import type { DetectionDatabase } from '../db/schema';
import { DetectionRepository } from './detection.repository';
import { bruteForceByIp, evaluateBruteForce, type RuleSettings } from './brute-force.rule';

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
      this.repo.pruneFailedLogins(new Date(Date.now() - RETAIN_MS)).catch((err) => this.log.warn({ err }, 'prune failed'));
    }, PRUNE_EVERY_MS);
    this.pruneTimer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.pruneTimer);
  }

  async onLoginFailed(event: VigilEvent<'login.failed', LoginFailedV1>, tx: Transaction<DetectionDatabase>): Promise<void> {
    const rule = bruteForceByIp;
    const orgId = event.orgid;
    const ip = event.data.ip;
    const at = new Date(event.time);
    const settings = await this.settings(tx, orgId);
    if (!settings.enabled) return;

    await this.repo.lockKey(tx, orgId, rule.id, ip);
    await this.repo.recordFailedLogin(tx, { org_id: orgId, event_id: event.id, ip, username: event.data.username ?? null, occurred_at: at });
    const window = await this.repo.failedLoginsInWindow(tx, orgId, ip, new Date(at.getTime() - settings.windowMs), at);
    const state = await this.repo.attackState(tx, orgId, rule.id, ip);
    const verdict = evaluateBruteForce({ at, countInWindow: window.length, state, settings });

    if (verdict === 'continue-attack') {
      await this.repo.continueAttack(tx, orgId, rule.id, ip, at);
      return;
    }
    if (verdict === 'below-threshold') return;

    const detectionId = deriveId(orgId, rule.id, ip, event.id);
    const windowStart = window[0]?.occurred_at ?? at;
    await this.repo.startAttack(tx, orgId, rule.id, ip, windowStart, at, detectionId, window.length);
    const usernames = [...new Set(window.map((w) => w.username).filter((u): u is string => !!u))].slice(0, 50);
    const detection = createEvent(detectionTriggeredV1, {
      id: detectionId,
      orgid: orgId,
      source: SOURCE,
      subject: ip,
      time: at,
      data: {
        detectionId,
        ruleId: rule.id,
        ruleVersion: rule.version,
        correlationKey: `${rule.id}:${ip}`,
        severity: rule.severity,
        title: `Brute force attack detected from ${ip}`,
        summary: `${window.length} failed logins from ${ip} within ${Math.round(settings.windowMs / 60_000)} minutes (threshold ${settings.threshold}).`,
        windowStart: windowStart.toISOString(),
        windowEnd: at.toISOString(),
        count: window.length,
        threshold: settings.threshold,
        evidence: { ip, usernames, eventIds: window.slice(0, 100).map((w) => w.event_id) },
      },
    });
    await enqueueEvents(tx, [detection]);
    this.log.info({ orgId, ip, detectionId, count: window.length }, 'brute force detected');
  }

  private async settings(tx: Transaction<DetectionDatabase>, orgId: string): Promise<RuleSettings> {
    const o = await this.repo.override(tx, orgId, bruteForceByIp.id);
    return {
      enabled: o?.enabled ?? true,
      threshold: o?.threshold ?? bruteForceByIp.defaults.threshold,
      windowMs: (o?.window_seconds ?? bruteForceByIp.defaults.windowSeconds) * 1000,
    };
  }
}
