import { z } from 'zod';
import { watchKindSchema, watchlistEntryV1 } from '../api/decisions';
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
  request: z.object({ orgId: z.uuid(), kind: watchKindSchema, value: z.string().min(1).max(320), label: z.string().max(200).optional() }),
  reply: z.union([z.object({ entry: watchlistEntryV1, created: z.boolean() }), queryErrorReplySchema]),
});

/** Answers the entry as it was, or null when the org has no such entry. */
export const watchlistRemoveQueryV1 = defineQuery({
  name: 'watchlist.remove',
  version: 1,
  request: z.object({ orgId: z.uuid(), id: z.uuid() }),
  reply: z.union([z.object({ removed: watchlistEntryV1.nullable() }), queryErrorReplySchema]),
});
