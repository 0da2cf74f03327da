import type { FastifyInstance, FastifyRequest } from 'fastify';

// fatal: bytes that are not UTF-8 are refused, not silently stored as U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

class BodyError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}

/**
 * Parses JSON bodies strictly: invalid UTF-8 is a 400, and plain JSON.parse keeps `__proto__` and
 * `constructor` as ordinary own members (it never touches prototypes), so they reach per-event
 * validation and are refused one event at a time. Fastify's default parser refuses the whole body
 * instead, taking every valid event of the batch with it.
 */
export function useStrictJsonBodies(fastify: FastifyInstance, mediaTypes: readonly string[]): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(['application/json', ...mediaTypes], { parseAs: 'buffer' }, (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      done(new BodyError('VIGIL_BODY_NOT_UTF8', 'request body is not valid UTF-8'));
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(new BodyError('FST_ERR_CTP_INVALID_JSON_BODY', err instanceof Error ? err.message : 'invalid JSON'));
    }
  });
}
