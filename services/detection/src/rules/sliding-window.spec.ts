import fc from 'fast-check';
import {
  clustersOf,
  isLate,
  maxCountOfWindowsContaining,
  maxWindowCount,
  observe,
  referenceAttacks,
  type AttackSpan,
  type ClusterStore,
  type Span,
  type WindowEvent,
  type WindowSettings,
} from './sliding-window';

/** The repository's contract, in memory: one key's events and attack rows. */
class MemoryClusterStore implements ClusterStore<WindowEvent> {
  readonly events: WindowEvent[] = [];
  readonly attacks = new Map<string, AttackSpan>();

  /** What the repository's insert does: dedup by id, report the key's newest time before it. */
  record(e: WindowEvent): { inserted: boolean; newestBefore: number | null } {
    const newestBefore = this.events.length ? Math.max(...this.events.map((x) => x.at)) : null;
    if (this.events.some((x) => x.eventId === e.eventId)) return { inserted: false, newestBefore };
    this.events.push(e);
    this.events.sort((a, b) => a.at - b.at);
    return { inserted: true, newestBefore };
  }

  async attacksNear(span: Span, W: number): Promise<AttackSpan[]> {
    return [...this.attacks.values()].filter((a) => a.start - W <= span.end && a.end + W >= span.start).map((a) => ({ ...a }));
  }

  async eventsAround(t: number, W: number): Promise<WindowEvent[]> {
    return this.events.filter((e) => e.at > t - W && e.at < t + W);
  }

  async cluster(span: Span, W: number, walk: { before: boolean; after: boolean }): Promise<Span & { count: number }> {
    let { start, end } = span;
    for (let next = start; walk.before; start = next) {
      const before = this.events.filter((e) => e.at >= start - W && e.at < start);
      if (!before.length) break;
      next = before[0]!.at;
    }
    for (let next = end; walk.after; end = next) {
      const after = this.events.filter((e) => e.at > end && e.at <= end + W);
      if (!after.length) break;
      next = after[after.length - 1]!.at;
    }
    return { start, end, count: this.events.filter((e) => e.at >= start && e.at <= end).length };
  }

  async saveAttack(attack: AttackSpan, absorbed: readonly string[]): Promise<void> {
    for (const id of absorbed) this.attacks.delete(id);
    this.attacks.set(attack.detectionId, { ...attack });
  }
}

/** Feeds arrivals one by one, exactly as the handler does, and tallies what came out. */
async function feed(arrivals: readonly WindowEvent[], settings: WindowSettings) {
  const store = new MemoryClusterStore();
  let detections = 0;
  let merges = 0;
  let late = 0;
  for (const e of arrivals) {
    const { inserted, newestBefore } = store.record(e);
    if (!inserted) continue;
    if (isLate(e.at, newestBefore, settings.windowMs)) late++;
    const o = await observe(store, { at: e.at, newestBefore, detectionId: `d-${e.eventId}` }, settings);
    if (o.kind === 'triggered') detections++;
    if (o.kind === 'joined') merges += o.absorbed.length;
  }
  const attacks = [...store.attacks.values()].sort((a, b) => a.start - b.start);
  return { detections, merges, late, attacks, store };
}

const W = 100;
const settings: WindowSettings = { threshold: 5, windowMs: W };
const ev = (at: number, id = `e${at}`): WindowEvent => ({ at, eventId: id });
const spans = (a: readonly Span[]) => a.map((s) => ({ start: s.start, end: s.end }));

describe('maxCountOfWindowsContaining', () => {
  it('counts the window ending at t', () => {
    expect(maxCountOfWindowsContaining(50, [10, 20, 30, 40, 50], W)).toEqual({ count: 5, end: 50, first: 10 });
  });

  it('counts windows that end after t: an early event completes a later window', () => {
    // t = 0 arrives last; the window (-100, 0] holds only t, but (−60, 40] holds all five.
    expect(maxCountOfWindowsContaining(0, [0, 10, 20, 30, 40], W)).toEqual({ count: 5, end: 40, first: 0 });
  });

  it('uses half-open windows: an event exactly W before x is outside', () => {
    expect(maxCountOfWindowsContaining(100, [0, 25, 50, 75, 100], W).count).toBe(4);
    expect(maxCountOfWindowsContaining(99, [0, 25, 50, 75, 99], W).count).toBe(5);
  });

  it('never counts a window that does not contain t', () => {
    // (50, 150] holds five events but not t = 0; windows containing 0 end before 100.
    expect(maxCountOfWindowsContaining(0, [0, 110, 120, 130, 140, 150], W).count).toBe(1);
  });

  it('counts events with equal times', () => {
    expect(maxCountOfWindowsContaining(7, [7, 7, 7, 7, 7], W)).toEqual({ count: 5, end: 7, first: 7 });
  });
});

