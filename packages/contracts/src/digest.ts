import * as crypto from 'node:crypto';

type OneShot = (algorithm: string, data: Uint8Array, outputEncoding: 'hex' | 'buffer') => string | Buffer;
/** crypto.hash (Node 20.12+): no Hash object per call, which cost more than the hashing of short inputs. */
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;

/** SHA-1 or SHA-256 of `data`, in one call where Node has crypto.hash, else through a Hash object. */
export function digest(algorithm: 'sha1' | 'sha256', data: Uint8Array, encoding: 'hex'): string;
export function digest(algorithm: 'sha1' | 'sha256', data: Uint8Array, encoding: 'buffer'): Buffer;
export function digest(algorithm: 'sha1' | 'sha256', data: Uint8Array, encoding: 'hex' | 'buffer'): string | Buffer {
  if (oneShot) return oneShot(algorithm, data, encoding);
  const hash = crypto.createHash(algorithm).update(data);
  return encoding === 'hex' ? hash.digest('hex') : hash.digest();
}

/**
 * Writes `parts` one after another into `buffer` from `offset`, as UTF-8, and returns where they end,
 * or undefined when they may not all have fit: write() stops short at a whole character when the rest
 * does not fit, leaving under 4 bytes (the longest UTF-8 character) free, so 4 or more left free prove
 * every part went in whole. Callers keep one buffer and grow it on undefined.
 */
export function writeUtf8Parts(buffer: Buffer, offset: number, parts: readonly string[]): number | undefined {
  let at = offset;
  for (const part of parts) at += buffer.write(part, at);
  return at <= buffer.length - 4 ? at : undefined;
}
