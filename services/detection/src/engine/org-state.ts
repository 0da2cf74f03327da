import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { deriveId, type VigilEvent } from '@vigil/contracts';
import type { DetectionDatabase } from '../db/schema';
import { OrgWindow, type Failure, type SprayAttack, type SprayWindow } from '../rules/org-window';
import type { AttackWrites } from './key-state';
import type { RuleRegistry } from './registry';
import type { DetectionText, Observed, OrgRule } from './rule';
import { allowListedEvent, type CommonSettings } from './settings';

/** An org window's id in a batch's `touched` set (never equal to a key state's id). */
export const orgStateId = (ruleId: string, orgId: string) => `org\u0000${ruleId}\u0000${orgId}`;

const DEFAULT_MAX_ORGS = 10_000;

interface Entry {
  /** The settings object it was built under: another object (an update) means rebuild. */
  settings: CommonSettings;
  window: OrgWindow;
}

export interface OrgFinding {
  detectionId: string;
  text: DetectionText;
  window: SprayWindow;
  threshold: number;
  absorbed: string[];
}

/**
 * The org-wide windows of org rules (password spraying), per (rule, org), in memory like key states:
 * built from PostgreSQL (the org's stored failures and attack rows) the first time a batch needs one
 * or after its settings changed, kept up to date by each batch, forgotten when a batch rolls back.
 * The attack rows go out through the batch's AttackWrites (key = the org id).
 */
export class OrgStates {
  /** In insertion order = least recently used first. */
  private readonly states = new Map<string, Entry>();
  private readonly rules: OrgRule[];

  constructor(
    registry: RuleRegistry,
    private readonly latenessMs: number,
    private readonly log: Logger,
    private readonly maxOrgs = DEFAULT_MAX_ORGS,
  ) {
    this.rules = registry.rules.filter((r): r is OrgRule => r.kind === 'org');
  }

  /**
   * Before a batch's events are evaluated: the window of every org rule for every org the batch has
   * events of its type for, under the settings in force now (one round trip for the orgs not in memory).
   */
  async prepare(
    tx: Transaction<DetectionDatabase>,
    events: readonly VigilEvent[],
    settingsOf: (orgId: string, rule: OrgRule) => CommonSettings,
    touched: Set<string>,
    /** Settles once every earlier batch has committed or rolled back (batches are pipelined). */
    earlierSettled: Promise<void> = Promise.resolve(),
  ): Promise<void> {
    for (const rule of this.rules) {
      const orgs = new Set<string>();
      for (const e of events) if (rule.eventTypes.includes(e.type)) orgs.add(e.orgid);
      const missing: { orgId: string; settings: CommonSettings }[] = [];
      for (const orgId of orgs) {
        const id = orgStateId(rule.id, orgId);
        const settings = settingsOf(orgId, rule);
        if (!settings.enabled) {
          this.states.delete(id);
          continue;
        }
        touched.add(id);
        if (this.states.get(id)?.settings !== settings) missing.push({ orgId, settings });
      }
      if (!missing.length) continue;
      // A window rebuilt under new settings must hold what the batch before this one adds: PostgreSQL has
      // it only once that batch has committed. (A window not in memory has no uncommitted events: the
      // engine never evicts a window a batch in flight touched.)
      if (missing.some((m) => this.states.has(orgStateId(rule.id, m.orgId)))) await earlierSettled;
      const windows = await this.load(tx, rule, missing);
      for (const { orgId, settings } of missing) this.states.set(orgStateId(rule.id, orgId), { settings, window: windows.get(orgId)! });
    }
  }

  /** Folds one event of the org into the rule's window; a finding when it starts an attack. */
  observe(rule: OrgRule, event: VigilEvent, o: Observed, writes: AttackWrites): OrgFinding | undefined {
    const entry = this.states.get(orgStateId(rule.id, event.orgid));
    // None: the rule was off for this org when the batch began.
    if (!entry) return undefined;
    const { settings, window } = entry;
    const counted: Failure | null = o.account && !allowListedEvent(settings, o) ? { at: o.at, eventId: o.eventId, account: o.account, ip: o.ip } : null;
    const out = window.observe(o.at, counted, () => deriveId(event.orgid, rule.id, event.orgid, event.id));
    for (const id of out.absorbed) {
      writes.upserts.delete(id);
      writes.deletes.add(id);
    }
    for (const a of out.saved) writes.upserts.set(a.detectionId, { orgId: event.orgid, ruleId: rule.id, key: event.orgid, attack: { ...a } });
    if (out.absorbed.length) this.log.warn({ orgId: event.orgid, ruleId: rule.id, absorbed: out.absorbed }, 'late windows joined attacks already detected separately');
    if (!out.triggered) return undefined;
    const { attack, window: w } = out.triggered;
    return { detectionId: attack.detectionId, text: rule.describe({ orgId: event.orgid, window: w, settings }), window: w, threshold: window.params.accounts, absorbed: out.absorbed };
  }