describe('clusters and the reference', () => {
  it('joins a gap of exactly W and splits a gap of W + 1', () => {
    expect(clustersOf([0, 100, 201], W)).toEqual([
      { start: 0, end: 100 },
      { start: 201, end: 201 },
    ]);
  });

  it('finds the fullest window of a cluster', () => {
    expect(maxWindowCount([0, 50, 99, 100, 100, 150], W)).toBe(4);
  });

  it('makes one attack of a cluster however long it goes on, and none of a slow trickle', () => {
    const burst = [0, 1, 2, 3, 4, 60, 120, 180, 240].map((t) => ev(t));
    expect(referenceAttacks(burst, settings)).toEqual([{ start: 0, end: 240 }]);
    const trickle = Array.from({ length: 30 }, (_, i) => ev(i * 30));
    expect(referenceAttacks(trickle, settings)).toEqual([]);
  });

  it('makes two attacks of two bursts more than W apart, and counts a duplicate once', () => {
    const events = [0, 1, 2, 3, 4, 105, 106, 107, 108, 109].map((t) => ev(t));
    expect(referenceAttacks(events, settings)).toEqual([
      { start: 0, end: 4 },
      { start: 105, end: 109 },
    ]);
    expect(referenceAttacks([ev(0), ev(1), ev(2), ev(3), ev(3, 'e3')], settings)).toEqual([]);
  });
});

describe('isLate', () => {
  it('flags an event more than W/2 behind its key', () => {
    expect(isLate(0, null, W)).toBe(false);
    expect(isLate(0, 50, W)).toBe(false);
    expect(isLate(0, 51, W)).toBe(true);
  });
});

describe('observe (incremental, against an in-memory store)', () => {
  it('detects five failures arriving in reverse time order, once', async () => {
    const r = await feed([4, 3, 2, 1, 0].map((t) => ev(t)), settings);
    expect(r.detections).toBe(1);
    expect(spans(r.attacks)).toEqual([{ start: 0, end: 4 }]);
    expect(r.attacks[0]!.eventCount).toBe(5);
  });

  it('detects an attack whose events arrive in any interleaving of two halves', async () => {
    const r = await feed([0, 40, 10, 30, 20].map((t) => ev(t)), settings);
    expect(r.detections).toBe(1);
  });

  it('joins a late event that bridges to a quiet cluster and takes that cluster in', async () => {
    // Attack at 200..204; a quiet pair at 0, 1; 110 arrives last and links them (gaps 109 > W, then 90 <= W).
    const r = await feed([...[200, 201, 202, 203, 204, 0, 1].map((t) => ev(t)), ev(110)], settings);
    expect(r.detections).toBe(1);
    expect(r.attacks).toEqual([expect.objectContaining({ start: 110, end: 204, eventCount: 6 })]);
    const r2 = await feed([...[200, 201, 202, 203, 204, 20, 21].map((t) => ev(t)), ev(110)], settings);
    expect(r2.attacks).toEqual([expect.objectContaining({ start: 20, end: 204, eventCount: 8 })]);
  });

  it('raises a second detection after a gap of more than W', async () => {
    const r = await feed([0, 1, 2, 3, 4, 105, 106, 107, 108, 109].map((t) => ev(t)), settings);
    expect(r.detections).toBe(2);
  });

  it('documents the limit: an event arriving after two detected attacks it links merges them (2 detections, 1 attack)', async () => {
    // 0..4 and 105..109 are each detected; 100 arrives last and makes them one cluster (gaps 96 and 5).
    const r = await feed([...[0, 1, 2, 3, 4, 105, 106, 107, 108, 109].map((t) => ev(t)), ev(100)], settings);
    expect(referenceAttacks([...[0, 1, 2, 3, 4, 105, 106, 107, 108, 109].map((t) => ev(t)), ev(100)], settings)).toHaveLength(1);
    expect(r).toMatchObject({ detections: 2, merges: 1 });
    expect(r.attacks).toEqual([expect.objectContaining({ detectionId: 'd-e4', start: 0, end: 109, eventCount: 11 })]);
  });

  it('takes in an attack its walk reaches when the org widened its window since the rows were written', async () => {
    const narrow = { threshold: 5, windowMs: 50 };
    const before = [0, 1, 2, 3, 4, 60, 200, 201, 202, 203, 204].map((t) => ev(t));
    const { store } = await feed(before, narrow);
    expect(store.attacks.size).toBe(2);
    // Window now 100: 130 is near only the second attack; its walk back goes 130 -> 60 -> 0..4.
    const late = ev(130);
    const { newestBefore } = store.record(late);
    const o = await observe(store, { at: 130, newestBefore, detectionId: 'd-e130' }, settings);
    expect(o).toMatchObject({ kind: 'joined', absorbed: ['d-e204'], attack: { detectionId: 'd-e4', start: 0, end: 204, eventCount: 12 } });
    expect([...store.attacks.keys()]).toEqual(['d-e4']);
  });

  it('counts late events', async () => {
    expect((await feed([ev(100), ev(49), ev(50)], settings)).late).toBe(1);
  });
});

