import type { AttackSpan, ClusterStore, Span } from '../rules/sliding-window';
import type { KeyKind, Observed } from './rule';

/** Events a key holds before it indexes them by id. */
const INDEX_FROM = 8;
const NONE: readonly AttackSpan[] = Object.freeze([]);

const byTime = (a: Observed, b: Observed) => a.at - b.at || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

/** Index of the first event with at >= t (or at > t when `after`). */
function lowerBound(events: readonly Observed[], t: number, after = false): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const at = events[mid]!.at;
    if (at < t || (after && at === t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Everything the engine knows of one (org, IP or account): the observed events of every type sorted by
 * time and, per windowed rule, its attacks. Exactly what PostgreSQL holds after the last committed batch, plus the
 * batch in progress (a failed batch evicts the states it touched).
 */
export class KeyState {
  readonly events: Observed[] = [];
  /**
   * Events by id, built only once a key holds more than a few: most keys (one IP, one failure) never
   * need it, and an empty Map costs more than the event itself.
   */
  private byId?: Map<string, Observed>;
  /** Attack rows by rule id (created with the first). */
  private attacks?: Map<string, AttackSpan[]>;

  constructor(
    readonly orgId: string,
    readonly kind: KeyKind,
    readonly value: string,
  ) {}

  has(eventId: string): boolean {
    return this.get(eventId) !== undefined;
  }

  get(eventId: string): Observed | undefined {
    if (this.byId) return this.byId.get(eventId);
    return this.events.find((e) => e.eventId === eventId);
  }

  newest(): number | null {
    return this.events.length ? this.events[this.events.length - 1]!.at : null;
  }

  /** Time of the newest event of this type (a scan back from the end: the newest is usually near it). */
  newestOf(type: string): number | null {
    for (let i = this.events.length - 1; i >= 0; i--) if (this.events[i]!.type === type) return this.events[i]!.at;
    return null;
  }

  /** The events of one type, in time order. */
  ofType(type: string): Observed[] {
    return this.events.filter((e) => e.type === type);
  }

  /** Adds an event in time order; false when it is already there. */
  insert(e: Observed): boolean {
    if (this.has(e.eventId)) return false;
    if (this.byId) this.byId.set(e.eventId, e);
    else if (this.events.length >= INDEX_FROM) this.byId = new Map([...this.events, e].map((x) => [x.eventId, x]));
    const last = this.events[this.events.length - 1];
    if (!last || byTime(last, e) <= 0) this.events.push(e);
    else {
      let i = lowerBound(this.events, e.at);
      while (i < this.events.length && byTime(this.events[i]!, e) < 0) i++;
      this.events.splice(i, 0, e);
    }
    return true;
  }

  /** Events with at in [from, to] (inclusive ends unless told otherwise). */
  between(from: number, to: number, opts: { fromExclusive?: boolean; toExclusive?: boolean } = {}): Observed[] {
    const out: Observed[] = [];
    for (let i = lowerBound(this.events, from, opts.fromExclusive); i < this.events.length; i++) {
      const e = this.events[i]!;
      if (e.at > to || (opts.toExclusive && e.at === to)) break;
      out.push(e);
    }
    return out;
  }

  /** A rule's attack rows without creating the list (most keys never have one). */
  peekAttacks(ruleId: string): readonly AttackSpan[] {
    return this.attacks?.get(ruleId) ?? NONE;
  }

  attacksOf(ruleId: string): AttackSpan[] {
    this.attacks ??= new Map();
    let list = this.attacks.get(ruleId);
    if (!list) this.attacks.set(ruleId, (list = []));
    return list;
  }
}

/** Attack rows changed by a batch: written in its transaction. */
export interface AttackWrites {
  upserts: Map<string, { orgId: string; ruleId: string; key: string; attack: AttackSpan }>;
  deletes: Set<string>;
}

/**
 * `observe`'s store over one key state, seeing only the events `counts` lets through (a rule's
 * allow-lists and filters): the in-memory twin of the old SQL store, recording attack changes in `writes`.
 */
export function memoryClusterStore(state: KeyState, ruleId: string, counts: (e: Observed) => boolean, writes: AttackWrites): ClusterStore<Observed> {
  return {
    attacksNear: async (span: Span, windowMs: number) =>
      state
        .peekAttacks(ruleId)
        .filter((a) => a.end >= span.start - windowMs && a.start <= span.end + windowMs)
        .sort((a, b) => a.start - b.start || a.detectionId.localeCompare(b.detectionId)),
    eventsAround: async (t: number, windowMs: number) => state.between(t - windowMs, t + windowMs, { fromExclusive: true, toExclusive: true }).filter(counts),
    cluster: async (span: Span, windowMs: number, walk: { before: boolean; after: boolean }) => {
      let start = span.start;
      let end = span.end;
      if (walk.before) {
        for (;;) {
          const earliest = state.between(start - windowMs, start, { toExclusive: true }).find(counts);
          if (!earliest) break;
          start = earliest.at;
        }
      }
      if (walk.after) {
        for (;;) {
          const later = state.between(end, end + windowMs, { fromExclusive: true }).filter(counts);
          const latest = later[later.length - 1];
          if (!latest) break;
          end = latest.at;
        }
      }
      return { start, end, count: state.between(start, end).filter(counts).length };
    },
    saveAttack: async (attack: AttackSpan, absorbed: readonly string[]) => {
      const attacks = state.attacksOf(ruleId);
      for (let i = attacks.length - 1; i >= 0; i--) {
        const id = attacks[i]!.detectionId;
        if (id === attack.detectionId || absorbed.includes(id)) attacks.splice(i, 1);
      }
      attacks.push(attack);
      for (const id of absorbed) {
        writes.upserts.delete(id);
        writes.deletes.add(id);
      }
      writes.upserts.set(attack.detectionId, { orgId: state.orgId, ruleId, key: state.value, attack: { ...attack } });
    },
  };
}