  /** After the batch committed: keep the most recently used windows within the limit. */
  committed(touched: ReadonlySet<string>, inFlight: ReadonlySet<string> = new Set()): void {
    for (const id of touched) {
      const entry = this.states.get(id);
      if (!entry) continue;
      this.states.delete(id);
      this.states.set(id, entry);
    }
    for (const id of this.states.keys()) {
      if (this.states.size <= this.maxOrgs) break;
      // Touched by a batch not yet committed: PostgreSQL lacks its events.
      if (inFlight.has(id)) continue;
      this.states.delete(id);
    }
  }

  get overLimit(): boolean {
    return this.states.size > this.maxOrgs;
  }

  /** After the batch's transaction failed: those windows went ahead of PostgreSQL. */
  rolledBack(touched: ReadonlySet<string>): void {
    for (const id of touched) this.states.delete(id);
  }

  clear(): void {
    this.states.clear();
  }

  /**
   * The orgs' windows from what PostgreSQL holds, in one statement: per org its newest stored event of
   * the type (the clock), its failures with an account since the oldest time a window still to be
   * judged can hold, and the rule's attack rows. Index: observed_events_org_failed_idx (one probe for
   * the newest and one range scan per org).
   */
  private async load(tx: Transaction<DetectionDatabase>, rule: OrgRule, orgs: readonly { orgId: string; settings: CommonSettings }[]): Promise<Map<string, OrgWindow>> {
    const type = rule.eventTypes[0]!;
    const params = orgs.map(({ settings }) => ({ ...rule.params(settings), latenessMs: this.latenessMs }));
    // OrgWindow.rebuild cuts at the exact horizon; a second more here is only a margin.
    const backSeconds = params.map((p) => (p.windowMs + p.latenessMs + 1000) / 1000);
    // A literal type so the planner can use the partial index.
    const { rows } = await sql<{ part: 'e' | 'a'; org: string; newest: Date | string | null; id: string | null; at: Date | string | null; until: Date | string | null; ip: string | null; account: string | null; n: number | null }>`
      with o as (
        select * from unnest(${orgs.map((o) => o.orgId)}::text[], ${backSeconds}::float8[]) as o(org, back)
      ), n as (
        select o.org, o.back, (select max(occurred_at) from observed_events e where e.org_id = o.org::uuid and e.type = ${sql.lit(type)}) as newest from o
      )
      select 'e' as part, n.org, n.newest, e.event_id as id, e.occurred_at as at, null::timestamptz as until, e.ip, e.account, null::int as n
        from n left join lateral (
          select event_id, occurred_at, ip, account from observed_events e
           where e.org_id = n.org::uuid and e.type = ${sql.lit(type)} and e.account is not null
             and e.occurred_at >= n.newest - make_interval(secs => n.back)
        ) e on true
      union all
      select 'a', o.org, null, a.detection_id::text, a.started_at, a.last_seen_at, null, null, a.event_count
        from o join attacks a on a.org_id = o.org::uuid and a.key = o.org and a.rule_id = ${rule.id}
    `.execute(tx);
    const byOrg = new Map(orgs.map((o, i) => [o.orgId, { settings: o.settings, params: params[i]!, newest: null as number | null, failures: [] as Failure[], attacks: [] as SprayAttack[] }]));
    for (const r of rows) {
      const entry = byOrg.get(r.org)!;
      if (r.part === 'a') {
        entry.attacks.push({ detectionId: r.id!, start: new Date(r.at!).getTime(), end: new Date(r.until!).getTime(), eventCount: r.n! });
        continue;
      }
      if (r.newest !== null) entry.newest = new Date(r.newest).getTime();
      if (r.id === null || r.at === null || r.account === null) continue;
      const f = { eventId: r.id, type, at: new Date(r.at).getTime(), ip: r.ip, account: r.account, attrs: null };
      if (!allowListedEvent(entry.settings, f)) entry.failures.push({ at: f.at, eventId: f.eventId, account: f.account, ip: f.ip });
    }
    return new Map([...byOrg].map(([orgId, e]) => [orgId, OrgWindow.rebuild(e.params, e.newest, e.failures, e.attacks)]));
  }
}
