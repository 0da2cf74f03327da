import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ProblemException } from '@vigil/platform';
import { isWellFormedApiKey, type Scope } from './api-key';
import { OrgRepository, type Principal } from './org.repository';

export const REQUIRED_SCOPE = 'vigil:required-scope';
/** The scope a route needs; a key with `admin` has them all. */
export const RequireScope = (scope: Scope) => SetMetadata(REQUIRED_SCOPE, scope);

export type AuthenticatedRequest = FastifyRequest & { principal: Principal };

/** Keys are cached briefly so ingestion doesn't cost a query per request; a revoked key stops within CACHE_MS. */
const CACHE_MS = 5_000;

function unauthorized(detail: string): ProblemException {
  return new ProblemException({ status: 401, title: 'Unauthorized', detail });
}

@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly cache = new Map<string, { principal: Principal | undefined; until: number }>();

  constructor(
    private readonly orgs: OrgRepository,
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
    const scope = this.reflector.get<Scope | undefined>(REQUIRED_SCOPE, context.getHandler());
    if (scope && !principal.scopes.includes(scope) && !principal.scopes.includes('admin')) {
      throw new ProblemException({ status: 403, title: 'Forbidden', detail: `this API key lacks the '${scope}' scope` });
    }
    req.principal = principal;
    return true;
  }

  private async lookup(key: string): Promise<Principal | undefined> {
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.until > now) return hit.principal;
    const principal = await this.orgs.findActiveKey(key);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { principal, until: now + CACHE_MS });
    if (principal) void this.orgs.touchKey(principal.apiKeyId).catch(() => undefined);
    return principal;
  }
}
