#!/usr/bin/env node
/**
 * Vigil admin CLI (gateway's database, gateway's role; NATS_URL for replays).
 *   vigil org create --name <name> --admin-email <email> [--admin-email <email> ...]
 *   vigil dead-letters list [--org <id>] [--consumer <durable>] [--limit <n>] [--cursor <c>] [--json]
 *   vigil dead-letters replay <id>
 *   vigil keys create --org <id> --name <name> --scope <scope> [--scope <scope> ...] [--event-type <type> ...] [--rate-limit <n>]
 *   vigil keys list --org <id> [--json]
 *   vigil keys revoke <key id>
 *   vigil keys rotate <key id>
 *   vigil events verify --org <id> [--json]
 * `org create` prints the organisation id and its first admin API key, once: only the key's hash is
 * stored; so do `keys create` and `keys rotate`. `dead-letters` shows every org's records, including those whose org is unknown (the API never does).
 * `events verify` asks ingest (over NATS) to recompute the org's hash chain; exit 3 when it is broken.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createDatabase, migrateToLatest, type Database } from '@vigil/db';
import { DEAD_LETTER_PAGE_MAX, ingestVerifyChainQueryV1, type ApiKeyCreatedV1, type ApiKeyViewV1, type DeadLetterViewV1 } from '@vigil/contracts';
import { connectNats } from '@vigil/messaging';
import pino from 'pino';
import { loadConfig, ProblemException, type BaseConfig } from '@vigil/platform';
import { RpcClient } from './rpc.client';
import { VERIFY_TIMEOUT_MS } from './events/verify.controller';
import type { GatewayDatabase } from './db/schema';
import { migrations } from './db/migrations';
import { OrgRepository } from './auth/org.repository';
import { scopes } from './auth/api-key';
import { ApiKeyCache } from './auth/api-key-cache';
import { ApiKeyRepository } from './api-keys/api-key.repository';
import { ApiKeyService } from './api-keys/api-key.service';
import { DeadLetterRepository } from './dead-letters/dead-letter.repository';
import { DeadLetterReplayer, DeadLetterService } from './dead-letters/dead-letter.service';

const usage = [
  'usage: vigil org create --name <name> --admin-email <email> [--admin-email <email> ...]',
  '       vigil dead-letters list [--org <id>] [--consumer <durable>] [--limit <n>] [--cursor <c>] [--json]',
  '       vigil dead-letters replay <id>',
  '       vigil keys create --org <id> --name <name> --scope <scope> [--scope <scope> ...] [--event-type <type> ...] [--rate-limit <n>]',
  `         scopes: ${scopes.join(', ')}`,
  '       vigil keys list --org <id> [--json]',
  '       vigil keys revoke <key id>',
  '       vigil keys rotate <key id>',
  '       vigil events verify --org <id> [--json]',
].join('\n');

const cliEnv = z.object({ DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }), NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222') });

async function withDatabase<T>(fn: (database: Database<GatewayDatabase>) => Promise<T>): Promise<T> {
  const config = loadConfig(cliEnv, process.env, 'vigil');
  const database = createDatabase<GatewayDatabase>({ url: config.DATABASE_URL, schema: 'gateway', poolSize: 1 });
  try {
    await migrateToLatest(database.db, 'gateway', migrations);
    return await fn(database);
  } finally {
    await database.close();
  }
}

function fail(message: string): number {
  process.stderr.write(`${message}\n${usage}\n`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const [noun, verb, ...rest] = argv;
  if (noun === 'org' && verb === 'create') return orgCreate(rest);
  if (noun === 'dead-letters' && verb === 'list') return deadLettersList(rest);
  if (noun === 'dead-letters' && verb === 'replay') return deadLettersReplay(rest);
  if (noun === 'keys' && verb === 'create') return keysCreate(rest);
  if (noun === 'keys' && verb === 'list') return keysList(rest);
  if (noun === 'keys' && (verb === 'revoke' || verb === 'rotate')) return keysChange(verb, rest);
  if (noun === 'events' && verb === 'verify') return eventsVerify(rest);
  return fail(noun ? `unknown command: ${[noun, verb].filter(Boolean).join(' ')}` : 'no command');
}

async function orgCreate(rest: string[]): Promise<number> {
  const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, 'admin-email': { type: 'string', multiple: true } }, strict: true });
  const input = z
    .object({ name: z.string().trim().min(1).max(200), adminEmails: z.array(z.email({ error: 'not an email address' })).min(1, 'at least one --admin-email is required') })
    .safeParse({ name: values.name, adminEmails: (values['admin-email'] ?? []).map((e) => e.trim().toLowerCase()) });
  if (!input.success) {
    return fail(input.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('\n'));
  }
  return withDatabase(async (database) => {
    const org = await new OrgRepository(database, new ApiKeyRepository(database)).createOrg({ name: input.data.name, adminRecipients: input.data.adminEmails, scopes });
    process.stdout.write(
      [
        `organisation: ${org.orgId} (${input.data.name})`,
        `admin alert recipients: ${input.data.adminEmails.join(', ')}`,
        `api key: ${org.key}`,
        'Store the key now: it is shown once and only its hash is kept.',
        '',
      ].join('\n'),
    );
    return 0;
  });
}

async function deadLettersList(rest: string[]): Promise<number> {
  const { values } = parseArgs({
    args: rest,
    options: { org: { type: 'string' }, consumer: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const input = z
    .object({
      org: z.uuid({ error: 'not an organisation id (UUID)' }).optional(),
      consumer: z.string().min(1).optional(),
      limit: z.coerce.number().int().min(1).max(DEAD_LETTER_PAGE_MAX).default(50),
      cursor: z.string().min(1).optional(),
    })
    .safeParse(values);
  if (!input.success) return fail(input.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
  const { org, consumer, limit, cursor } = input.data;
  return withDatabase(async (database) => {
    const page = await new DeadLetterService(new DeadLetterRepository(database)).list({ limit, ...(org ? { orgId: org.toLowerCase() } : {}), ...(consumer ? { consumer } : {}), ...(cursor ? { cursor } : {}) });
    if (values.json) {
      process.stdout.write(`${JSON.stringify(page)}\n`);
      return 0;
    }
    if (!page.items.length) process.stdout.write('no dead letters\n');
    for (const d of page.items) process.stdout.write(`${formatDeadLetter(d)}\n`);
    if (page.nextCursor) process.stdout.write(`more: --cursor ${page.nextCursor}\n`);
    return 0;
  });
}

async function deadLettersReplay(rest: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: rest, options: {}, strict: true, allowPositionals: true });
  const id = z.uuid().safeParse(positionals[0]);
  if (positionals.length !== 1 || !id.success) return fail('replay takes one dead letter id (UUID)');
  const config = loadConfig(cliEnv, process.env, 'vigil');
  const nc = await connectNats(config.NATS_URL, 'vigil-cli', { maxReconnectAttempts: 0 });
  try {
    return await withDatabase(async (database) => {
      const replayed = await new DeadLetterReplayer(new DeadLetterRepository(database), nc).replay(id.data.toLowerCase());
      if (!replayed) {
        process.stderr.write(`no dead letter ${id.data}\n`);
        return 1;
      }
      process.stdout.write(`replayed to ${replayed.originalSubject} (replay ${replayed.replayCount})\n${formatDeadLetter(replayed)}\n`);
      return 0;
    });
  } finally {
    await nc.close();
  }
}

/** The CLI changes keys in the database directly: a running gateway stops accepting a revoked key within 5 s (its cache). */
const keyService = (database: Database<GatewayDatabase>) => new ApiKeyService(new ApiKeyRepository(database), new ApiKeyCache());