// Times built from gaps, so clusters, near-W gaps and exact-W gaps all come up often.
const gapArb = fc.oneof(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: W }), fc.constantFrom(W - 1, W, W + 1), fc.integer({ min: W + 1, max: 3 * W }));
const settingsArb = fc.record({ threshold: fc.integer({ min: 1, max: 6 }), windowMs: fc.constant(W) });
const timesFrom = (gaps: number[]) => gaps.reduce<number[]>((acc, g) => [...acc, (acc[acc.length - 1] ?? 0) + g], []);

describe('observe matches referenceAttacks (property)', () => {
  it('for any arrival order with duplicates: the final attacks are the reference, and detections - merges = attacks', async () => {
    await fc.assert(
      fc.asyncProperty(
        settingsArb,
        fc.array(gapArb, { minLength: 1, maxLength: 30 }).chain((gaps) =>
          fc.tuple(
            fc.constant(timesFrom(gaps)),
            fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: gaps.length, maxLength: gaps.length }),
            fc.array(fc.nat({ max: gaps.length - 1 }), { maxLength: 10 }),
          ),
        ),
        async (s, [times, keys, dupIdx]) => {
          const events = times.map((t, i) => ev(t, `e${i}`));
          const order = events.map((e, i) => ({ e, k: keys[i]! })).sort((a, b) => a.k - b.k).map((x) => x.e);
          // Redeliveries: copies of some events at random later positions.
          const arrivals = [...order];
          dupIdx.forEach((i, n) => arrivals.splice((i * 7 + n) % (arrivals.length + 1), 0, events[i]!));
          const r = await feed(arrivals, s);
          const ref = referenceAttacks(events, s);
          expect(spans(r.attacks)).toEqual(ref);
          expect(r.detections - r.merges).toBe(ref.length);
          for (const a of r.attacks) expect(a.eventCount).toBe(times.filter((t) => t >= a.start && t <= a.end).length);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('when every event arrives at most D behind its key and no gap lies in (W - D, W]: exactly one detection per attack', async () => {
    await fc.assert(
      fc.asyncProperty(
        settingsArb,
        fc.integer({ min: 0, max: W / 2 }),
        fc.array(gapArb, { minLength: 1, maxLength: 30 }).chain((gaps) =>
          fc.tuple(fc.constant(gaps), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: gaps.length, maxLength: gaps.length }), fc.array(fc.nat({ max: gaps.length - 1 }), { maxLength: 10 })),
        ),
        async (s, D, [rawGaps, jitter, dupIdx]) => {
          const gaps = rawGaps.map((g) => (g > W - D && g <= W ? W + 1 : g));
          const events = timesFrom(gaps).map((t, i) => ev(t, `e${i}`));
          // Arrival by t + u, u in [0, D]: an event arrives after no event more than D later than it.
          const order = events.map((e, i) => ({ e, k: e.at + jitter[i]! * D })).sort((a, b) => a.k - b.k).map((x) => x.e);
          // Redeliveries come after the original (a copy arriving first would be the original).
          const arrivals = [...order];
          dupIdx.forEach((i, n) => {
            const first = arrivals.indexOf(events[i]!);
            arrivals.splice(first + 1 + ((i * 7 + n) % (arrivals.length - first)), 0, events[i]!);
          });
          const r = await feed(arrivals, s);
          const ref = referenceAttacks(events, s);
          expect(r.late).toBe(0);
          expect(r.detections).toBe(ref.length);
          expect(r.merges).toBe(0);
          expect(spans(r.attacks)).toEqual(ref);
        },
      ),
      { numRuns: 400 },
    );
  });
});
