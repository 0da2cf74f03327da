import { z } from 'zod';

/**
 * One versioned request/reply query (core NATS). Like an event contract, a breaking change is a new
 * definition (and subject) beside this one, never an edit: old gateways keep asking the old version.
 */
export interface QueryDefinition<TName extends string = string, TRequest extends z.ZodType = z.ZodType, TReply extends z.ZodType = z.ZodType> {
  name: TName;
  version: number;
  /** `rpc.<name>.v<version>`; the replier's queue group load-balances it. */
  subject: string;
  request: TRequest;
  reply: TReply;
}

export function defineQuery<TName extends string, TRequest extends z.ZodType, TReply extends z.ZodType>(def: {
  name: TName;
  version: number;
  request: TRequest;
  reply: TReply;
}): QueryDefinition<TName, TRequest, TReply> {
  return { ...def, subject: querySubject(def.name, def.version) };
}

export function querySubject(name: string, version: number): string {
  return `rpc.${name}.v${version}`;
}

export type QueryRequest<Q extends QueryDefinition> = z.infer<Q['request']>;
export type QueryReply<Q extends QueryDefinition> = z.infer<Q['reply']>;

/** What a replier answers to a request it cannot read (the gateway turns it into a 400). */
export const queryErrorReplySchema = z.object({ error: z.literal('bad-request'), detail: z.string() });
export type QueryErrorReply = z.infer<typeof queryErrorReplySchema>;

export function isQueryError(reply: unknown): reply is QueryErrorReply {
  return typeof reply === 'object' && reply !== null && 'error' in reply;
}

/** Timestamps in replies: ISO 8601 with offset (always `Z` from `Date.toISOString`). */
export const queryTimestamp = z.iso.datetime({ offset: true });
