import fc from 'fast-check';
import { v5 as uuidv5 } from 'uuid';
import { deriveId } from './ids';

describe('deriveId', () => {
  it('gives exactly the ids the uuid package derives (ids already stored stay valid)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 4 }), (parts) => {
        expect(deriveId(...parts)).toBe(uuidv5(parts.map((p) => `${p.length}:${p}`).join('|'), '1b671a64-40d5-491e-99b0-da01ff1f3341'));
      }),
      { numRuns: 2_000 },
    );
  });

  // Namespace and name are written into a reused 4 KiB buffer that doubles when a name does not fit:
  // names ending around its end with 1- to 4-byte characters there, and far longer ones.
  it('derives the same ids for names around and past the reused buffer size', () => {
    for (const char of ['a', 'é', '€', '😀']) {
      for (let units = 4096 - 16 - 24; units <= 4096 + 8; units++) {
        const part = 'x'.repeat(units % 4) + char.repeat(Math.floor(units / char.length / Buffer.byteLength(char)));
        expect(deriveId(part)).toBe(uuidv5(`${part.length}:${part}`, '1b671a64-40d5-491e-99b0-da01ff1f3341'));
      }
    }
    const long = '€'.repeat(20_000);
    expect(deriveId('org', long)).toBe(uuidv5(`3:org|${long.length}:${long}`, '1b671a64-40d5-491e-99b0-da01ff1f3341'));
  });

  it('keeps the parts apart: moving a separator changes the id', () => {
    expect(deriveId('a|b', 'c')).not.toBe(deriveId('a', 'b|c'));
  });
});
