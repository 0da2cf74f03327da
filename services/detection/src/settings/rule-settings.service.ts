import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import { zodErrors, type DetectionRuleViewV1, type FieldError } from '@vigil/contracts';
import { LOGGER } from '@vigil/platform';
import type { DetectionDatabase, RuleSettingsRow } from '../db/schema';
import { RuleRegistry } from '../engine/registry';
import type { DetectionRule } from '../engine/rule';
import { StateRepository } from '../engine/state.repository';

interface Entry {
  row?: RuleSettingsRow;
  effective: Record<string, unknown>;
}

/**
 * Per-org rule settings: stored overrides (validated by each rule's schema) over the rule's defaults.
 * Cached per org after the first look; this service is also the only writer, so an update replaces the
 * cached entry at once and the next event is judged by it (no restart, no polling).
 */
@Injectable()
export class RuleSettingsService {
  private readonly byOrg = new Map<string, Map<string, Entry>>();
  private readonly defaults = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly registry: RuleRegistry,
    private readonly repo: StateRepository,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    for (const rule of registry.rules) this.defaults.set(rule.id, rule.settings.parse({}) as Record<string, unknown>);
  }

  /** Loads the settings of orgs not cached yet (one query for all of them). */
  async load(db: Kysely<DetectionDatabase> | Transaction<DetectionDatabase>, orgIds: Iterable<string>): Promise<void> {
    const missing = [...new Set(orgIds)].filter((o) => !this.byOrg.has(o));
    if (!missing.length) return;
    const rows = await this.repo.settingsOf(db, missing);
    for (const org of missing) this.byOrg.set(org, new Map());
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
