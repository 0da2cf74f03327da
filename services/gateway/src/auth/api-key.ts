import { createHash, randomBytes } from 'node:crypto';
import { API_KEY_SCOPES, type ApiKeyScope } from '@vigil/contracts';

export const API_KEY_PREFIX = 'vgl_';
const keyPattern = /^vgl_[A-Za-z0-9_-]{43}$/;

export const scopes = API_KEY_SCOPES;
export type Scope = ApiKeyScope;

/** Who is calling: the key, its org and what it may do. */
export interface Principal {
  orgId: string;
  apiKeyId: string;
  scopes: string[];
  /** Event types the key may submit; null: every producer type. */
  eventTypes: string[] | null;
  rateLimitPerMinute: number;
}

/** A new key: 32 random bytes, base64url. Only its hash is stored; the key itself is shown once. */
export function generateApiKey(): { key: string; prefix: string; hash: Buffer } {
  const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  return { key, prefix: key.slice(0, 12), hash: hashApiKey(key) };
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

export function isWellFormedApiKey(key: string): boolean {
  return keyPattern.test(key);
}