async function keysCreate(rest: string[]): Promise<number> {
  const { values } = parseArgs({
    args: rest,
    options: { org: { type: 'string' }, name: { type: 'string' }, scope: { type: 'string', multiple: true }, 'event-type': { type: 'string', multiple: true }, 'rate-limit': { type: 'string' } },
    strict: true,
  });
  const org = z.uuid({ error: '--org: not an organisation id (UUID)' }).safeParse(values.org);
  if (!org.success) return fail('--org: an organisation id (UUID) is required');
  const rateLimit = values['rate-limit'] === undefined ? undefined : Number(values['rate-limit']);
  const body = { name: values.name, scopes: values.scope ?? [], ...(values['event-type'] ? { eventTypes: values['event-type'] } : {}), ...(rateLimit !== undefined ? { rateLimitPerMinute: rateLimit } : {}) };
  return withDatabase(async (database) => {
    if (!(await new OrgRepository(database, new ApiKeyRepository(database)).exists(org.data.toLowerCase()))) {
      process.stderr.write(`no organisation ${org.data}\n`);
      return 1;
    }
    try {
      const created = await keyService(database).create(org.data.toLowerCase(), body);
      process.stdout.write(`${formatKey(created)}\napi key: ${created.secret}\nStore the key now: it is shown once and only its hash is kept.\n`);
      return 0;
    } catch (err) {
      if (err instanceof ProblemException && err.problem.status === 400) {
        const flag: Record<string, string> = { name: '--name', scopes: '--scope', eventTypes: '--event-type', rateLimitPerMinute: '--rate-limit' };
        return fail((err.problem.errors ?? []).map((e) => `${flag[e.pointer.split('/')[1] ?? ''] ?? e.pointer}: ${e.message}`).join('\n') || (err.problem.detail ?? 'invalid input'));
      }
      throw err;
    }
  });
}

