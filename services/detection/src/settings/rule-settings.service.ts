import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Kysely, Transaction } from 'kysely';
import { Events, type NatsConnection, type Subscription } from 'nats';
import type { Logger } from 'pino';
import { zodErrors, type DetectionRuleViewV1, type FieldError } from '@vigil/contracts';
import { LOGGER, NATS } from '@vigil/platform';
import type { DetectionDatabase, RuleSettingsRow } from '../db/schema';
import { RuleRegistry } from '../engine/registry';
import type { DetectionRule } from '../engine/rule';
import { StateRepository } from '../engine/state.repository';

interface Entry {
  row?: RuleSettingsRow;
  effective: Record<string, unknown>;
}

/**
 * Detection replicas tell each other that an org's settings changed (core NATS, no body). Private to
 * detection: no stream holds `vigil.>`, and no other service may rely on it.
 */
export const SETTINGS_CHANGED_SUBJECT = 'vigil.detection.rule-settings-changed';

/**
 * Per-org rule settings: stored overrides (validated by each rule's schema) over the rule's defaults.
 * Cached per org after the first look. An update arrives as a request to one member of the `detection`
 * queue group, which may not be the replica that owns the org's partition: the replica that stored it
 * replaces its entry and announces the org on SETTINGS_CHANGED_SUBJECT, and every replica drops its
 * entry and reloads it from PostgreSQL for its next batch (no restart, no polling). An announcement
 * missed during a NATS disconnect is covered by dropping the whole cache on reconnect.
 */
@Injectable()
export class RuleSettingsService implements OnModuleInit, OnModuleDestroy {
  private readonly byOrg = new Map<string, Map<string, Entry>>();
  private readonly defaults = new Map<string, Record<string, unknown>>();
  /** Bumped by every invalidation; a load that overlapped one must not keep what it read as fresh. */
  private epoch = 0;
  /** Per org, and for all orgs, the epoch of the last invalidation; only needed while loads are in flight. */
  private readonly invalidatedAt = new Map<string, number>();
  private allInvalidatedAt = 0;
  private loading = 0;
  private readonly stale = new Set<string>();
  private sub?: Subscription;

  constructor(
    private readonly registry: RuleRegistry,
    private readonly repo: StateRepository,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {
    for (const rule of registry.rules) this.defaults.set(rule.id, rule.settings.parse({}) as Record<string, unknown>);
  }

  onModuleInit(): void {
    this.sub = this.nc.subscribe(`${SETTINGS_CHANGED_SUBJECT}.*`, {
      callback: (err, msg) => {
        if (!err) this.invalidate(msg.subject.slice(SETTINGS_CHANGED_SUBJECT.length + 1));
      },
    });
    void (async () => {
      for await (const s of this.nc.status()) {
        if (s.type === Events.Reconnect) this.invalidate();
      }
    })().catch((err: unknown) => this.log.warn({ err }, 'NATS status watch ended'));
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  /** Forgets one org's settings (or every org's): the next batch that needs them reads PostgreSQL. */
  invalidate(orgId?: string): void {
    this.epoch++;
    if (orgId === undefined) {
      this.allInvalidatedAt = this.epoch;
      this.invalidatedAt.clear();
      this.byOrg.clear();
      this.stale.clear();
    } else {
      this.invalidatedAt.set(orgId, this.epoch);
      this.byOrg.delete(orgId);
      this.stale.delete(orgId);
    }
  }

  /** Loads the settings of orgs not cached yet (one query for all of them). */
  async load(db: Kysely<DetectionDatabase> | Transaction<DetectionDatabase>, orgIds: Iterable<string>): Promise<void> {
    const missing = [...new Set(orgIds)].filter((o) => !this.byOrg.has(o) || this.stale.has(o));
    if (!missing.length) return;
    const epoch = this.epoch;
    this.loading++;
    let rows: RuleSettingsRow[];
    try {
      rows = await this.repo.settingsOf(db, missing);
    } finally {
      this.loading--;
    }
    for (const org of missing) {
      this.byOrg.set(org, new Map());
      // Changed while we read: use what we read for now, read again next time.
      if (Math.max(this.invalidatedAt.get(org) ?? 0, this.allInvalidatedAt) > epoch) this.stale.add(org);
      else this.stale.delete(org);
    }
    // No load in flight can be overtaken by the invalidations recorded so far.
    if (this.loading === 0) this.invalidatedAt.clear();
    for (const row of rows) this.put(row);
  }

  /** The settings in force; call `load` for the org first. */
  effective<S>(orgId: string, rule: DetectionRule): S {
    return (this.byOrg.get(orgId)?.get(rule.id)?.effective ?? this.defaults.get(rule.id)) as S;
  }

  async view(orgId: string, rule: DetectionRule): Promise<DetectionRuleViewV1> {
    await this.load(this.repo.db, [orgId]);
    const entry = this.byOrg.get(orgId)?.get(rule.id);
    return {
      id: rule.id,
      version: rule.version,
      category: rule.category,
      severity: rule.severity,
      title: rule.title,
      description: rule.description,
      eventTypes: [...rule.eventTypes],
      settings: entry?.effective ?? this.defaults.get(rule.id)!,
      defaults: this.defaults.get(rule.id)!,
      overridden: !!entry?.row,
      updatedAt: entry?.row?.updated_at.toISOString() ?? null,
      updatedBy: entry?.row?.updated_by ?? null,
    };
  }

  /** Validates and stores an org's settings of one rule (the whole document: absent fields take defaults). */
  async update(orgId: string, rule: DetectionRule, settings: Record<string, unknown>, actor: string): Promise<{ ok: true } | { ok: false; errors: FieldError[] }> {
    const parsed = rule.settings.safeParse(settings);
    if (!parsed.success) return { ok: false, errors: zodErrors(parsed.error) };
    const row = await this.repo.saveSettings(orgId, rule.id, settings, actor);
    await this.load(this.repo.db, [orgId]);
    this.put(row);
    // The replica owning the org's partition may be another one.
    this.nc.publish(`${SETTINGS_CHANGED_SUBJECT}.${orgId}`);
    this.log.info({ orgId, ruleId: rule.id, actor }, 'rule settings changed');
    return { ok: true };
  }

  private put(row: RuleSettingsRow): void {
    const rule = this.registry.get(row.rule_id);
    if (!rule) return;
    const parsed = rule.settings.safeParse(row.settings);
    if (!parsed.success) {
      // Stored under an older schema: the defaults are safer than guessing, and the API shows them.
      this.log.error({ orgId: row.org_id, ruleId: row.rule_id, issues: parsed.error.issues.slice(0, 5) }, 'stored rule settings no longer valid; using defaults');
    }
    const orgMap = this.byOrg.get(row.org_id) ?? new Map<string, Entry>();
    orgMap.set(row.rule_id, { row, effective: parsed.success ? (parsed.data as Record<string, unknown>) : this.defaults.get(rule.id)! });
    this.byOrg.set(row.org_id, orgMap);
  }
}
