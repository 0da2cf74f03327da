import { Inject, Injectable } from '@nestjs/common';
import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import { createEvent, deriveId, detectionTriggeredV1, type VigilEvent } from '@vigil/contracts';
import { CONFIG, LOGGER } from '@vigil/platform';
import type { DetectionConfig } from '../config';
import type { DetectionDatabase, NewObservedEvent } from '../db/schema';
import { observe } from '../rules/sliding-window';
import { KeyState, memoryClusterStore, type AttackWrites } from './key-state';
import { observable, toObserved } from './observed';
import { OrgStates } from './org-state';
import { keyId, RuleRegistry, type KeyRef } from './registry';
import type { DetectionRule, DetectionText, EventRule, Observed, OrgRule, StateView, WindowRule } from './rule';
import { allowListed, allowListedEvent, type CommonSettings } from './settings';
import { StateRepository, type Mark } from './state.repository';
import { RuleSettingsService } from '../settings/rule-settings.service';

const SOURCE = 'vigil://detection';
/** Events up to this far behind their key's newest count like any other; later ones are flagged late (and still counted). */
export const ALLOWED_LATENESS_MS = 5 * 60_000;
const DEFAULT_MAX_KEYS = 500_000;

/** What one batch changes: written in its transaction by the caller. */
export interface BatchChanges {
  detections: VigilEvent[];
  events: NewObservedEvent[];
  attacks: AttackWrites;
  marks: Mark[];
  late: number;
  /** Key states the batch changed in memory: forgotten if its transaction fails. */
  touched: Set<string>;
  /** Detection id -> id of the event whose evaluation raised it (its message carries the correlation id). */
  causedBy: Map<string, string>;
}

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/**
 * The rule engine. Window state lives in memory per key (org, IP or account), loaded from
 * PostgreSQL the first time a batch needs a key and kept up to date by each batch; the batch's changes
 * (new observed events, attack rows) are committed with its inbox rows and detections in one
 * transaction, so PostgreSQL always holds the state after the last committed batch, and a restart (or
 * an eviction) reloads exactly that.
 */
@Injectable()
export class DetectionEngine {
  /** In insertion order = least recently used first. */
  private readonly states = new Map<string, KeyState>();
  private readonly maxKeys: number;
  /** Org-wide windows (password spraying): engine/org-state.ts. */
  private readonly orgs: OrgStates;

  constructor(
    private readonly registry: RuleRegistry,
    private readonly repo: StateRepository,
    private readonly settings: RuleSettingsService,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(CONFIG) config: Partial<DetectionConfig>,
  ) {
    this.maxKeys = config.VIGIL_DETECTION_MAX_KEYS ?? DEFAULT_MAX_KEYS;
    this.orgs = new OrgStates(registry, ALLOWED_LATENESS_MS, log);
  }

  get cachedKeys(): number {
    return this.states.size;
  }

