import { Inject, Injectable } from '@nestjs/common';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import { createEvent, newId, orgCreatedV1 } from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import type { GatewayDatabase } from '../db/schema';
import { generateApiKey, hashApiKey, type Scope } from './api-key';

export interface Principal {
  orgId: string;
  apiKeyId: string;
  scopes: string[];
}

/** The only code that touches the gateway's org and key tables. */
@Injectable()
export class OrgRepository {
  constructor(@Inject(DATABASE) private readonly database: Database<GatewayDatabase>) {}

  get db() {
    return this.database.db;
  }

  async findActiveKey(key: string): Promise<Principal | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .select(['id', 'org_id', 'scopes'])
      .where('key_hash', '=', hashApiKey(key))
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row && { orgId: row.org_id, apiKeyId: row.id, scopes: row.scopes };
  }

  async touchKey(apiKeyId: string): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: new Date() }).where('id', '=', apiKeyId).execute();
  }

  /**
   * Creates an org with its first admin key and announces it (org.created, through the outbox) so that
   * notification learns the admin alert recipients. Returns the key, which is never stored in clear.
   */
  async createOrg(args: { name: string; adminRecipients: string[]; scopes: readonly Scope[] }) {
    const orgId = newId();
    const apiKeyId = newId();
    const { key, prefix, hash } = generateApiKey();
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('orgs').values({ id: orgId, name: args.name }).execute();
      await tx
        .insertInto('api_keys')
        .values({ id: apiKeyId, org_id: orgId, name: 'initial admin key', prefix, key_hash: hash, scopes: [...args.scopes], last_used_at: null, revoked_at: null })
        .execute();
      await enqueueEvents(tx, [
        createEvent(orgCreatedV1, { orgid: orgId, source: 'vigil://gateway', data: { orgId, name: args.name, adminRecipients: args.adminRecipients } }),
      ]);
    });
    return { orgId, apiKeyId, key, prefix };
  }
}
