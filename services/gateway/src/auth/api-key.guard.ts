import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemException } from '@vigil/platform';
import { ApiKeyRepository } from '../api-keys/api-key.repository';
import { isWellFormedApiKey, type Principal, type Scope } from './api-key';
import { ApiKeyCache } from './api-key-cache';
import { RateLimiter } from './rate-limiter';

export const REQUIRED_SCOPE = 'vigil:required-scope';
/** The scope a route needs; a key with `admin` has them all. */
export const RequireScope = (scope: Scope) => SetMetadata(REQUIRED_SCOPE, scope);

export type AuthenticatedRequest = FastifyRequest & { principal: Principal };

function unauthorized(detail: string): ProblemException {
  return new ProblemException({ status: 401, title: 'Unauthorized', detail });
}

/** Authenticates the API key, applies its rate limit, then checks the route's scope. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly cache: ApiKeyCache,
    private readonly limiter: RateLimiter,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = req.headers.authorization;
    if (!header) throw unauthorized('missing Authorization: Bearer <api key>');
    const [scheme, key] = header.split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !key) throw unauthorized('Authorization must be "Bearer <api key>"');
    if (!isWellFormedApiKey(key)) throw unauthorized('invalid API key');

    const principal = await this.lookup(key);
    if (!principal) throw unauthorized('invalid or revoked API key');
    const rate = this.limiter.take(principal.apiKeyId, principal.rateLimitPerMinute);
    if (!rate.allowed) {
      // The problem filter sends on this same reply, so the header set here goes out with the 429.
      void context.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(rate.retryAfterSeconds));
      throw new ProblemException({
        status: 429,
        title: 'Too Many Requests',
        detail: `this API key may make ${principal.rateLimitPerMinute} requests per minute; retry after ${rate.retryAfterSeconds} s`,
      });
    }
    const scope = this.reflector.get<Scope | undefined>(REQUIRED_SCOPE, context.getHandler());
    if (scope && !principal.scopes.includes(scope) && !principal.scopes.includes('admin')) {
      throw new ProblemException({ status: 403, title: 'Forbidden', detail: `this API key lacks the '${scope}' scope` });
    }
    req.principal = principal;
    return true;
  }

  private async lookup(key: string): Promise<Principal | undefined> {
    const hit = this.cache.get(key);
    if (hit) return hit.principal;
    const generation = this.cache.currentGeneration;
    const principal = await this.keys.findActive(key);
    this.cache.set(key, principal, generation);
    // Last use is recorded once per cache period, not per request: it is "to within a few seconds".
    if (principal) void this.keys.touch(principal.apiKeyId).catch(() => undefined);
    return principal;
  }
}
