import fc from 'fast-check';
import { distinctValues, observe, referenceAttacks, type WindowMeasure } from '../rules/sliding-window';
import { KeyState, memoryClusterStore, type AttackWrites } from './key-state';
import type { Observed } from './rule';

const W = 100;
const t0 = Date.parse('2026-11-23T10:00:00Z');

/**
 * The engine's in-memory store against the definition: any arrival order, duplicates, events the rule
 * does not count (an allow-listed IP) mixed in, counting and distinct measures.
 */
describe('memoryClusterStore + observe', () => {
  const check = async (measure: WindowMeasure<Observed> | undefined) => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }),
        fc.array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constantFrom(W - 1, W, W + 1), fc.integer({ min: 0, max: 3 * W })), fc.constantFrom('a', 'b', 'c', 'd'), fc.boolean()), { minLength: 1, maxLength: 18 }).chain((rows) =>
          fc.tuple(fc.constant(rows), fc.shuffledSubarray([...rows.keys()], { minLength: rows.length }), fc.array(fc.nat({ max: rows.length - 1 }), { maxLength: 4 })),
        ),
        async (threshold, [rows, order, dups]) => {
          let t = t0;
          const events: Observed[] = rows.map(([gap, account, allowed], i) => ({ eventId: `e${i}`, type: 'login.failed', at: (t += gap), ip: allowed ? '10.0.0.1' : '203.0.113.7', account, attrs: null }));
          const counts = (e: Observed) => e.ip !== '10.0.0.1';
          const state = new KeyState('org', 'ip', '203.0.113.7');
          const writes: AttackWrites = { upserts: new Map(), deletes: new Set() };
          const store = memoryClusterStore(state, 'rule', counts, writes);
          let detections = 0;
          let merges = 0;
          for (const i of [...order, ...dups]) {
            const e = events[i]!;
            const newestBefore = state.newest();
            if (!state.insert(e) || !counts(e)) continue;
            const o = await observe(store, { at: e.at, newestBefore, detectionId: `d-${e.eventId}` }, { threshold, windowMs: W }, measure);
            if (o.kind === 'triggered') detections++;
            if (o.kind === 'joined') merges += o.absorbed.length;
          }
          const counted = events.filter(counts);
          const ref = referenceAttacks(counted, { threshold, windowMs: W }, measure);
          const rowsNow = [...writes.upserts.values()].map((u) => u.attack).sort((a, b) => a.start - b.start);
          expect(rowsNow.map((a) => ({ start: a.start, end: a.end }))).toEqual(ref);
          expect(rowsNow.map((a) => a.eventCount)).toEqual(ref.map((s) => counted.filter((e) => e.at >= s.start && e.at <= s.end).length));
          expect(state.attacksOf('rule').length).toBe(ref.length);
          expect(detections - merges).toBe(ref.length);
        },
      ),
      { numRuns: 300 },
    );
  };

  it('counts events exactly as the definition, whatever the order', () => check(undefined));
  it('counts distinct accounts exactly as the definition, whatever the order', () => check(distinctValues<Observed>((e) => e.account)));
});
