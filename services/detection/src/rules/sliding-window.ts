/**
 * Windowed-cluster detection, shared by every "at least T events of one key within W" rule.
 *
 * Definition (the oracle the chaos suite also uses): sort a key's events by event time and split them
 * into clusters wherever two consecutive events are more than W apart. A cluster is an attack iff some
 * half-open window (x - W, x], x an event time of the cluster, holds at least T events. Each attack
 * raises exactly one detection. Duplicates count once.
 *
 * The incremental algorithm keeps one row per attack spanning its whole cluster (first to last event).
 * An event within W of an attack joins it; otherwise it can only create an attack through a window that
 * contains it, so only windows (x - W, x] with x in [t, t + W) are evaluated.
 *
 * Exactness under disorder: a detection cannot be taken back, so the count is exact as long as no late
 * event joins two clusters that have each already been detected. That needs a late event to land in a
 * gap of more than W between two attacks of its key; if every event arrives at most D behind its key's
 * newest event and no two consecutive events of a key are between W - D and W apart, it cannot happen.
 * When it does happen anyway the rows are merged (one attack from then on) and a warning is logged.
 */

/** An event of one key, by event time (epoch ms). */
export interface WindowEvent {
  at: number;
  eventId: string;
}

export interface WindowSettings {
  threshold: number;
  windowMs: number;
}

/**
 * How a window is measured: by default the number of events; a rule like credential stuffing counts
 * distinct values instead (`distinctValues`). Must grow with the events a window holds (never shrink),
 * which is what lets an event only ever complete windows that contain it.
 */
export type WindowMeasure<E extends WindowEvent> = (t: number, sortedEvents: readonly E[], windowMs: number) => WindowCount;

export const countEvents = <E extends WindowEvent>(t: number, sortedEvents: readonly E[], windowMs: number): WindowCount =>
  maxCountOfWindowsContaining(
    t,
    sortedEvents.map((e) => e.at),
    windowMs,
  );

/**
 * The fullest window (x - W, x] containing t by distinct non-null `valueOf` (x over event times in
 * [t, t + W)); `count` is the number of distinct values. Ties go to the earliest x.
 */
