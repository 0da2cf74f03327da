import { generateApiKey, hashApiKey, isWellFormedApiKey } from './api-key';
import { ApiKeyCache, CACHE_MS } from './api-key-cache';

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

describe('api key cache', () => {
  const principal = (apiKeyId: string) => ({ orgId: 'o', apiKeyId, scopes: ['admin'], eventTypes: null, rateLimitPerMinute: 6000 });

  it("drops a key's entries on invalidation, and does not store a lookup that began before it", () => {
    const cache = new ApiKeyCache();
    const gen = cache.currentGeneration;
    cache.set('secret-a', principal('a'), gen);
    cache.set('secret-b', principal('b'), gen);
    expect(cache.get('secret-a')?.principal?.apiKeyId).toBe('a');

    const lookupBegan = cache.currentGeneration;
    cache.invalidate('a');
    expect(cache.get('secret-a')).toBeUndefined();
    expect(cache.get('secret-b')?.principal?.apiKeyId).toBe('b');
    cache.set('secret-a', principal('a'), lookupBegan); // read from the database before the revocation committed
    expect(cache.get('secret-a')).toBeUndefined();
  });

  it(`expires entries after ${CACHE_MS} ms`, () => {
    const cache = new ApiKeyCache();
    cache.set('s', principal('a'), cache.currentGeneration, 0);
    expect(cache.get('s', CACHE_MS - 1)).toBeDefined();
    expect(cache.get('s', CACHE_MS)).toBeUndefined();
  });
});
