import { Inject, Injectable } from '@nestjs/common';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import { createEvent, newId, orgCreatedV1 } from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import type { GatewayDatabase } from '../db/schema';
import { ApiKeyRepository } from '../api-keys/api-key.repository';
import { generateApiKey, type Scope } from './api-key';

/** The only code that touches the gateway's orgs table (keys: ApiKeyRepository). */
@Injectable()
export class OrgRepository {
  constructor(
    @Inject(DATABASE) private readonly database: Database<GatewayDatabase>,
    private readonly keys: ApiKeyRepository,
  ) {}

  get db() {
    return this.database.db;
  }

  async exists(orgId: string): Promise<boolean> {
    return (await this.db.selectFrom('orgs').select('id').where('id', '=', orgId).executeTakeFirst()) !== undefined;
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
      await this.keys.insert({ id: apiKeyId, orgId, name: 'initial admin key', prefix, hash, scopes: args.scopes, eventTypes: null }, tx);
      await enqueueEvents(tx, [
        createEvent(orgCreatedV1, { orgid: orgId, source: 'vigil://gateway', data: { orgId, name: args.name, adminRecipients: args.adminRecipients } }),
      ]);
    });
    return { orgId, apiKeyId, key, prefix };
  }
}
