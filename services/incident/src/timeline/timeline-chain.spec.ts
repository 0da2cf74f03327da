import { canonicalJson, TIMELINE_GENESIS, timelineHash } from './timeline-chain';

describe('timeline chain', () => {
  const entry = { incidentId: 'i', orgId: 'o', seq: 1, at: '2026-12-01T10:00:00.000Z', kind: 'note', actor: { type: 'api-key', id: 'k' }, detail: { text: 'x', n: 1 } };

  it('does not depend on key order (jsonb reorders members)', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
    expect(timelineHash(TIMELINE_GENESIS, entry).equals(timelineHash(TIMELINE_GENESIS, { ...entry, detail: { n: 1, text: 'x' } }))).toBe(true);
  });

  it('changes with the content and with the previous hash', () => {
    const h = timelineHash(TIMELINE_GENESIS, entry);
    expect(timelineHash(TIMELINE_GENESIS, { ...entry, detail: { text: 'y', n: 1 } }).equals(h)).toBe(false);
    expect(timelineHash(h, entry).equals(h)).toBe(false);
  });
});