  /**
   * Records the batch's events in the inbox and evaluates those not processed before, in order, inside
   * `tx`; returns what the batch changes (the caller writes it in the same transaction).
   */
  async evaluate(
    tx: Transaction<DetectionDatabase>,
    consumer: string,
    batch: readonly VigilEvent[],
    changes: BatchChanges = this.begin(),
    /** Called once the reads are back, before memory is used: throws if what it found may be gone (pipelining). */
    checkStillCurrent: () => void = () => {},
    /** Settles when every batch evaluated before this one has committed or rolled back. */
    earlierSettled: Promise<void> = Promise.resolve(),
  ): Promise<BatchChanges> {
    const allObserved = batch.map((e) => (observable(e.type) ? toObserved(e) : undefined));
    const needed = new Map<string, KeyRef>();
    batch.forEach((e, i) => {
      for (const ref of this.keptRefs(e, allObserved[i])) needed.set(keyId(ref), ref);
      for (const ref of this.readRefs(e, allObserved[i])) needed.set(keyId(ref), ref);
    });
    // Before the first await: from here on these keys are the batch's (see begin()).
    for (const id of needed.keys()) changes.touched.add(id);
    // One connection per transaction: its queries run one after another.
    await this.settings.load(tx, new Set(batch.map((e) => e.orgid)));
    const missing = [...needed.values()].filter((r) => !this.states.has(keyId(r)));
    const loaded = await this.repo.recordAndLoad(
      tx,
      consumer,
      batch.map((e) => e.id),
      missing,
    );
    checkStillCurrent();
    this.install(missing, loaded);
    const freshIndexes = batch.flatMap((e, i) => (loaded.fresh.has(e.id) ? [i] : []));
    const events = freshIndexes.map((i) => batch[i]!);
    const observed = freshIndexes.map((i) => allObserved[i]);
    const kept = events.map((e, i) => this.keptRefs(e, observed[i]).map(keyId));
    await this.orgs.prepare(tx, events, (orgId, rule) => this.settings.effective(orgId, rule), changes.touched, earlierSettled);
    checkStillCurrent();

    const view: StateView = {
      events: (type, kind, value) => this.states.get(keyId({ orgId: this.current!, kind, value }))?.ofType(type) ?? [],
    };
    const seen = new Set<string>();
    for (const [i, event] of events.entries()) {
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      this.current = event.orgid;
      const o = observed[i];
      const states = kept[i]!.map((id) => this.states.get(id)!);
      // Already counted (a copy the inbox no longer remembers): counting it again would inflate windows.
      if (states.some((s) => s.has(event.id))) continue;
      const newestBefore = new Map(states.map((s) => [s, s.newestOf(event.type)]));
      if (o) {
        const behind = Math.max(0, ...states.map((s) => (newestBefore.get(s) ?? o.at) - o.at));
        const late = behind > ALLOWED_LATENESS_MS;
        for (const s of states) s.insert(o);
        if (states.length) {
          changes.events.push({ org_id: event.orgid, event_id: o.eventId, type: o.type, occurred_at: new Date(o.at), ip: o.ip, account: o.account, attrs: o.attrs ? JSON.stringify(o.attrs) : null, late });
        }
        if (late) {
          changes.late++;
          this.log.warn({ orgId: event.orgid, type: event.type, eventId: event.id, behindMs: behind }, 'late event: more than the allowed lateness behind its key (counted, flagged)');
        }
      }
      for (const rule of this.registry.rulesFor(event.type)) {
        const settings = this.settings.effective<CommonSettings>(event.orgid, rule);
        if (!settings.enabled) continue;
        if (rule.kind === 'org') {
          // Before the allow-lists: every failure moves the org's event-time clock (the window applies them).
          if (o) this.observeOrg(rule, event, o, changes);
          continue;
        }
        const data = event.data as Record<string, unknown>;
        const account = o?.account ?? str(data.account) ?? str(data.actor) ?? str(data.username) ?? str(data.userId);
        if (allowListed(settings, o?.ip ?? str(data.ip), account)) continue;
        if (rule.kind === 'window') {
          const state = states.find((s) => s.kind === rule.keyKind);
          if (state && o) await this.observeWindow(rule, settings as never, event, o, state, newestBefore.get(state) ?? null, changes);
        } else {
          this.applyFindings(rule, settings, event, o, view, changes);
        }
      }
    }
    this.current = undefined;
    return changes;
  }

  private current?: string;

  /**
   * A batch's changes, registered as in flight until committed() or rolledBack(): batches are pipelined
   * (one evaluates while the one before it commits), and a key an uncommitted batch touched must never
   * be evicted, because reloading it from PostgreSQL would miss that batch's events.
   */
  begin(): BatchChanges {
    const changes: BatchChanges = { detections: [], events: [], attacks: { upserts: new Map(), deletes: new Set() }, marks: [], late: 0, touched: new Set(), causedBy: new Map() };
    this.inFlight.add(changes);
    return changes;
  }

  private readonly inFlight = new Set<BatchChanges>();

  /** After the batch committed: keep the most recently used states within the limit. */
  committed(changes: BatchChanges): void {
    this.inFlight.delete(changes);
    // Recency matters only once eviction is near: below half the limit, moving keys to the end of the
    // map (a delete and a set per key and batch) is skipped.
    if (this.states.size > this.maxKeys / 2) {
      for (const id of changes.touched) {
        const s = this.states.get(id);
        if (!s) continue;
        this.states.delete(id);
        this.states.set(id, s);
      }
    }
    const kept = new Set<string>();
    if (this.states.size > this.maxKeys || this.orgs.overLimit) for (const other of this.inFlight) for (const id of other.touched) kept.add(id);
    this.orgs.committed(changes.touched, kept);
    if (this.states.size <= this.maxKeys) return;
    let excess = this.states.size - this.maxKeys;
    for (const id of this.states.keys()) {
      if (excess <= 0) break;
      if (kept.has(id)) continue;
      this.states.delete(id);
      excess--;
    }
  }

