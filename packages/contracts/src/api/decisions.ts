import { z } from 'zod';
import { decisionKindSchema, decisionSchema } from '../events/decision';
import { severitySchema } from '../events/common';
import { emailField } from '../events/shared';

export const DECISION_PAGE_MAX = 500;

/** A poll position: the change sequence of the last decision seen (opaque to clients). */
export const decisionCursorSchema = z.string().regex(/^\d{1,15}$/, 'not a cursor this API gave out');

/** Query parameters of GET /v1/decisions. */
export const decisionListParamsV1 = z
  .object({
    active: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .transform((v) => v === 'true')
      .optional()
      .describe('true: only decisions in force now (not expired, not revoked); false: only those no longer in force'),
    kind: decisionKindSchema.optional(),
    target: z.string().min(1).max(320).optional().describe('exactly this target (IP/CIDR or account)'),
    since: decisionCursorSchema.optional().describe("the previous page's nextCursor: only decisions created or revoked after it"),
    limit: z.coerce.number().int().min(1).max(DECISION_PAGE_MAX).default(100).describe(`page size, at most ${DECISION_PAGE_MAX}`),
  })
  .strict();
export type DecisionListParamsV1 = z.infer<typeof decisionListParamsV1>;

export const decisionPageV1 = z
  .object({
    items: z.array(decisionSchema).describe('in change order: a decision appears again when it is revoked'),
    nextCursor: decisionCursorSchema.describe('pass as `since` to get only what changed after this page; the same cursor when nothing did'),
  })
  .describe('one page of decisions');
export type DecisionPageV1 = z.infer<typeof decisionPageV1>;

/** Query parameters of GET /v1/decisions/stream (a reconnecting client sends Last-Event-ID instead). */
export const decisionStreamParamsV1 = z
  .object({ since: decisionCursorSchema.optional().describe('replay changes after this cursor first; default: only changes from now on') })
  .strict();

const ipOrNothing = z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' });

/** Query parameters of GET /v1/decisions/check: a login service's hot path. */
export const decisionCheckParamsV1 = z
  .object({
    ip: ipOrNothing.optional().describe('the client IP of the login attempt'),
    account: z.string().min(1).max(320).optional().describe('the account being logged in to'),
  })
  .strict()
  .refine((v) => v.ip !== undefined || v.account !== undefined, { message: 'give ip, account or both', path: ['ip'] });

export const decisionCheckV1 = z
  .object({
    blocked: z.boolean().describe('true when a block_ip covers the IP or a lock_account names the account'),
    decisions: z.array(decisionSchema).describe('every decision in force for the IP or the account, including force_password_reset and require_mfa'),
  })
  .describe('what a login service must enforce for one attempt');
export type DecisionCheckV1 = z.infer<typeof decisionCheckV1>;

export const decisionRevokeRequestV1 = z
  .object({ reason: z.string().trim().min(1, 'say why').max(1000) })
  .strict()
  .describe('why the decision is withdrawn, e.g. "false positive: office NAT"');

/** What the watchlist monitors: a whole email domain (HIBP domain search) or one email address. */
export const watchKindSchema = z.enum(['domain', 'email']);
const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a domain name like example.com');

export const watchlistCreateRequestV1 = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('domain'), value: domainName, label: z.string().trim().min(1).max(200).optional() }).strict(),
    z
      .object({
        kind: z.literal('email'),
        value: z.string().trim().toLowerCase().pipe(emailField),
        label: z.string().trim().min(1).max(200).optional().describe('e.g. whose address it is, "personal"'),
      })
      .strict(),
  ])
  .describe('a domain or email address to monitor in breach feeds');
export type WatchlistCreateRequestV1 = z.infer<typeof watchlistCreateRequestV1>;

export const watchlistEntryV1 = z
  .object({
    id: z.uuid(),
    kind: watchKindSchema,
    value: z.string(),
    label: z.string().nullable(),
    createdAt: z.iso.datetime({ offset: true }),
    lastCheckedAt: z.iso.datetime({ offset: true }).nullable().describe('last successful poll of the breach feed'),
    exposures: z.number().int().nonnegative().describe('(identity, breach) pairs found so far, each reported once as credential.exposed'),
  })
  .describe('a monitored domain or email address');
export type WatchlistEntryV1 = z.infer<typeof watchlistEntryV1>;

export const watchlistPageV1 = z.object({ items: z.array(watchlistEntryV1) }).describe("the organisation's watchlist");

const MAX_DURATION_SECONDS = 365 * 24 * 3600;

export const decisionActionSchema = z
  .object({
    kind: decisionKindSchema,
    baseSeconds: z.number().int().min(60).max(MAX_DURATION_SECONDS).describe('duration of a first offence'),
    maxSeconds: z.number().int().min(60).max(MAX_DURATION_SECONDS).describe('cap: each repeat within 30 days doubles the duration up to this'),
    minSeverity: severitySchema.default('low').describe('only detections of at least this severity decide'),
  })
  .strict()
  .refine((a) => a.maxSeconds >= a.baseSeconds, { message: 'maxSeconds must be at least baseSeconds', path: ['maxSeconds'] });
export type DecisionAction = z.infer<typeof decisionActionSchema>;

/** Per rule id, the decisions its detections make; an empty list means none. Rules not named keep the default. */
export const decisionPolicySchema = z
  .object({ rules: z.record(z.string().min(1).max(64), z.array(decisionActionSchema).max(4)) })
  .strict()
  .refine((p) => Object.keys(p.rules).length <= 64, { message: 'at most 64 rules', path: ['rules'] });
export type DecisionPolicy = z.infer<typeof decisionPolicySchema>;

/** What GET/PUT /v1/decisions/policy answer. */
export const decisionPolicyViewV1 = z
  .object({
    defaults: decisionPolicySchema,
    overrides: decisionPolicySchema.nullable().describe("this organisation's overrides; null: none"),
    effective: decisionPolicySchema.describe('defaults with the overrides applied per rule'),
  })
  .describe('the decision policy of an organisation');
export type DecisionPolicyViewV1 = z.infer<typeof decisionPolicyViewV1>;
