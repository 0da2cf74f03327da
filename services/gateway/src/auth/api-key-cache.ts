import { Injectable } from '@nestjs/common';
import type { Principal } from './api-key';

/**
 * Keys are cached briefly so ingestion doesn't cost a query per request. Revoking or rotating a key
 * through this gateway drops its entries at once; another gateway replica notices within CACHE_MS.
 */
export const CACHE_MS = 5_000;
const MAX_ENTRIES = 10_000;

@Injectable()
export class ApiKeyCache {
  /** By secret: a miss (unknown or revoked secret) is cached too, so a flood of bad keys stays cheap. */
  private readonly entries = new Map<string, { principal: Principal | undefined; until: number }>();
  /**
   * Bumped by every invalidation. A lookup that read the database before a revocation committed must
   * not cache what it read after the revocation dropped the entries, so `set` takes the generation
   * seen when the lookup began and stores nothing if it has moved on.
   */
  private generation = 0;

  get currentGeneration(): number {
    return this.generation;
  }

  get(secret: string, now = Date.now()): { principal: Principal | undefined } | undefined {
    const hit = this.entries.get(secret);
    return hit && hit.until > now ? hit : undefined;
  }

  set(secret: string, principal: Principal | undefined, seenGeneration: number, now = Date.now()): void {
    if (seenGeneration !== this.generation) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(secret, { principal, until: now + CACHE_MS });
  }

  /** Forgets every secret of this key (the cache is keyed by secret, which the caller no longer has). */
  invalidate(apiKeyId: string): void {
    this.generation++;
    for (const [secret, entry] of this.entries) if (entry.principal?.apiKeyId === apiKeyId) this.entries.delete(secret);
  }
}
