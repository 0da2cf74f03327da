import { z } from 'zod';
import { watchlistCreateRequestV1, watchlistEntryV1 } from '../api/decisions';
import { defineQuery, queryErrorReplySchema } from './define';

/** gateway -> detection: the watchlist lives beside the breach-feed connector that reads it. */
export const watchlistListQueryV1 = defineQuery({
  name: 'watchlist.list',
  version: 1,
  request: z.object({ orgId: z.uuid() }),
  reply: z.union([z.object({ items: z.array(watchlistEntryV1) }), queryErrorReplySchema]),
});

export const watchlistGetQueryV1 = defineQuery({
  name: 'watchlist.get',
  version: 1,
  request: z.object({ orgId: z.uuid(), id: z.uuid() }),
  reply: z.union([z.object({ entry: watchlistEntryV1.nullable() }), queryErrorReplySchema]),
});

/** Idempotent: adding what is already watched answers the existing entry with created: false. */
export const watchlistAddQueryV1 = defineQuery({
  name: 'watchlist.add',
  version: 1,
  // The API's own entry schema: detection refuses what the gateway would, whoever asks.
  request: z.object({ orgId: z.uuid(), entry: watchlistCreateRequestV1 }),
  reply: z.union([z.object({ entry: watchlistEntryV1, created: z.boolean() }), queryErrorReplySchema]),
});

/** Answers the entry as it was, or null when the org has no such entry. */
export const watchlistRemoveQueryV1 = defineQuery({
  name: 'watchlist.remove',
  version: 1,
  request: z.object({ orgId: z.uuid(), id: z.uuid() }),
  reply: z.union([z.object({ removed: watchlistEntryV1.nullable() }), queryErrorReplySchema]),
});
