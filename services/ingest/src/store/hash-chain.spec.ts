import fc from 'fast-check';
import stableStringify from 'fast-json-stable-stringify';
import { createHash } from 'node:crypto';
import { canonicalJson, chainHash, GENESIS_HASH, type ChainedFields } from './hash-chain';

/** Every hash stored so far was made with fast-json-stable-stringify: the chain must not change. */
describe('canonical JSON of the hash chain', () => {
  // JSON values, plus undefined members and array holes (left out / null in both), and the unicode
  // keys whose sort order differs between code points and UTF-16 units.
  const value = fc.letrec((tie) => ({
    node: fc.oneof({ depthSize: 'small' }, fc.jsonValue(), fc.constant(undefined), tie('array'), tie('object')),
    array: fc.array(tie('node'), { maxLength: 5 }),
    object: fc.dictionary(fc.string({ unit: 'binary', maxLength: 4 }), tie('node'), { maxKeys: 6 }),
  })).node;

  it('is byte for byte fast-json-stable-stringify', () => {
    fc.assert(fc.property(value, (v) => expect(canonicalJson(v)).toBe(stableStringify(v))), { numRuns: 2000 });
    // Keys JSON.stringify orders its own way (integer-like ones first) or that could touch a prototype.
    const tricky = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, fc.integer(), tie('object'), fc.array(tie('node'), { maxLength: 3 })),
      object: fc.dictionary(fc.constantFrom('a', 'b', 'B', '9', '10', '01', '4294967295', '-1', '', '__proto__', 'toJSON'), tie('node'), { maxKeys: 5 }),
    })).node;
    fc.assert(fc.property(tricky, (v) => expect(canonicalJson(v)).toBe(stableStringify(v))), { numRuns: 2000 });
    fc.assert(fc.property(tricky, (v) => {
      const parsed: unknown = JSON.parse(JSON.stringify(v));
      expect(canonicalJson(parsed)).toBe(stableStringify(parsed));
    }), { numRuns: 500 });
    for (const v of [{ b: 1, a: [undefined, NaN, -0, 1e21, Infinity], c: new Date(0), '\u{10000}': 1, '\uffff': 2 }, JSON.parse('{"z":{"10":1,"9":2,"a":3},"__proto__":{"y":1,"x":2}}'), 'x', 5, null]) {
      expect(canonicalJson(v)).toBe(stableStringify(v));
    }
  });

  it('chains the same hash as before', () => {
    const record = fc.record({ orgId: fc.uuid(), eventId: fc.uuid(), type: fc.string(), source: fc.string(), occurredAt: fc.string(), envelope: value });
    fc.assert(
      fc.property(record, (fields: ChainedFields) => {
        const before = createHash('sha256').update(GENESIS_HASH).update(stableStringify(fields)).digest();
        expect(chainHash(GENESIS_HASH, fields).equals(before)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
