import { Injectable } from '@nestjs/common';
import { apiKeyCreateRequestV1, newId, zodErrors, type ApiKeyCreatedV1, type ApiKeyListV1, type ApiKeyViewV1 } from '@vigil/contracts';
import { ProblemException } from '@vigil/platform';
import { generateApiKey } from '../auth/api-key';
import { ApiKeyCache } from '../auth/api-key-cache';
import { ApiKeyRepository, type ApiKeyRow } from './api-key.repository';

/**
 * Managing an org's API keys: shared by the HTTP API (an org's admin key, its own org only) and the
 * CLI (operators; revoke and rotate by id in any org). Secrets are returned once and never stored.
 */
@Injectable()
export class ApiKeyService {
  constructor(
    private readonly repo: ApiKeyRepository,
    private readonly cache: ApiKeyCache,
  ) {}

  async create(orgId: string, body: unknown): Promise<ApiKeyCreatedV1> {
    const input = apiKeyCreateRequestV1.safeParse(body ?? {});
    if (!input.success) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'invalid API key request', errors: zodErrors(input.error) });
    const { name, scopes, eventTypes, rateLimitPerMinute } = input.data;
    const { key, prefix, hash } = generateApiKey();
    const row = await this.repo.insert({ id: newId(), orgId, name, prefix, hash, scopes, eventTypes: eventTypes ?? null, rateLimitPerMinute });
    return { ...toView(row), secret: key };
  }

  async list(orgId: string): Promise<ApiKeyListV1> {
    return { items: (await this.repo.list(orgId)).map(toView) };
  }

  /** Idempotent: revoking a revoked key answers it as it is. The org's last active admin key stays (409). */
  async revoke(id: string, orgId?: string): Promise<ApiKeyViewV1> {
    const outcome = await this.repo.revoke(id, orgId);
    if (outcome.status === 'not-found') throw notFound(id);
    if (outcome.status === 'last-admin') {
      throw new ProblemException({
        status: 409,
        title: 'Conflict',
        detail: 'this is the last active admin key of its organisation; create another admin key first, then revoke this one',
      });
    }
    this.cache.invalidate(id);
    return toView(outcome.row);
  }

  /** A new secret for the same key (id, name, scopes, limits); the old secret stops working at once, without a grace period. */
  async rotate(id: string, orgId?: string): Promise<ApiKeyCreatedV1> {
    const { key, prefix, hash } = generateApiKey();
    const row = await this.repo.rotate(id, orgId, { prefix, hash });
    if (row === undefined) throw notFound(id);
    if (row === 'revoked') throw new ProblemException({ status: 409, title: 'Conflict', detail: `API key ${id} is revoked; create a new key instead` });
    this.cache.invalidate(id);
    return { ...toView(row), secret: key };
  }
}

function notFound(id: string): ProblemException {
  return new ProblemException({ status: 404, title: 'Not Found', detail: `no API key ${id} in this organisation` });
}

export function toView(row: ApiKeyRow): ApiKeyViewV1 {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    eventTypes: row.event_types,
    rateLimitPerMinute: row.rate_limit_per_minute,
    createdAt: row.created_at.toISOString(),
    lastUsedAt: row.last_used_at?.toISOString() ?? null,
    rotatedAt: row.rotated_at?.toISOString() ?? null,
    revokedAt: row.revoked_at?.toISOString() ?? null,
  };
}
