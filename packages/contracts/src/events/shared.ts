import { z } from 'zod';

/**
 * Field building blocks shared by the producer contracts. Every string and array is bounded so one event
 * stays far below the 256 KiB event limit and a hostile producer cannot bloat storage.
 */
export const ipField = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }).describe('IPv4 or IPv6 address of the client');
export const userAgentField = z.string().max(1024).describe('User-Agent of the client, as sent');
export const userIdField = z.string().min(1).max(128).describe("The producer's own id for the account");
export const emailField = z.email().max(320).describe('Email address of the account');
export const actorField = z.string().min(1).max(320).describe('Who acted: a user id, email or service name');
export const resourceField = z.string().min(1).max(512).describe('What was touched: a path, table, URL or resource name');
export const isoDateTime = z.iso.datetime({ offset: true });
export const isoDate = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

/** Free-form key/value context: at most 32 keys of scalar values, so it can be stored and searched as-is. */
export const boundedMetadata = z
  .record(z.string().min(1).max(64), z.union([z.string().max(1024), z.number(), z.boolean(), z.null()]))
  .refine((m) => Object.keys(m).length <= 32, { message: 'at most 32 metadata keys' })
  .describe('Extra context: up to 32 keys with string (<= 1024 chars), number, boolean or null values');
