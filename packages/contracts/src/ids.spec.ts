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

  it('keeps the parts apart: moving a separator changes the id', () => {
    expect(deriveId('a|b', 'c')).not.toBe(deriveId('a', 'b|c'));
  });
});
