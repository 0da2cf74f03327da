import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import type { ApiKeysTable, GatewayDatabase } from '../db/schema';
import { hashApiKey, type Principal } from '../auth/api-key';

export type ApiKeyRow = Selectable<ApiKeysTable>;

export interface NewApiKey {
  id: string;
  orgId: string;
  name: string;
  prefix: string;
  hash: Buffer;
  scopes: readonly string[];
  eventTypes: readonly string[] | null;
  rateLimitPerMinute?: number;
}

export type RevokeOutcome = { status: 'revoked' | 'already-revoked'; row: ApiKeyRow } | { status: 'not-found' } | { status: 'last-admin' };

/** The only code that touches the gateway's api_keys table. */
@Injectable()
export class ApiKeyRepository {
  constructor(@Inject(DATABASE) private readonly database: Database<GatewayDatabase>) {}

  private get db() {
    return this.database.db;
  }

  /**
   * The active key with this secret. The lookup is by SHA-256 of the whole secret through a unique
   * index: how long it takes depends on the hash, which an attacker cannot steer byte by byte, not on
   * how much of a guessed secret is right. The hash is then compared once more in constant time so
   * that a match never rests on the database's own comparison (collation, a future prefix index).
   */
  async findActive(secret: string): Promise<Principal | undefined> {
    const hash = hashApiKey(secret);
    const row = await this.db
      .selectFrom('api_keys')
      .select(['id', 'org_id', 'scopes', 'event_types', 'rate_limit_per_minute', 'key_hash'])
      .where('key_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row || row.key_hash.length !== hash.length || !timingSafeEqual(row.key_hash, hash)) return undefined;
    return { orgId: row.org_id, apiKeyId: row.id, scopes: row.scopes, eventTypes: row.event_types, rateLimitPerMinute: row.rate_limit_per_minute };
  }

  async touch(apiKeyId: string): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: sql<Date>`now()` }).where('id', '=', apiKeyId).execute();
  }

  /** Inserts a key, in the caller's transaction when given (an org and its first key are made together). */
  async insert(key: NewApiKey, tx?: Transaction<GatewayDatabase>): Promise<ApiKeyRow> {
    return (tx ?? this.db)
      .insertInto('api_keys')
      .values({
        id: key.id,
        org_id: key.orgId,
        name: key.name,
        prefix: key.prefix,
        key_hash: key.hash,
        scopes: [...key.scopes],
        event_types: key.eventTypes ? [...key.eventTypes] : null,
        ...(key.rateLimitPerMinute !== undefined ? { rate_limit_per_minute: key.rateLimitPerMinute } : {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Newest first, revoked keys included. */
  async list(orgId: string): Promise<ApiKeyRow[]> {
    return this.db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).orderBy('created_at', 'desc').orderBy('id').execute();
  }

  /** One key; with an org, another org's key is indistinguishable from none. */
  async find(id: string, orgId?: string): Promise<ApiKeyRow | undefined> {
    let q = this.db.selectFrom('api_keys').selectAll().where('id', '=', id);
    if (orgId !== undefined) q = q.where('org_id', '=', orgId);
    return q.executeTakeFirst();
  }

  /**
   * Revokes a key unless it is its org's last active admin key. The org's row is locked first, so two
   * admins revoking each other's keys at once cannot both succeed and leave the org without one.
   */
  async revoke(id: string, orgId?: string): Promise<RevokeOutcome> {
    return this.db.transaction().execute(async (tx) => {
      const key = await lockedKey(tx, id, orgId);
      if (!key) return { status: 'not-found' };
      if (key.revoked_at) return { status: 'already-revoked', row: key };
      if (key.scopes.includes('admin')) {
        const { n } = await tx
          .selectFrom('api_keys')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('org_id', '=', key.org_id)
          .where('revoked_at', 'is', null)
          .where(sql<boolean>`'admin' = any(scopes)`)
          .executeTakeFirstOrThrow();
        if (Number(n) <= 1) return { status: 'last-admin' };
      }
      const row = await tx.updateTable('api_keys').set({ revoked_at: sql<Date>`now()` }).where('id', '=', key.id).returningAll().executeTakeFirstOrThrow();
      return { status: 'revoked', row };
    });
  }

  /** Replaces an active key's secret: the old one stops matching the moment this commits. */
  async rotate(id: string, orgId: string | undefined, secret: { prefix: string; hash: Buffer }): Promise<ApiKeyRow | 'revoked' | undefined> {
    return this.db.transaction().execute(async (tx) => {
      const key = await lockedKey(tx, id, orgId);
      if (!key) return undefined;
      if (key.revoked_at) return 'revoked';
      return tx
        .updateTable('api_keys')
        .set({ prefix: secret.prefix, key_hash: secret.hash, rotated_at: sql<Date>`now()`, last_used_at: null })
        .where('id', '=', key.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    });
  }
}

async function lockedKey(tx: Kysely<GatewayDatabase>, id: string, orgId: string | undefined): Promise<ApiKeyRow | undefined> {
  let q = tx.selectFrom('api_keys').select('org_id').where('id', '=', id);
  if (orgId !== undefined) q = q.where('org_id', '=', orgId);
  const owner = await q.executeTakeFirst();
  if (!owner) return undefined;
  await tx.selectFrom('orgs').select('id').where('id', '=', owner.org_id).forUpdate().execute();
  return tx.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
}
