import { generateApiKey, hashApiKey, isWellFormedApiKey } from './api-key';

describe('api keys', () => {
  it('generates well-formed, unique keys whose hash matches', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(isWellFormedApiKey(a.key)).toBe(true);
    expect(a.key).not.toBe(b.key);
    expect(hashApiKey(a.key).equals(a.hash)).toBe(true);
    expect(a.prefix).toBe(a.key.slice(0, 12));
  });

  it('rejects malformed keys before any lookup', () => {
    expect(isWellFormedApiKey('vgl_short')).toBe(false);
    expect(isWellFormedApiKey("vgl_' or 1=1 --" + 'x'.repeat(30))).toBe(false);
  });
});
