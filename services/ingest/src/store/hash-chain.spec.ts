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

  // The record is written after prev into a reused buffer (64 KiB at first) that doubles when a record
  // does not fit. Records ending just before, at and past its end, with 1- to 4-byte UTF-8 characters
  // there, must hash whole: each size of buffer is crossed by a run of one kind of character.
  it('chains the same hash for records around and past the reused buffer size', () => {
    const fields = { orgId: '0b9f3c52-4a55-4f0e-9d7a-2f7d2b8c1e11', eventId: '6f1c8a2e-5d3b-4c9a-8e7f-1a2b3c4d5e6f', type: 'login.failed', source: 'https://app.example.test', occurredAt: '2026-11-26T10:00:00.000Z' };
    const expected = (record: ChainedFields) => createHash('sha256').update(GENESIS_HASH).update(stableStringify(record)).digest();
    const bytesOf = (record: ChainedFields) => GENESIS_HASH.length + Buffer.byteLength(stableStringify(record));
    const base = bytesOf({ ...fields, envelope: { data: '' } });
    for (const [size, char] of [[2 ** 16, '😀'], [2 ** 17, '€'], [2 ** 18, 'é'], [2 ** 19, 'a']] as const) {
      const width = Buffer.byteLength(char);
      for (let total = size - 12; total <= size + 12; total++) {
        const n = Math.floor((total - base) / width) - 1;
        const record = { ...fields, envelope: { data: 'x'.repeat(total - base - n * width) + char.repeat(n) } };
        expect(bytesOf(record)).toBe(total);
        expect(chainHash(GENESIS_HASH, record).equals(expected(record))).toBe(true);
      }
    }
  });
});