  /**
   * After the batch's transaction failed: memory went ahead of PostgreSQL, so reload those keys next
   * time. The caller calls it only once every batch evaluated before this one has settled.
   */
  rolledBack(changes: BatchChanges): void {
    this.inFlight.delete(changes);
    for (const id of changes.touched) this.states.delete(id);
    this.orgs.rolledBack(changes.touched);
  }

  /** Forgets every cached key (tests: the state a fresh process would start from). */
  clear(): void {
    this.states.clear();
    this.orgs.clear();
  }

  private async observeWindow(
    rule: WindowRule,
    settings: CommonSettings & { threshold: number; windowSeconds: number },
    event: VigilEvent,
    o: Observed,
    state: KeyState,
    newestBefore: number | null,
    changes: BatchChanges,
  ): Promise<void> {
    if (rule.counts && !rule.counts(o, settings)) return;
    const counts = (e: Observed) => e.type === event.type && !allowListedEvent(settings, e) && (!rule.counts || rule.counts(e, settings));
    const store = memoryClusterStore(state, rule.id, counts, changes.attacks);
    const windowMs = settings.windowSeconds * 1000;
    // Derived only when the event starts an attack (a name-based UUID costs a SHA-1).
    const observed = { at: o.at, newestBefore, get detectionId() { return deriveId(event.orgid, rule.id, state.value, event.id); } };
    const outcome = await observe(store, observed, { threshold: settings.threshold, windowMs }, rule.measure);
    const detectionId = outcome.kind === 'triggered' ? outcome.attack.detectionId : '';
    if (outcome.kind === 'joined' && outcome.absorbed.length) {
      // The one case the count can exceed the definition's: see sliding-window.ts.
      this.log.warn({ orgId: event.orgid, ruleId: rule.id, key: state.value, kept: outcome.attack.detectionId, absorbed: outcome.absorbed }, 'late event joined attacks already detected separately');
    }
    if (outcome.kind !== 'triggered') return;
    const { window, events, attack } = outcome;
    const text = rule.describe({ key: state.value, window, events, settings });
    changes.causedBy.set(detectionId, event.id);
    changes.detections.push(
      this.detection(event.orgid, rule, detectionId, { kind: state.kind, value: state.value }, text, {
        windowStart: window.first,
        windowEnd: window.end,
        lastSeen: attack.end,
        count: window.count,
        threshold: settings.threshold,
      }),
    );
  }

  private observeOrg(rule: OrgRule, event: VigilEvent, o: Observed, changes: BatchChanges): void {
    const f = this.orgs.observe(rule, event, o, changes.attacks);
    if (!f) return;
    changes.causedBy.set(f.detectionId, event.id);
    changes.detections.push(
      this.detection(event.orgid, rule, f.detectionId, { kind: 'org', value: event.orgid }, f.text, {
        windowStart: f.window.first,
        windowEnd: f.window.end,
        lastSeen: f.window.end,
        count: f.window.accounts,
        threshold: f.threshold,
      }),
    );
  }

  private applyFindings(rule: EventRule, settings: CommonSettings, event: VigilEvent, o: Observed | undefined, view: StateView, changes: BatchChanges): void {
    for (const f of rule.evaluate({ event, observed: o, settings, state: view })) {
      const detectionId = deriveId(event.orgid, rule.id, ...f.idParts);
      if (changes.detections.some((d) => d.id === detectionId)) continue;
      const keyValue = f.affectedPerson?.account ?? f.evidence.account ?? f.evidence.actor ?? f.evidence.ip;
      changes.causedBy.set(detectionId, event.id);
      changes.detections.push(
        this.detection(event.orgid, rule, detectionId, keyValue ? { kind: f.evidence.ip === keyValue ? 'ip' : 'account', value: keyValue } : undefined, f, {
          windowStart: f.windowStart,
          windowEnd: f.windowEnd,
          lastSeen: f.windowEnd,
          count: f.count,
          threshold: f.threshold,
        }),
      );
      if (f.mark) this.mark(event.orgid, f.mark.event, f.mark.flag, changes);
    }
  }