async function keysList(rest: string[]): Promise<number> {
  const { values } = parseArgs({ args: rest, options: { org: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  const org = z.uuid().safeParse(values.org);
  if (!org.success) return fail('--org: an organisation id (UUID) is required');
  return withDatabase(async (database) => {
    const list = await keyService(database).list(org.data.toLowerCase());
    if (values.json) process.stdout.write(`${JSON.stringify(list)}\n`);
    else process.stdout.write(list.items.length ? `${list.items.map(formatKey).join('\n')}\n` : 'no API keys\n');
    return 0;
  });
}

async function keysChange(verb: 'revoke' | 'rotate', rest: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: rest, options: {}, strict: true, allowPositionals: true });
  const id = z.uuid().safeParse(positionals[0]);
  if (positionals.length !== 1 || !id.success) return fail(`${verb} takes one API key id (UUID)`);
  return withDatabase(async (database) => {
    if (verb === 'revoke') {
      process.stdout.write(`${formatKey(await keyService(database).revoke(id.data.toLowerCase()))}\n`);
      return 0;
    }
    const rotated = await keyService(database).rotate(id.data.toLowerCase());
    process.stdout.write(`${formatKey(rotated)}\napi key: ${rotated.secret}\nStore the key now: it is shown once and only its hash is kept; the old key no longer works.\n`);
    return 0;
  });
}

function formatKey(k: ApiKeyViewV1 | ApiKeyCreatedV1): string {
  return [
    `${k.id}  ${k.prefix}…  ${JSON.stringify(k.name)}  ${k.revokedAt ? `revoked ${k.revokedAt}` : 'active'}`,
    `  scopes: ${k.scopes.join(', ')}  event types: ${k.eventTypes?.join(', ') ?? 'all'}  rate limit: ${k.rateLimitPerMinute}/min`,
    `  created ${k.createdAt}  last used ${k.lastUsedAt ?? 'never'}${k.rotatedAt ? `  rotated ${k.rotatedAt}` : ''}`,
  ].join('\n');
}

/** Exit codes: 0 the chain is intact, 3 it is broken (the row is named), 1 the question failed. */
async function eventsVerify(rest: string[]): Promise<number> {
  const { values } = parseArgs({ args: rest, options: { org: { type: 'string' }, json: { type: 'boolean' } }, strict: true });
  const org = z.uuid().safeParse(values.org);
  if (!org.success) return fail('--org: an organisation id (UUID) is required');
  const config = loadConfig(cliEnv, process.env, 'vigil');
  // Ingest owns the store and answers over NATS; the CLI asks like the API does, with the same contract.
  const rpc = new RpcClient({ NATS_URL: config.NATS_URL } as BaseConfig, pino({ name: 'vigil-cli', level: 'error' }, pino.destination(2)));
  await rpc.onModuleInit();
  try {
    const v = await rpc.query(ingestVerifyChainQueryV1, { orgId: org.data.toLowerCase() }, 'ingest', { timeoutMs: VERIFY_TIMEOUT_MS });
    if (values.json) process.stdout.write(`${JSON.stringify(v.verification)}\n`);
    else if (v.verification.intact) process.stdout.write(`intact: ${v.verification.checked} events verified\n`);
    else {
      const b = v.verification;
      process.stdout.write(
        [
          `BROKEN: ${b.reason} at seq ${b.firstBrokenSeq}${b.firstBrokenEventId ? ` (event ${b.firstBrokenEventId})` : ''}`,
          `  last intact seq: ${b.lastIntactSeq ?? 'none'}; rows checked: ${b.checked}`,
          '',
        ].join('\n'),
      );
    }
    return v.verification.intact ? 0 : 3;
  } finally {
    await rpc.onApplicationShutdown();
  }
}

function formatDeadLetter(d: DeadLetterViewV1): string {
  const payload = d.payloadEncoding === 'utf8' ? JSON.stringify(d.payload.length > 200 ? `${d.payload.slice(0, 200)}…` : d.payload) : `base64:${d.payload.slice(0, 100)}`;
  return [
    `${d.id}  ${d.firstFailedAt}  org ${d.orgId ?? '-'}  consumer ${d.consumer}  subject ${d.originalSubject ?? '-'}  deliveries ${d.deliveries ?? '-'}  replays ${d.replayCount}`,
    `  reason: ${d.reason}`,
    `  payload (${d.payloadBytes} bytes): ${payload}`,
  ].join('\n');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof ProblemException ? (err.problem.detail ?? err.problem.title) : err instanceof Error ? err.message : String(err);
    process.stderr.write(`vigil: ${message}\n`);
    process.exit(1);
  },
);
