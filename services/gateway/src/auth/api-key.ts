import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_PREFIX = 'vgl_';
const keyPattern = /^vgl_[A-Za-z0-9_-]{43}$/;

export const scopes = ['events:write', 'incidents:read', 'reports:read', 'admin'] as const;
export type Scope = (typeof scopes)[number];

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