  /** Flags an observed event (every cached copy, and its row) so a rule does not raise it twice. */
  private mark(orgId: string, o: Observed, flag: string, changes: BatchChanges): void {
    for (const kind of this.registry.keptKinds(o.type)) {
      const value = o[kind];
      if (!value) continue;
      const id = keyId({ orgId, kind, value });
      const copy = this.states.get(id)?.get(o.eventId);
      if (!copy) continue;
      copy.attrs = { ...copy.attrs, [flag]: true };
      // Changed in memory: forgotten with the batch if it rolls back.
      changes.touched.add(id);
    }
    o.attrs = { ...o.attrs, [flag]: true };
    // A row inserted by this same batch carries the flag already.
    const pending = changes.events.find((e) => e.org_id === orgId && e.event_id === o.eventId);
    if (pending) pending.attrs = JSON.stringify(o.attrs);
    else changes.marks.push({ orgId, eventId: o.eventId, flag });
  }

  private detection(
    orgId: string,
    rule: DetectionRule,
    detectionId: string,
    key: { kind: string; value: string } | undefined,
    text: DetectionText,
    at: { windowStart: number; windowEnd: number; lastSeen: number; count: number; threshold: number },
  ): VigilEvent {
    return createEvent(detectionTriggeredV1, {
      id: detectionId,
      orgid: orgId,
      source: SOURCE,
      ...(key ? { subject: key.value } : {}),
      time: new Date(at.windowEnd),
      data: {
        detectionId,
        ruleId: rule.id,
        ruleVersion: rule.version,
        category: rule.category,
        severity: text.severity ?? rule.severity,
        correlationKey: text.correlationKey,
        title: text.title,
        summary: text.summary,
        evidence: text.evidence,
        ...(key ? { key } : {}),
        ...(text.affectedPerson ? { affectedPerson: text.affectedPerson } : {}),
        ...(text.remediation ? { remediation: text.remediation } : {}),
        windowStart: new Date(at.windowStart).toISOString(),
        windowEnd: new Date(at.windowEnd).toISOString(),
        lastSeen: new Date(at.lastSeen).toISOString(),
        count: at.count,
        threshold: at.threshold,
      },
    });
  }

  /** Keys an event is kept under (its IP and/or account). */
  private keptRefs(e: VigilEvent, o: Observed | undefined): KeyRef[] {
    if (!o) return [];
    const refs: KeyRef[] = [];
    for (const kind of this.registry.keptKinds(e.type)) {
      const value = o[kind];
      if (value) refs.push({ orgId: e.orgid, kind, value });
    }
    return refs;
  }

  /** Keys the event rules of its type read besides (e.g. a success reads the failures of its IP). */
  private readRefs(e: VigilEvent, o: Observed | undefined): KeyRef[] {
    if (!o) return [];
    const refs: KeyRef[] = [];
    for (const rule of this.registry.rulesFor(e.type)) {
      if (rule.kind !== 'event') continue;
      for (const r of rule.reads ?? []) {
        const value = o[r.kind];
        if (value) refs.push({ orgId: e.orgid, kind: r.kind, value });
      }
    }
    return refs;
  }

  /** Builds the states of the keys that were not in memory from what PostgreSQL holds for them. */
  private install(missing: readonly KeyRef[], loaded: Awaited<ReturnType<StateRepository['recordAndLoad']>>): void {
    const fresh = new Map(missing.map((r) => [keyId(r), new KeyState(r.orgId, r.kind, r.value)]));
    for (const row of loaded.events) {
      const state = fresh.get(keyId({ orgId: row.org_id, kind: row.kind, value: row.key }));
      state?.insert({ eventId: row.event_id, type: row.type, at: row.occurred_at.getTime(), ip: row.ip, account: row.account, attrs: row.attrs });
    }
    for (const a of loaded.attacks) {
      const rule = this.registry.get(a.rule_id);
      if (rule?.kind !== 'window') continue;
      fresh.get(keyId({ orgId: a.org_id, kind: rule.keyKind, value: a.key }))?.attacksOf(a.rule_id).push({ detectionId: a.detection_id, start: a.started_at.getTime(), end: a.last_seen_at.getTime(), eventCount: a.event_count });
    }
    for (const [id, state] of fresh) this.states.set(id, state);
  }
}