export function distinctValues<E extends WindowEvent>(valueOf: (e: E) => string | null | undefined): WindowMeasure<E> {
  return (t, sorted, windowMs) => {
    let best: WindowCount = { count: 0, end: t, first: t };
    const counts = new Map<string, number>();
    let lo = 0;
    let hi = 0;
    const candidates = [t, ...sorted.filter((e) => e.at > t && e.at < t + windowMs).map((e) => e.at)];
    for (const x of candidates) {
      for (; hi < sorted.length && sorted[hi]!.at <= x; hi++) {
        const v = valueOf(sorted[hi]!);
        if (v != null) counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      for (; lo < hi && sorted[lo]!.at <= x - windowMs; lo++) {
        const v = valueOf(sorted[lo]!);
        if (v == null) continue;
        const n = counts.get(v)! - 1;
        if (n === 0) counts.delete(v);
        else counts.set(v, n);
      }
      if (counts.size > best.count) best = { count: counts.size, end: x, first: sorted[lo]?.at ?? x };
    }
    return best;
  };
}

/** Closed interval of event times [start, end]. */
export interface Span {
  start: number;
  end: number;
}

/** One detected attack: its cluster's span, its event count, and the detection it raised. */
export interface AttackSpan extends Span {
  detectionId: string;
  eventCount: number;
}

/** The best window among those containing an event: (end - W, end] holds `count` events from `first` on. */
export interface WindowCount {
  count: number;
  /** The window's right edge x (an event time). */
  end: number;
  /** The earliest event time inside the window. */
  first: number;
}

/** A late event is more than W/2 behind the newest event of its key when it arrives. */
export function isLate(at: number, newestBefore: number | null, windowMs: number): boolean {
  return newestBefore !== null && newestBefore - at > windowMs / 2;
}

/**
 * The fullest window (x - W, x] that contains t, x ranging over event times in [t, t + W) (t itself
 * always counts as a candidate). `sortedTimes` must include t and every event time in (t - W, t + W);
 * others are ignored. Ties go to the earliest x, so a redo picks the same window.
 */
export function maxCountOfWindowsContaining(t: number, sortedTimes: readonly number[], windowMs: number): WindowCount {
  let best: WindowCount = { count: 0, end: t, first: t };
  let lo = 0;
  let hi = 0;
  const candidates = [t, ...sortedTimes.filter((x) => x > t && x < t + windowMs)];
  for (const x of candidates) {
    while (lo < sortedTimes.length && sortedTimes[lo]! <= x - windowMs) lo++;
    while (hi < sortedTimes.length && sortedTimes[hi]! <= x) hi++;
    const count = hi - lo;
    if (count > best.count) best = { count, end: x, first: sortedTimes[lo] ?? x };
  }
  return best;
}

/** Splits sorted times into clusters: a gap of more than W splits, a gap of at most W joins. */
export function clustersOf(sortedTimes: readonly number[], windowMs: number): Span[] {
  const out: Span[] = [];
  for (const t of sortedTimes) {
    const last = out[out.length - 1];
    if (last && t - last.end <= windowMs) last.end = t;
    else out.push({ start: t, end: t });
  }
  return out;
}

/** The fullest window (x - W, x] over every event time x of the sorted times. */
export function maxWindowCount(sortedTimes: readonly number[], windowMs: number): number {
  let best = 0;
  let lo = 0;
  sortedTimes.forEach((x, hi) => {
    while (sortedTimes[lo]! <= x - windowMs) lo++;
    // every event up to index hi, and equal times after it, are <= x
    let end = hi;
    while (end + 1 < sortedTimes.length && sortedTimes[end + 1] === x) end++;
    best = Math.max(best, end + 1 - lo);
  });
  return best;
}

/**
 * The definition, computed from scratch: the attacks (cluster spans) among one key's events. With a
 * measure, a cluster is an attack iff some window around one of its events measures >= threshold.
 */
export function referenceAttacks<E extends WindowEvent>(events: readonly E[], settings: WindowSettings, measure?: WindowMeasure<E>): Span[] {
  const byId = new Map(events.map((e) => [e.eventId, e]));
  const sorted = [...byId.values()].sort((a, b) => a.at - b.at || a.eventId.localeCompare(b.eventId));
  const times = sorted.map((e) => e.at);
  return clustersOf(times, settings.windowMs).filter((c) => {
    const inside = sorted.filter((e) => e.at >= c.start && e.at <= c.end);
    if (!measure) return maxWindowCount(inside.map((e) => e.at), settings.windowMs) >= settings.threshold;
    return inside.some((e) => measure(e.at, inside, settings.windowMs).count >= settings.threshold);
  });
}

/**
 * The state one (org, rule, key) needs, behind the per-key lock. Implemented over SQL by the
 * repository and in memory by the property test, so both run `observe` unchanged.
 */
export interface ClusterStore<E extends WindowEvent> {
  /** Attack rows within W of the span: started_at - W <= span.end and last_seen_at + W >= span.start. */
  attacksNear(span: Span, windowMs: number): Promise<AttackSpan[]>;
  /** The key's events in (t - W, t + W), sorted by time. */
  eventsAround(t: number, windowMs: number): Promise<E[]>;
  /**
   * Grows the span to its whole cluster: repeatedly takes the farthest event within W before the start
   * (if `before`) and after the end (if `after`). Returns the span and how many events it holds.
   */
  cluster(span: Span, windowMs: number, walk: { before: boolean; after: boolean }): Promise<Span & { count: number }>;
  /** Inserts or updates `attack` (by detection id) and deletes the rows it absorbed. */
  saveAttack(attack: AttackSpan, absorbed: readonly string[]): Promise<void>;
}

export type Observation<E extends WindowEvent> =
  | { kind: 'quiet' }
  | { kind: 'joined'; attack: AttackSpan; absorbed: string[] }
  | { kind: 'triggered'; attack: AttackSpan; window: WindowCount; events: E[] };

export interface ObservedEvent {
  at: number;
  /** The key's newest event time before this one was recorded (null: first of its key). */
  newestBefore: number | null;
  /** Detection id to use if this event starts an attack (deterministic, so a redo gets the same). */
  detectionId: string;
}

const hull = (spans: readonly Span[]): Span => ({ start: Math.min(...spans.map((s) => s.start)), end: Math.max(...spans.map((s) => s.end)) });

/**
 * Folds one freshly recorded event (already stored, not a duplicate) into its key's attacks. Run under
 * the per-key lock, inside the transaction that recorded the event.
 */
export async function observe<E extends WindowEvent>(
  store: ClusterStore<E>,
  event: ObservedEvent,
  settings: WindowSettings,
  measure: WindowMeasure<E> = countEvents,
): Promise<Observation<E>> {
  const { at } = event;
  const W = settings.windowMs;
  // Nothing of this key is later than t: the cluster cannot grow past t, so no walk forward.
  const inOrder = event.newestBefore === null || at >= event.newestBefore;

  const near = await store.attacksNear({ start: at, end: at }, W);
  if (near.length > 0) return join(store, event, near, inOrder, W);

  const events = await store.eventsAround(at, W);
  const window = measure(at, events, W);
  if (window.count < settings.threshold) return { kind: 'quiet' };

  const span = await store.cluster({ start: at, end: at }, W, { before: true, after: !inOrder });
  // An attack row reachable only through the walk means the invariant was broken (e.g. the org's
  // window was widened): that attack owns the cluster, so this event joins it.
  const reached = await store.attacksNear(span, W);
  if (reached.length > 0) return join(store, event, reached, inOrder, W);

  const attack: AttackSpan = { start: span.start, end: span.end, detectionId: event.detectionId, eventCount: span.count };
  await store.saveAttack(attack, []);
  const inWindow = events.filter((e) => e.at > window.end - W && e.at <= window.end);
  return { kind: 'triggered', attack, window, events: inWindow };
}

async function join<E extends WindowEvent>(store: ClusterStore<E>, event: ObservedEvent, near: AttackSpan[], inOrder: boolean, W: number): Promise<Observation<E>> {
  const { at } = event;
  let attacks = [...near].sort((a, b) => a.start - b.start || a.detectionId.localeCompare(b.detectionId));
  const known = hull(attacks);
  let span: Span = hull([known, { start: at, end: at }]);
  let count = attacks.reduce((n, a) => n + a.eventCount, 0) + 1;

  // The common case (t inside the attack, or in order past its end) needs no walk: each row already
  // spans its whole cluster. Otherwise t may bridge to events of a cluster that never was an attack.
  let walkBefore = at < known.start;
  let walkAfter = at > known.end && !inOrder;
  while (walkBefore || walkAfter) {
    const grown = await store.cluster(span, W, { before: walkBefore, after: walkAfter });
    const reached = (await store.attacksNear(grown, W)).filter((a) => !attacks.some((k) => k.detectionId === a.detectionId));
    walkBefore = walkAfter = false;
    span = { start: grown.start, end: grown.end };
    count = grown.count;
    if (reached.length > 0) {
      // Rows the walk reached are whole clusters of their own: take them in and walk on from their edges.
      attacks = [...attacks, ...reached].sort((a, b) => a.start - b.start || a.detectionId.localeCompare(b.detectionId));
      const all = hull([span, ...reached]);
      walkBefore = all.start < span.start;
      walkAfter = all.end > span.end;
      span = all;
    }
  }

  const [primary, ...absorbed] = attacks;
  const attack: AttackSpan = { detectionId: primary!.detectionId, start: span.start, end: span.end, eventCount: count };
  const absorbedIds = absorbed.map((a) => a.detectionId);
  await store.saveAttack(attack, absorbedIds);
  return { kind: 'joined', attack, absorbed: absorbedIds };
}
